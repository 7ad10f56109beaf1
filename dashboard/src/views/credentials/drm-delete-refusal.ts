import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CredentialUsage } from '../../lib/credentials.js';
import { base } from '../../styles.js';
import type { DeleteRefusal } from './credential-form-model.js';
import './drm-credential-users.js';

/**
 * Why the hub kept a credential it was asked to delete: what still uses it, with links to go
 * and point those at another credential.
 *
 * @fires drm-dismiss - the person closed the message
 */
@customElement('drm-delete-refusal')
export class DrmDeleteRefusal extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        justify-content: space-between;
        align-items: flex-start;
      }
      drm-credential-users {
        color: var(--drm-text);
      }
    `,
  ];

  @property() tenantId = '';
  /** The credential's name. */
  @property() name = '';
  @property({ attribute: false }) refusal: DeleteRefusal | null = null;
  /** The users the refusal names, among those the page knows. */
  @property({ attribute: false }) usage: CredentialUsage = { devices: [], polls: [] };

  override render() {
    if (!this.refusal) return nothing;
    const named = this.usage.devices.length + this.usage.polls.length > 0;
    return html`<div class="notice bad" role="alert">
      <div class="head">
        <p><strong>${this.name} was not deleted: devices or polls still use it</strong></p>
        <button @click=${() => this.dispatchEvent(new CustomEvent('drm-dismiss'))}>Close</button>
      </div>
      ${
        named
          ? html`<p class="small">Change these to use another credential (or none), then delete it:</p>
            <drm-credential-users .tenantId=${this.tenantId} .usage=${this.usage}></drm-credential-users>`
          : html`<p class="small">${this.refusal.message}</p>`
      }
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-delete-refusal': DrmDeleteRefusal;
  }
}
