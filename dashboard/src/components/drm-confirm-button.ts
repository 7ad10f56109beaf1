import { css, html, LitElement } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { base } from '../styles.js';

/**
 * A button that asks before doing something that cannot be undone, in a modal `<dialog>`
 * (focus moves into it, Escape cancels, focus returns to the button).
 *
 * @fires drm-confirm - the person confirmed
 * @slot - the button's label
 */
@customElement('drm-confirm-button')
export class DrmConfirmButton extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
      dialog {
        border: 1px solid var(--drm-border);
        border-radius: var(--drm-radius);
        background: var(--drm-surface);
        color: var(--drm-text);
        max-width: min(30rem, calc(100vw - 2rem));
        padding: 1.25rem;
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 45%);
      }
      .actions {
        justify-content: flex-end;
        margin-top: 1rem;
      }
    `,
  ];

  /** The question, e.g. "Cancel this job?". */
  @property() heading = 'Are you sure?';
  /** What will happen, in a sentence. */
  @property() message = '';
  @property({ attribute: 'confirm-label' }) confirmLabel = 'Confirm';
  @property({ type: Boolean }) danger = false;
  @property({ type: Boolean }) disabled = false;
  @query('dialog') private _dialog!: HTMLDialogElement;

  #confirm() {
    this._dialog.close();
    this.dispatchEvent(new CustomEvent('drm-confirm'));
  }

  override render() {
    return html`<button class=${this.danger ? 'danger' : ''} ?disabled=${this.disabled} @click=${() => this._dialog.showModal()}>
        <slot></slot>
      </button>
      <dialog aria-labelledby="h">
        <h2 id="h">${this.heading}</h2>
        <p>${this.message}</p>
        <div class="actions">
          <button @click=${() => this._dialog.close()} autofocus>Keep it</button>
          <button class=${this.danger ? 'danger' : 'primary'} @click=${this.#confirm}>${this.confirmLabel}</button>
        </div>
      </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-confirm-button': DrmConfirmButton;
  }
}
