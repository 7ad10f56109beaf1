import { html, LitElement } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { errorAt, fieldErrors } from '../../api/errors.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';

/**
 * A new site: name and address.
 *
 * @fires drm-submit - detail `{name, address, description}`; the parent saves and sets `error` on failure
 * @fires drm-cancel
 */
@customElement('drm-site-form')
export class DrmSiteForm extends LitElement {
  static override styles = base;

  /** The error of the last save, set by the parent. */
  @property({ attribute: false }) error: unknown;
  @state() private _name = '';
  @state() private _address = '';

  override firstUpdated(): void {
    (this.renderRoot.querySelector('#site-name') as HTMLInputElement | null)?.focus();
  }

  override render() {
    const errors = fieldErrors(this.error);
    const nameError = errorAt(errors, 'name');
    return html`<form
      class="card"
      @submit=${(e: Event) => {
        e.preventDefault();
        this.dispatchEvent(
          new CustomEvent('drm-submit', {
            detail: { name: this._name, address: this._address, description: '' },
          }),
        );
      }}
    >
      <h2>Add a site</h2>
      <drm-error-panel .error=${errors.size ? undefined : this.error}></drm-error-panel>
      <div class="row">
        <div class="field">
          <label for="site-name">Name</label>
          <input
            id="site-name"
            required
            .value=${this._name}
            aria-invalid=${nameError ? 'true' : 'false'}
            @input=${(e: Event) => (this._name = (e.target as HTMLInputElement).value)}
          />
          ${nameError ? html`<div class="error">${nameError}</div>` : ''}
        </div>
        <div class="field">
          <label for="site-address">Address <span class="muted">(optional)</span></label>
          <input
            id="site-address"
            .value=${this._address}
            @input=${(e: Event) => (this._address = (e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${!this._name.trim()}>Add site</button>
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
