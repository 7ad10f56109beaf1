import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ToastDetail } from '../lib/dom-events.js';

export interface Toast extends ToastDetail {
  id: number;
}

/**
 * Toasts in a polite live region (errors in an assertive one), so screen readers announce
 * them without moving focus.
 *
 * @fires drm-dismiss - detail `{id}`: the person closed a toast
 */
@customElement('drm-toast-stack')
export class DrmToastStack extends LitElement {
  static override styles = css`
    :host {
      position: fixed;
      right: 1rem;
      bottom: 1rem;
      z-index: 20;
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      max-width: min(26rem, calc(100vw - 2rem));
    }
    .toast {
      display: flex;
      gap: 0.75rem;
      align-items: flex-start;
      padding: 0.65rem 0.75rem 0.65rem 0.9rem;
      border-radius: var(--drm-radius);
      background: var(--drm-surface);
      color: var(--drm-text);
      border: 1px solid var(--drm-border);
      border-left: 4px solid var(--drm-accent);
      box-shadow: 0 4px 16px rgb(0 0 0 / 18%);
      font-size: 0.92rem;
    }
    .ok {
      border-left-color: var(--drm-ok);
    }
    .error {
      border-left-color: var(--drm-bad);
    }
    p {
      margin: 0;
      flex: 1;
      overflow-wrap: anywhere;
    }
    button {
      font: inherit;
      border: none;
      background: none;
      color: var(--drm-muted);
      cursor: pointer;
      padding: 0 0.2rem;
      font-size: 1.1rem;
      line-height: 1;
    }
  `;

  @property({ attribute: false }) toasts: Toast[] = [];

  #item(t: Toast) {
    return html`<div class="toast ${t.kind}">
      <p>${t.text}</p>
      <button
        aria-label="Dismiss"
        @click=${() => this.dispatchEvent(new CustomEvent('drm-dismiss', { detail: { id: t.id } }))}
      >
        ×
      </button>
    </div>`;
  }

  override render() {
    const errors = this.toasts.filter((t) => t.kind === 'error');
    const others = this.toasts.filter((t) => t.kind !== 'error');
    return html`
      <div role="status" aria-live="polite">${repeat(
        others,
        (t) => t.id,
        (t) => this.#item(t),
      )}</div>
      <div role="alert" aria-live="assertive">${repeat(
        errors,
        (t) => t.id,
        (t) => this.#item(t),
      )}</div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-toast-stack': DrmToastStack;
  }
}
