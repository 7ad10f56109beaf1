import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel } from '@drm/protocol';
import { errorAt } from '../../api/errors.js';
import { AUTH_LABELS, LEVEL_LABELS, PRIV_LABELS } from '../../lib/credentials.js';
import { base } from '../../styles.js';
import type { CredentialChoice } from '../devices/device-form-model.js';

const KEEP = 'Leave empty to keep the current one. Stored secrets are never shown.';
const KEY_HINT = 'At least 8 characters.';

/**
 * What a credential of one kind holds: the community; or the SNMPv3 user, security level,
 * protocols and keys; or the CWMP user and password. Secrets are write-only: for a credential
 * that exists (`existing`), a secret field starts empty and means "keep" unless something is
 * typed. Used by the device form and the credential page.
 *
 * @fires drm-change - detail: the fields that changed, a partial `CredentialChoice`
 */
@customElement('drm-credential-secret-fields')
export class DrmCredentialSecretFields extends LitElement {
  static override styles = base;

  @property() kind: CredentialKind = 'snmp-community';
  @property({ attribute: false }) choice!: CredentialChoice;
  /** The credential exists: its secrets are kept unless new ones are typed. */
  @property({ type: Boolean }) existing = false;
  /** Leaves out the user name of an existing credential (the device form does not change it). */
  @property({ type: Boolean, attribute: 'hide-existing-user' }) hideExistingUser = false;
  /** Errors keyed by field (`community`, `authKey`…). */
  @property({ attribute: false }) errors: Map<string, string> = new Map();
  /** Prefix for element ids, so two of these can share a page. */
  @property({ attribute: 'id-prefix' }) idPrefix = 'cred';

  #set(patch: Partial<CredentialChoice>) {
    this.dispatchEvent(new CustomEvent('drm-change', { detail: patch }));
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

  #select<T extends string>(
    field: keyof CredentialChoice,
    label: string,
    options: readonly T[],
    words: Record<T, string>,
  ) {
    const id = `${this.idPrefix}-${field}`;
    const error = errorAt(this.errors, field);
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <select
        id=${id}
        aria-invalid=${error ? 'true' : 'false'}
        @change=${(e: Event) => this.#set({ [field]: (e.target as HTMLSelectElement).value })}
      >
        ${options.map((o) => html`<option value=${o} ?selected=${this.choice[field] === o}>${words[o]}</option>`)}
      </select>
      ${error ? html`<div class="error">${error}</div>` : nothing}
    </div>`;
  }

  #secret(field: 'community' | 'authKey' | 'privKey' | 'password', label: string, hint = '') {
    const keep = this.existing ? KEEP : '';
    return this.#input(field, this.existing ? `New ${label.toLowerCase()}` : label, {
      type: 'password',
      auto: 'new-password',
      hint: [hint, keep].filter(Boolean).join(' '),
    });
  }

  #user(label: string) {
    return this.existing && this.hideExistingUser ? nothing : this.#input('username', label);
  }

  override render() {
    if (this.kind === 'cwmp') return html`${this.#user('User name')} ${this.#secret('password', 'Password')}`;
    if (this.kind === 'snmp-community') return this.#secret('community', 'Community');
    const level = this.choice.securityLevel;
    const auth = level !== 'noAuthNoPriv';
    const priv = level === 'authPriv';
    return html`${this.#user('SNMPv3 user')}
      <div class="row">
        ${this.#select('securityLevel', 'Security level', SnmpSecurityLevel.options, LEVEL_LABELS)}
        ${auth ? this.#select('authProtocol', 'Authentication', SnmpAuthProtocol.options, AUTH_LABELS) : nothing}
        ${priv ? this.#select('privProtocol', 'Privacy', SnmpPrivProtocol.options, PRIV_LABELS) : nothing}
      </div>
      <div class="row">
        ${auth ? this.#secret('authKey', 'Auth key', KEY_HINT) : nothing}
        ${priv ? this.#secret('privKey', 'Privacy key', KEY_HINT) : nothing}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-credential-secret-fields': DrmCredentialSecretFields;
  }
}
