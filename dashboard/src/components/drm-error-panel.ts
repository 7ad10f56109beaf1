import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { describeError } from '../api/errors.js';
import { base } from '../styles.js';

/**
 * An error in words a person understands, with a retry button.
 *
 * @fires drm-retry - the person asked to try again
 */
@customElement('drm-error-panel')
export class DrmErrorPanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .notice {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        justify-content: space-between;
      }
      p {
        margin: 0;
      }
    `,
  ];

  /** What was thrown (an `ApiError` or anything else). */
  @property({ attribute: false }) error: unknown;
  /** Shows a "Try again" button. */
  @property({ type: Boolean }) retry = false;

  override render() {
    if (this.error === undefined || this.error === null) return nothing;
    const { title, detail } = describeError(this.error);
    return html`<div class="notice bad" role="alert">
      <div>
        <p><strong>${title}</strong></p>
        ${detail ? html`<p class="small">${detail}</p>` : nothing}
      </div>
      ${
        this.retry
          ? html`<button @click=${() => this.dispatchEvent(new CustomEvent('drm-retry'))}>Try again</button>`
          : nothing
      }
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-error-panel': DrmErrorPanel;
  }
}
