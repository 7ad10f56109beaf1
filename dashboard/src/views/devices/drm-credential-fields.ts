import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import {
  type Credential,
  SnmpAuthProtocol,
  SnmpPrivProtocol,
  SnmpSecurityLevel,
  type SnmpVersion,
} from '@drm/protocol';
import { errorAt } from '../../api/errors.js';
import { base } from '../../styles.js';
import type { CredentialChoice } from './device-form-model.js';

const KEEP = 'Leave empty to keep the current one. Stored secrets are never shown.';

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

  #input(
    field: keyof CredentialChoice,
    label: string,
    opts: { type?: string; hint?: string; auto?: string } = {},
  ) {
    const id = `${this.idPrefix}-${field}`;
    const error = errorAt(this.errors, field);
    const hint = opts.hint ?? '';
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        type=${opts.type ?? 'text'}
        autocomplete=${opts.auto ?? 'off'}
        .value=${String(this.choice[field])}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby="${id}-hint ${id}-err"
        @input=${(e: Event) => this.#set({ [field]: (e.target as HTMLInputElement).value })}
      />
      ${hint ? html`<div class="hint" id="${id}-hint">${hint}</div>` : nothing}
      ${error ? html`<div class="error" id="${id}-err">${error}</div>` : nothing}
    </div>`;
  }

  #select<T extends string>(field: keyof CredentialChoice, label: string, options: readonly T[]) {
    const id = `${this.idPrefix}-${field}`;
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <select id=${id} @change=${(e: Event) => this.#set({ [field]: (e.target as HTMLSelectElement).value })}>
        ${options.map((o) => html`<option value=${o} ?selected=${this.choice[field] === o}>${o}</option>`)}
      </select>
    </div>`;
  }

  #secrets(existing: boolean) {
    const hint = existing ? KEEP : undefined;
    const secret = { type: 'password', auto: 'new-password', ...(hint && { hint }) };
    if (this.use === 'cwmp') {
      return html`${existing ? nothing : this.#input('username', 'User name')}
        ${this.#input('password', existing ? 'New password' : 'Password', secret)}`;
    }
    if (this.version !== '3') {
      return this.#input('community', existing ? 'New community' : 'Community', secret);
    }
    const level = this.choice.securityLevel;
    return html`${existing ? nothing : this.#input('username', 'SNMPv3 user')}
      <div class="row">
        ${this.#select('securityLevel', 'Security level', SnmpSecurityLevel.options)}
        ${level !== 'noAuthNoPriv' ? this.#select('authProtocol', 'Authentication', SnmpAuthProtocol.options) : nothing}
        ${level === 'authPriv' ? this.#select('privProtocol', 'Privacy', SnmpPrivProtocol.options) : nothing}
      </div>
      <div class="row">
        ${level !== 'noAuthNoPriv' ? this.#input('authKey', existing ? 'New auth key' : 'Auth key', secret) : nothing}
        ${level === 'authPriv' ? this.#input('privKey', existing ? 'New privacy key' : 'Privacy key', secret) : nothing}
      </div>`;
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
          ? html`${this.#input('name', 'Credential name', { hint: 'How it is listed; other devices can use it too.' })}
          ${this.#secrets(false)}`
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
