import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Credential, SnmpVersion } from '@drm/protocol';
import { errorAt } from '../../api/errors.js';
import { base } from '../../styles.js';
import type { CredentialChoice } from './device-form-model.js';
import '../shared/drm-credential-secret-fields.js';

/**
 * Picks the credential a device uses, or describes a new one. Secrets are write-only: for a
 * credential that exists, a secret field is empty and means "keep" unless something is typed.
 *
 * @fires drm-change - detail: the new `CredentialChoice`
 */
@customElement('drm-credential-fields')
export class DrmCredentialFields extends LitElement {
  static override styles = base;

  /** `snmp` (community or v3 by `version`) or `cwmp` (TR-181 access). */
  @property() use: 'snmp' | 'cwmp' = 'snmp';
  @property() version: SnmpVersion = '2c';
  @property({ attribute: false }) choice!: CredentialChoice;
  @property({ attribute: false }) credentials: Credential[] = [];
  /** Errors keyed by field inside the choice (`community`, `authKey`…). */
  @property({ attribute: false }) errors: Map<string, string> = new Map();
  /** Prefix for element ids, so two of these can share a form. */
  @property({ attribute: 'id-prefix' }) idPrefix = 'cred';

  #set(patch: Partial<CredentialChoice>) {
    this.dispatchEvent(new CustomEvent('drm-change', { detail: { ...this.choice, ...patch } }));
  }

  #kind(): Credential['kind'] {
    return this.use === 'cwmp' ? 'cwmp' : this.version === '3' ? 'snmp-v3' : 'snmp-community';
  }

  #name() {
    const id = `${this.idPrefix}-name`;
    const error = errorAt(this.errors, 'name');
    return html`<div class="field">
      <label for=${id}>Credential name</label>
      <input
        id=${id}
        autocomplete="off"
        .value=${this.choice.name}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby="${id}-hint ${id}-err"
        @input=${(e: Event) => this.#set({ name: (e.target as HTMLInputElement).value })}
      />
      <div class="hint" id="${id}-hint">How it is listed; other devices can use it too.</div>
      ${error ? html`<div class="error" id="${id}-err">${error}</div>` : nothing}
    </div>`;
  }

  /** The kind's fields; the user name of an existing credential is changed on its own page. */
  #secrets(existing: boolean) {
    return html`<drm-credential-secret-fields
      .kind=${this.#kind()}
      .choice=${this.choice}
      ?existing=${existing}
      hide-existing-user
      .errors=${this.errors}
      .idPrefix=${this.idPrefix}
      @drm-change=${(e: CustomEvent<Partial<CredentialChoice>>) => this.#set(e.detail)}
    ></drm-credential-secret-fields>`;
  }

  override render() {
    const c = this.choice;
    const kind = this.#kind();
    const usable = this.credentials.filter((cr) => cr.kind === kind);
    const id = `${this.idPrefix}-credentialId`;
    const error = errorAt(this.errors, 'credentialId');
    const current = usable.find((cr) => cr.id === c.credentialId);
    return html`<div class="field">
        <label for=${id}>Credential</label>
        <select
          id=${id}
          aria-invalid=${error ? 'true' : 'false'}
          @change=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value;
            this.#set(
              v === ''
                ? { mode: 'none' }
                : v === 'new'
                  ? { mode: 'new' }
                  : { mode: 'existing', credentialId: v },
            );
          }}
        >
          <option value="" ?selected=${c.mode === 'none'}>None</option>
          ${usable.map(
            (
              cr,
            ) => html`<option value=${cr.id} ?selected=${c.mode === 'existing' && c.credentialId === cr.id}>
              ${cr.name}${cr.username ? ` (${cr.username})` : ''}
            </option>`,
          )}
          ${
            c.mode === 'existing' && c.credentialId && !current
              ? html`<option value=${c.credentialId} selected>A ${kind} credential (not of this version)</option>`
              : nothing
          }
          <option value="new" ?selected=${c.mode === 'new'}>New credential…</option>
        </select>
        ${error ? html`<div class="error">${error}</div>` : nothing}
      </div>
      ${
        c.mode === 'new'
          ? html`${this.#name()} ${this.#secrets(false)}`
          : c.mode === 'existing'
            ? this.#secrets(true)
            : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-credential-fields': DrmCredentialFields;
  }
}
