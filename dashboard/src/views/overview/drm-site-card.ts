import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Agent, Device, Site } from '@drm/protocol';
import { ApiError, errorMessage } from '../../api/errors.js';
import { deleteSite, updateSite } from '../../api/inventory.js';
import { toast } from '../../lib/dom-events.js';
import { routeUrl } from '../../lib/routes.js';
import { type SiteFields, siteChanges, siteInUseText } from '../../lib/sites.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../shared/drm-site-form.js';
import './drm-agent-table.js';

/**
 * One site on the overview: its address, devices and live agents; with `manage` (admins),
 * editing it and deleting it. The hub refuses to delete a site that still has agents or
 * devices, and the card says which.
 *
 * @fires drm-site-changed - detail `{deleted}`: the site was changed or deleted (the parent reloads)
 */
@customElement('drm-site-card')
export class DrmSiteCard extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .site-head {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        gap: 0.5rem;
        align-items: baseline;
      }
      .site-head .actions {
        margin-left: auto;
      }
      .editing {
        border-top: 1px solid var(--drm-border);
        padding-top: 0.75rem;
        margin: 0.5rem 0 1rem;
      }
    `,
  ];

  @property() tenantId = '';
  @property({ attribute: false }) site!: Site;
  /** The site's agents, revoked ones included (the table shows the others). */
  @property({ attribute: false }) agents: Agent[] = [];
  /** The site's devices. */
  @property({ attribute: false }) devices: Device[] = [];
  /** Shows edit and delete (admins). */
  @property({ type: Boolean }) manage = false;
  @state() private _editing = false;
  @state() private _saveError: unknown;
  @state() private _saving = false;
  @state() private _refused = false;

  #changed(deleted = false) {
    this.dispatchEvent(new CustomEvent('drm-site-changed', { detail: { deleted } }));
  }

  async #closeForm() {
    this._editing = false;
    this._saveError = undefined;
    await this.updateComplete;
    (this.renderRoot.querySelector('#edit') as HTMLElement | null)?.focus();
  }

  #toggleForm = () => {
    if (this._editing) void this.#closeForm();
    else this._editing = true;
  };

  async #save(ev: CustomEvent<SiteFields>) {
    const changes = siteChanges(this.site, ev.detail);
    if (Object.keys(changes).length === 0) {
      await this.#closeForm();
      return;
    }
    this._saving = true;
    try {
      const saved = await updateSite(this.tenantId, this.site.id, changes);
      toast(this, 'ok', changes.name ? `Site renamed to ${saved.name}` : `Site ${saved.name} saved`);
      this.#changed();
      await this.#closeForm();
    } catch (err) {
      this._saveError = err;
    } finally {
      this._saving = false;
    }
  }

  async #delete() {
    this._refused = false;
    try {
      await deleteSite(this.tenantId, this.site.id);
      toast(this, 'ok', `Site ${this.site.name} deleted`);
      this.#changed(true);
    } catch (err) {
      // 409: agents or devices refer to it; the page reloads so the words below count them.
      if (err instanceof ApiError && err.status === 409) {
        this._refused = true;
        this.#changed();
      } else toast(this, 'error', errorMessage(err));
    }
  }

  #actions() {
    const name = this.site.name;
    return html`<div class="actions">
      <button id="edit" aria-expanded=${this._editing ? 'true' : 'false'} @click=${this.#toggleForm}>
        Edit<span class="sr-only"> ${name}</span>
      </button>
      <drm-confirm-button
        danger
        heading="Delete the site ${name}?"
        message="Only a site without agents or devices can be deleted; revoked agents count too. Its unused enrollment tokens go with it."
        confirm-label="Delete site"
        @drm-confirm=${this.#delete}
        >Delete<span class="sr-only"> ${name}</span></drm-confirm-button
      >
    </div>`;
  }

  override render() {
    const site = this.site;
    const n = this.devices.length;
    const live = this.agents.filter((a) => a.state !== 'revoked');
    return html`<section class="card" aria-labelledby="site-h">
      <div class="site-head">
        <h2 id="site-h">${site.name}</h2>
        <span class="muted small">
          ${site.address ? html`${site.address} · ` : nothing}
          <a href=${routeUrl({ name: 'devices', tenantId: this.tenantId })}>${n} device${n === 1 ? '' : 's'}</a>
        </span>
        ${this.manage ? this.#actions() : nothing}
      </div>
      ${site.description ? html`<p class="small">${site.description}</p>` : nothing}
      ${
        this._refused
          ? html`<div class="notice bad" role="alert">
            <p>${siteInUseText(site.name, { agents: this.agents, devices: this.devices })}</p>
            <button @click=${() => (this._refused = false)}>Close</button>
          </div>`
          : nothing
      }
      ${
        this._editing
          ? html`<div class="editing">
            <drm-site-form
              .site=${site}
              .error=${this._saveError}
              ?busy=${this._saving}
              @drm-submit=${this.#save}
              @drm-cancel=${() => this.#closeForm()}
            ></drm-site-form>
          </div>`
          : nothing
      }
      <drm-agent-table .agents=${live}></drm-agent-table>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-site-card': DrmSiteCard;
  }
}
