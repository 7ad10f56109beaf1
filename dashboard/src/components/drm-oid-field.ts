import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { knownOidNames, resolveOid } from '../lib/oid-names.js';
import { base } from '../styles.js';

/** Suggestions for the input; each shadow root needs its own list (`list` cannot reach out of it). */
const NAMES = knownOidNames().sort((a, b) => a.localeCompare(b));

/**
 * An OID input that takes a number or a MIB name (`sysDescr.0`, `IF-MIB::ifTable`) and shows
 * what it resolves to, or why it cannot.
 *
 * @fires drm-oid-input - detail `{value}` on every keystroke
 */
@customElement('drm-oid-field')
export class DrmOidField extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .resolved {
        font-family: var(--drm-mono);
        font-size: 0.8rem;
        color: var(--drm-muted);
        margin-top: 0.15rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  /** The text as typed. */
  @property() value = '';
  @property() label = 'OID';
  /** An error from the hub for this field, shown under it. */
  @property() error = '';
  /** Shown only while the value is empty; a pristine field is not an error yet. */
  @property({ type: Boolean }) required = false;

  override render() {
    const r = this.value.trim() ? resolveOid(this.value) : null;
    const problem = this.error || (r && !r.ok ? r.message : '');
    return html`<label for="oid">${this.label}</label>
      <input
        id="oid"
        list="mib-names"
        autocomplete="off"
        spellcheck="false"
        placeholder="sysDescr.0 or 1.3.6.1.2.1.1.1.0"
        .value=${this.value}
        ?required=${this.required}
        aria-invalid=${problem ? 'true' : 'false'}
        aria-describedby="msg"
        @input=${(e: Event) => {
          this.value = (e.target as HTMLInputElement).value;
          this.dispatchEvent(new CustomEvent('drm-oid-input', { detail: { value: this.value } }));
        }}
      />
      <datalist id="mib-names">${NAMES.map((n) => html`<option value=${n}></option>`)}</datalist>
      <div id="msg" aria-live="polite">
        ${
          problem
            ? html`<div class="error">${problem}</div>`
            : r?.ok
              ? html`<div class="resolved">${r.name ? `${r.name} = ` : ''}${r.oid}</div>`
              : nothing
        }
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-oid-field': DrmOidField;
  }
}
