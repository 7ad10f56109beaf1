import { css, html, LitElement } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { base } from '../styles.js';

/**
 * Text to copy (a command, a token) with a Copy button. The clipboard API needs a secure
 * context; on plain http from another host the text is selected for Ctrl+C instead.
 */
@customElement('drm-copy-text')
export class DrmCopyText extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        margin-bottom: 0.75rem;
      }
      .box {
        display: flex;
        align-items: stretch;
        border: 1px solid var(--drm-border);
        border-radius: 6px;
        background: var(--drm-surface-2);
        overflow: hidden;
      }
      pre {
        flex: 1;
        margin: 0;
        padding: 0.6rem 0.75rem;
        overflow-x: auto;
        font-family: var(--drm-mono);
        font-size: 0.86rem;
        white-space: pre-wrap;
        word-break: break-all;
      }
      button {
        border: none;
        border-left: 1px solid var(--drm-border);
        border-radius: 0;
      }
    `,
  ];

  @property() text = '';
  /** What the text is, for the button's accessible name ("Copy enroll command"). */
  @property() label = 'text';
  @state() private _copied = false;
  @query('pre') private _pre!: HTMLPreElement;

  async #copy() {
    try {
      await navigator.clipboard.writeText(this.text);
      this._copied = true;
      setTimeout(() => {
        this._copied = false;
      }, 2000);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(this._pre);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
  }

  override render() {
    return html`<div class="box">
      <pre tabindex="0">${this.text}</pre>
      <button @click=${this.#copy} aria-label="Copy ${this.label}">${this._copied ? 'Copied' : 'Copy'}</button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-copy-text': DrmCopyText;
  }
}
