import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Site } from '@drm/protocol';
import { errorAt, fieldErrors } from '../../api/errors.js';
import type { SiteFields } from '../../lib/sites.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';

/**
 * A new site, or changes to one (`site` set): name, address and description.
 *
 * @fires drm-submit - detail `SiteFields`; the parent saves and sets `error` on failure
 * @fires drm-cancel
 */
@customElement('drm-site-form')
export class DrmSiteForm extends LitElement {
  static override styles = base;

  /** The site to change; unset to add one. */
  @property({ attribute: false }) site: Site | undefined;
  /** The error of the last save, set by the parent. */
  @property({ attribute: false }) error: unknown;
  @property({ type: Boolean }) busy = false;
  @state() private _name = '';
  @state() private _address = '';
  @state() private _description = '';

  #filledFrom: string | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Filled once per site: a reload of the page (live updates) must not undo what is typed.
    if (changed.has('site') && this.site && this.site.id !== this.#filledFrom) {
      this.#filledFrom = this.site.id;
      this._name = this.site.name;
      this._address = this.site.address;
      this._description = this.site.description;
    }
  }

  override firstUpdated(): void {
    const name = this.renderRoot.querySelector('#site-name') as HTMLInputElement | null;
    name?.focus();
    name?.select();
  }

  #text(id: string, label: string | TemplateResult, value: string, set: (v: string) => void, error?: string) {
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        autocomplete="off"
        .value=${value}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby="${id}-err"
        @input=${(e: Event) => set((e.target as HTMLInputElement).value)}
      />
      ${error ? html`<div class="error" id="${id}-err">${error}</div>` : nothing}
    </div>`;
  }

  override render() {
    const errors = fieldErrors(this.error);
    const optional = html` <span class="muted">(optional)</span>`;
    const editing = !!this.site;
    const heading = editing ? html`<h3>Edit the site ${this.site!.name}</h3>` : html`<h2>Add a site</h2>`;
    return html`<form
      class=${editing ? '' : 'card'}
      aria-label=${editing ? `Edit the site ${this.site!.name}` : 'Add a site'}
      @submit=${(e: Event) => {
        e.preventDefault();
        const detail: SiteFields = {
          name: this._name,
          address: this._address,
          description: this._description,
        };
        this.dispatchEvent(new CustomEvent('drm-submit', { detail }));
      }}
    >
      ${heading}
      <drm-error-panel .error=${errors.size ? undefined : this.error}></drm-error-panel>
      <div class="row">
        ${this.#text('site-name', 'Name', this._name, (v) => (this._name = v), errorAt(errors, 'name'))}
        ${this.#text(
          'site-address',
          html`Address${optional}`,
          this._address,
          (v) => (this._address = v),
          errorAt(errors, 'address'),
        )}
      </div>
      ${this.#text(
        'site-description',
        html`Description${optional}`,
        this._description,
        (v) => (this._description = v),
        errorAt(errors, 'description'),
      )}
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${!this._name.trim() || this.busy}>
          ${editing ? 'Save site' : 'Add site'}
        </button>
        <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('drm-cancel'))}>Cancel</button>
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-site-form': DrmSiteForm;
  }
}
