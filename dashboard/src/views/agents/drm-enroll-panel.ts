import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { EnrollmentTokenCreated, Site } from '@drm/protocol';
import { createEnrollmentToken } from '../../api/agents.js';
import { errorAt, fieldErrors } from '../../api/errors.js';
import { formatDateTime } from '../../lib/format.js';
import { enrollCommands } from '../../lib/enroll-commands.js';
import { base } from '../../styles.js';
import '../../components/drm-copy-text.js';
import '../../components/drm-error-panel.js';

const TTLS = [
  [60, '1 hour'],
  [24 * 60, '1 day'],
  [7 * 24 * 60, '7 days'],
] as const;

/**
 * Adds an agent: makes a single-use enrollment token for a site and shows the exact commands
 * to run on the edge host. The token is shown here once; the hub keeps only its hash.
 *
 * @fires drm-token-created - a token was made (the parent refreshes its list)
 */
@customElement('drm-enroll-panel')
export class DrmEnrollPanel extends LitElement {
  static override styles = [
    base,
    css`
      ol {
        padding-left: 1.25rem;
      }
      li {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @property() tenantId = '';
  @property({ attribute: false }) sites: Site[] = [];
  @state() private _siteId = '';
  @state() private _ttl = 60;
  @state() private _dataDir = '/var/lib/drm-agent';
  @state() private _name = '';
  @state() private _created: EnrollmentTokenCreated | null = null;
  @state() private _error: unknown;
  @state() private _busy = false;

  async #create(ev: Event) {
    ev.preventDefault();
    this._busy = true;
    this._error = undefined;
    try {
      this._created = await createEnrollmentToken(this.tenantId, {
        siteId: this._siteId || this.sites[0]?.id || '',
        ttlMinutes: this._ttl,
      });
      this.dispatchEvent(new CustomEvent('drm-token-created'));
    } catch (err) {
      this._error = err;
    } finally {
      this._busy = false;
    }
  }

  #commands(created: EnrollmentTokenCreated) {
    const cmds = enrollCommands({
      hubUrl: window.location.origin,
      token: created.token,
      dataDir: this._dataDir,
      name: this._name,
    });
    const site = this.sites.find((s) => s.id === created.siteId)?.name ?? 'the site';
    return html`<div class="notice ok" role="status">
        Token made for ${site}. It works once, until ${formatDateTime(created.expiresAt)}, and is not shown again.
      </div>
      <div class="row">
        <div class="field">
          <label for="data-dir">Data folder on the edge host</label>
          <input id="data-dir" .value=${this._dataDir} @input=${(e: Event) => (this._dataDir = (e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="agent-name">Agent name <span class="muted">(optional; default the host name)</span></label>
          <input id="agent-name" .value=${this._name} @input=${(e: Event) => (this._name = (e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <ol>
        <li>
          On the edge host (Node.js 20 or later), enroll the agent:
          <drm-copy-text label="enroll command" .text=${cmds.enroll}></drm-copy-text>
        </li>
        <li>
          Start it (or install the systemd unit that runs this):
          <drm-copy-text label="run command" .text=${cmds.run}></drm-copy-text>
        </li>
        <li>It appears in the list above as online within a few seconds.</li>
      </ol>
      <button @click=${() => (this._created = null)}>Make another token</button>`;
  }

  override render() {
    if (this.sites.length === 0) {
      return html`<p class="muted">Add a site first (on the overview page): every agent belongs to one.</p>`;
    }
    if (this._created) return this.#commands(this._created);
    const errors = fieldErrors(this._error);
    const siteError = errorAt(errors, 'siteId');
    return html`<form @submit=${this.#create}>
      <drm-error-panel .error=${errors.size ? undefined : this._error}></drm-error-panel>
      <div class="row">
        <div class="field">
          <label for="enroll-site">Site</label>
          <select id="enroll-site" aria-invalid=${siteError ? 'true' : 'false'} @change=${(e: Event) => (this._siteId = (e.target as HTMLSelectElement).value)}>
            ${this.sites.map((s) => html`<option value=${s.id} ?selected=${s.id === this._siteId}>${s.name}</option>`)}
          </select>
          ${siteError ? html`<div class="error">${siteError}</div>` : nothing}
        </div>
        <div class="field">
          <label for="enroll-ttl">Token valid for</label>
          <select id="enroll-ttl" @change=${(e: Event) => (this._ttl = Number((e.target as HTMLSelectElement).value))}>
            ${TTLS.map(([m, label]) => html`<option value=${m} ?selected=${m === this._ttl}>${label}</option>`)}
          </select>
        </div>
      </div>
      <button class="primary" type="submit" ?disabled=${this._busy}>${this._busy ? 'Making…' : 'Make enrollment token'}</button>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-enroll-panel': DrmEnrollPanel;
  }
}
