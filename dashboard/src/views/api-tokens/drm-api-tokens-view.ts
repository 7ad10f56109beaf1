import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiToken, ApiTokenCreated } from '@drm/protocol';
import { createApiToken, listApiTokens, revokeApiToken } from '../../api/auth.js';
import { errorAt, errorMessage, fieldErrors } from '../../api/errors.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { focusFirstInvalid } from '../../lib/focus.js';
import { formatDate, formatDateTime, timeAgo } from '../../lib/format.js';
import { base } from '../../styles.js';
import { buildTokenRequest, curlExample, EXPIRY_CHOICES, expiryText } from './api-token-model.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-copy-text.js';
import '../../components/drm-error-panel.js';

/**
 * The signed-in person's API tokens for scripts: list, make (the value is shown once, with an
 * example command), revoke. A token acts as its owner, with their role in each tenant; it is
 * the same list whichever tenant the page is under.
 */
@customElement('drm-api-tokens-view')
export class DrmApiTokensView extends LitElement {
  static override styles = [
    base,
    css`
      .table-wrap {
        position: relative;
      }
      .created h2:focus {
        outline: none;
      }
      form .row {
        max-width: 40rem;
      }
    `,
  ];

  /** The tenant the page is under: the example command reads its devices. */
  @property() tenantId = '';
  @state() private _name = '';
  @state() private _expiry = EXPIRY_CHOICES[0]![0];
  @state() private _errors = new Map<string, string>();
  @state() private _error: unknown;
  @state() private _busy = false;
  @state() private _created: ApiTokenCreated | null = null;
  @state() private _revoking = new Set<string>();
  readonly #ctx = new AppContextConsumer(this);

  // Not tenant data: loaded once per page, whichever tenant it is under.
  readonly #tokens = new Resource(this, {
    args: () => [true] as const,
    task: (_args, signal) => listApiTokens(signal),
  });

  async #create(ev: Event) {
    ev.preventDefault();
    const { body, errors } = buildTokenRequest(this._name, this._expiry);
    this._errors = errors;
    this._error = undefined;
    if (!body) {
      await focusFirstInvalid(this.renderRoot);
      return;
    }
    this._busy = true;
    try {
      this._created = await createApiToken(body);
      this._name = '';
      await this.updateComplete;
      // To the new token's heading, so a screen reader starts at "copy it now".
      (this.renderRoot.querySelector('#created-h') as HTMLElement | null)?.focus();
      await this.#tokens.reload();
    } catch (err) {
      this._error = err;
      this._errors = fieldErrors(err);
    } finally {
      this._busy = false;
    }
  }

  async #revoke(t: ApiToken) {
    this._revoking = new Set([...this._revoking, t.id]);
    try {
      await revokeApiToken(t.id);
      if (this._created?.id === t.id) this._created = null;
      toast(this, 'ok', `Token ${t.name} revoked`);
      await this.#tokens.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._revoking = new Set([...this._revoking].filter((x) => x !== t.id));
    }
  }

  #createdPanel(c: ApiTokenCreated) {
    return html`<section class="card created" aria-labelledby="created-h">
      <h2 id="created-h" tabindex="-1">Token ${c.name} made</h2>
      <p class="notice warn" role="status">
        Copy it now: this is the only time it is shown. The hub keeps only a hash of it.
      </p>
      <drm-copy-text label="API token" .text=${c.token}></drm-copy-text>
      <p>Scripts send it in the <code>Authorization</code> header, for example:</p>
      <drm-copy-text
        label="example command"
        .text=${curlExample(window.location.origin, this.tenantId, c.token)}
      ></drm-copy-text>
      <p class="small muted">
        It acts as you, with your role in each tenant, ${c.expiresAt ? `until ${formatDateTime(c.expiresAt)}` : 'with no expiry'}
        or until you revoke it.
      </p>
      <button @click=${() => (this._created = null)}>Done, I have copied it</button>
    </section>`;
  }

  #form() {
    const nameError = errorAt(this._errors, 'name');
    return html`<form class="card" @submit=${this.#create} novalidate>
      <h2>Make a token</h2>
      <drm-error-panel .error=${this._errors.size ? undefined : this._error}></drm-error-panel>
      <div class="row">
        <div class="field">
          <label for="token-name">Name</label>
          <input
            id="token-name"
            autocomplete="off"
            .value=${this._name}
            aria-invalid=${nameError ? 'true' : 'false'}
            aria-describedby="token-name-hint token-name-err"
            @input=${(e: Event) => (this._name = (e.target as HTMLInputElement).value)}
          />
          <div class="hint" id="token-name-hint">What uses it, e.g. "inventory sync".</div>
          ${nameError ? html`<div class="error" id="token-name-err">${nameError}</div>` : nothing}
        </div>
        <div class="field">
          <label for="token-expiry">Expires after</label>
          <select id="token-expiry" @change=${(e: Event) => (this._expiry = (e.target as HTMLSelectElement).value)}>
            ${EXPIRY_CHOICES.map(([v, words]) => html`<option value=${v} ?selected=${v === this._expiry}>${words}</option>`)}
          </select>
        </div>
      </div>
      <button class="primary" type="submit" ?disabled=${this._busy}>${this._busy ? 'Making…' : 'Make token'}</button>
    </form>`;
  }

  #row(t: ApiToken) {
    return html`<tr>
      <th scope="row">${t.name}</th>
      <td class="nowrap" title=${formatDateTime(t.createdAt)}>${formatDate(t.createdAt)}</td>
      <td class="nowrap" title=${t.lastUsedAt ? formatDateTime(t.lastUsedAt) : ''}>${t.lastUsedAt ? timeAgo(t.lastUsedAt) : 'Never'}</td>
      <td class="nowrap">${expiryText(t)}</td>
      <td>
        <drm-confirm-button
          danger
          ?disabled=${this._revoking.has(t.id)}
          heading="Revoke the token ${t.name}?"
          message="Scripts that use it are refused from now on. This cannot be undone."
          confirm-label="Revoke token"
          @drm-confirm=${() => this.#revoke(t)}
          >Revoke<span class="sr-only"> ${t.name}</span></drm-confirm-button
        >
      </td>
    </tr>`;
  }

  #list(tokens: ApiToken[]) {
    if (tokens.length === 0) return html`<p class="muted" role="status">You have no API tokens.</p>`;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${tokens.map((t) => this.#row(t))}
        </tbody>
      </table>
    </div>`;
  }

  override render() {
    const user = this.#ctx.value?.user;
    const tokens = this.#tokens.value?.items;
    return html`<div class="page-head"><h1>API tokens</h1></div>
      <p class="muted small">
        Tokens let scripts use the hub's API as ${user ? user.name || user.email : 'you'}, with your role in
        each tenant. They are yours alone: other people, admins included, see their own.
      </p>
      ${this._created ? this.#createdPanel(this._created) : this.#form()}
      <h2>Your tokens</h2>
      <drm-error-panel .error=${this.#tokens.error} retry @drm-retry=${() => this.#tokens.reload()}></drm-error-panel>
      ${
        tokens
          ? this.#list(tokens)
          : this.#tokens.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-api-tokens-view': DrmApiTokensView;
  }
}
