import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Credential, CredentialKind, type Device, type ScheduleDto } from '@drm/protocol';
import { errorAt, errorMessage, fieldErrors } from '../../api/errors.js';
import {
  createCredential,
  deleteCredential,
  getCredential,
  listAllDevices,
  updateCredential,
} from '../../api/inventory.js';
import { listAllSchedules } from '../../api/schedules.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import {
  AUTH_LABELS,
  credentialUsage,
  KIND_LABELS,
  LEVEL_LABELS,
  PRIV_LABELS,
  usageOf,
  versionLabel,
} from '../../lib/credentials.js';
import { focusFirstInvalid } from '../../lib/focus.js';
import { formatDateTime } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import type { CredentialChoice } from '../devices/device-form-model.js';
import {
  buildCredentialCreate,
  buildCredentialUpdate,
  type CredentialFormModel,
  credentialFormFrom,
  type DeleteRefusal,
  deleteRefusal,
  emptyCredentialForm,
  isEmptyUpdate,
  refusedBy,
} from './credential-form-model.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import '../shared/drm-credential-secret-fields.js';
import './drm-credential-users.js';
import './drm-delete-refusal.js';

const KEEP_NOTE =
  'Stored secrets are never shown. A secret field left empty keeps the one stored; type a new one only to replace it.';

interface Loaded {
  credential: Credential | undefined;
  devices: Device[];
  polls: ScheduleDto[];
}

/**
 * A new credential (no `credentialId`), or one credential: its form, what uses it and delete
 * for operators and admins; its descriptors for viewers. Secrets are write-only.
 */
@customElement('drm-credential-view')
export class DrmCredentialView extends LitElement {
  static override styles = [
    base,
    css`
      .label {
        display: block;
        font-weight: 600;
        font-size: 0.88rem;
        margin-bottom: 0.25rem;
      }
      .kind p {
        margin: 0.45rem 0 0;
      }
    `,
  ];

  @property() tenantId = '';
  /** The credential to show and edit; empty for a new one. */
  @property() credentialId = '';
  /** The kind a new credential starts as. */
  @property() kind: CredentialKind = 'snmp-community';
  @state() private _model: CredentialFormModel | null = null;
  @state() private _errors = new Map<string, string>();
  @state() private _saveError: unknown;
  @state() private _saving = false;
  @state() private _refusal: DeleteRefusal | null = null;
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.credentialId, this.kind] : null),
    task: async ([tenantId, credentialId, kind], signal): Promise<Loaded> => {
      const [credential, devices, polls] = credentialId
        ? await Promise.all([
            getCredential(tenantId, credentialId, signal),
            listAllDevices(tenantId, signal),
            listAllSchedules(tenantId, {}, signal),
          ])
        : [undefined, { items: [] }, { items: [] }];
      // The kind comes from the address, where anything can be typed.
      const known = CredentialKind.options.includes(kind) ? kind : undefined;
      this._model = credential ? credentialFormFrom(credential) : emptyCredentialForm(known);
      this._errors = new Map();
      this._saveError = undefined;
      this._refusal = null;
      return { credential, devices: devices.items, polls: polls.items };
    },
  });

  #patch(patch: Partial<CredentialFormModel>) {
    if (this._model) this._model = { ...this._model, ...patch };
  }

  /** The call that saves the form, or only the problems; neither for an edit that changes nothing. */
  #request(
    m: CredentialFormModel,
    stored: Credential | undefined,
  ): { errors: Map<string, string>; send?: () => Promise<Credential> } {
    if (!stored) {
      const { body, errors } = buildCredentialCreate(m);
      return body ? { errors, send: () => createCredential(this.tenantId, body) } : { errors };
    }
    const { body, errors } = buildCredentialUpdate(m, stored);
    if (!body || isEmptyUpdate(body)) return { errors };
    return { errors, send: () => updateCredential(this.tenantId, stored.id, body) };
  }

  async #save(ev: Event) {
    ev.preventDefault();
    const m = this._model;
    const stored = this.#data.value?.credential;
    if (!m) return;
    const { errors, send } = this.#request(m, stored);
    this._errors = errors;
    this._saveError = undefined;
    if (errors.size > 0) {
      await focusFirstInvalid(this.renderRoot);
      return;
    }
    if (!send) {
      toast(this, 'info', 'Nothing was changed');
      return;
    }
    this._saving = true;
    try {
      const saved = await send();
      toast(this, 'ok', `Credential ${saved.name} ${stored ? 'saved' : 'created'}`);
      navigate(routeUrl({ name: 'credentials', tenantId: this.tenantId }));
    } catch (err) {
      this._saveError = err;
      this._errors = fieldErrors(err);
      // To the field the hub named, else to the message at the top.
      if (!(this._errors.size > 0 && (await focusFirstInvalid(this.renderRoot)))) {
        this.renderRoot.querySelector('drm-error-panel')?.scrollIntoView({ block: 'center' });
      }
    } finally {
      this._saving = false;
    }
  }

  async #delete(c: Credential) {
    this._refusal = null;
    try {
      await deleteCredential(this.tenantId, c.id);
      toast(this, 'ok', `Credential ${c.name} deleted`);
      navigate(routeUrl({ name: 'credentials', tenantId: this.tenantId }), { replace: true });
    } catch (err) {
      this._refusal = deleteRefusal(err);
      if (!this._refusal) toast(this, 'error', errorMessage(err));
    }
  }

  #select<T extends string>(
    id: string,
    label: string,
    value: T,
    options: [T, string][],
    set: (v: T) => void,
  ) {
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <select id=${id} @change=${(e: Event) => set((e.target as HTMLSelectElement).value as T)}>
        ${options.map(([v, words]) => html`<option value=${v} ?selected=${v === value}>${words}</option>`)}
      </select>
    </div>`;
  }

  #name(m: CredentialFormModel) {
    const error = errorAt(this._errors, 'name');
    return html`<div class="field">
      <label for="cred-name">Name</label>
      <input
        id="cred-name"
        autocomplete="off"
        .value=${m.name}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby="cred-name-hint cred-name-err"
        @input=${(e: Event) => this.#patch({ name: (e.target as HTMLInputElement).value })}
      />
      <div class="hint" id="cred-name-hint">How devices and polls list it; unique in this tenant.</div>
      ${error ? html`<div class="error" id="cred-name-err">${error}</div>` : nothing}
    </div>`;
  }

  #form(m: CredentialFormModel, stored: Credential | undefined) {
    const kinds = CredentialKind.options.map((k) => [k, KIND_LABELS[k]] as [CredentialKind, string]);
    return html`<form @submit=${this.#save} novalidate>
      <drm-error-panel .error=${this._saveError}></drm-error-panel>
      <div class="card">
        <div class="row">
          ${
            stored
              ? html`<div class="field kind">
                <span class="label">Kind</span>
                <p>${KIND_LABELS[stored.kind]} <span class="muted small">(cannot change)</span></p>
              </div>`
              : this.#select('cred-kind', 'Kind', m.kind, kinds, (kind) => this.#patch({ kind }))
          }
          ${this.#name(m)}
          ${
            m.kind === 'snmp-community'
              ? this.#select(
                  'cred-version',
                  'SNMP version',
                  m.version,
                  [
                    ['2c', 'v2c'],
                    ['1', 'v1'],
                  ],
                  (version) => this.#patch({ version }),
                )
              : nothing
          }
        </div>
        ${stored ? html`<p class="notice" id="keep-note">${KEEP_NOTE}</p>` : nothing}
        <drm-credential-secret-fields
          .kind=${m.kind}
          .choice=${m}
          ?existing=${!!stored}
          .errors=${this._errors}
          id-prefix="cred"
          @drm-change=${(e: CustomEvent<Partial<CredentialChoice>>) => this.#patch(e.detail)}
        ></drm-credential-secret-fields>
      </div>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this._saving}>
          ${this._saving ? 'Saving…' : stored ? 'Save changes' : 'Create credential'}
        </button>
        <a class="button" href=${routeUrl({ name: 'credentials', tenantId: this.tenantId })}>Cancel</a>
      </div>
    </form>`;
  }

  /** What a person who may not change the credential sees: never a secret. */
  #facts(c: Credential) {
    const rows: [string, string][] = [
      ['Kind', KIND_LABELS[c.kind]],
      ...(c.kind !== 'cwmp' ? [['Version', versionLabel(c)] as [string, string]] : []),
      ...(c.username ? [['User', c.username] as [string, string]] : []),
      ...(c.securityLevel ? [['Security level', LEVEL_LABELS[c.securityLevel]] as [string, string]] : []),
      ...(c.authProtocol ? [['Authentication', AUTH_LABELS[c.authProtocol]] as [string, string]] : []),
      ...(c.privProtocol ? [['Privacy', PRIV_LABELS[c.privProtocol]] as [string, string]] : []),
      ['Secret', 'Stored encrypted; never shown'],
      ['Created', formatDateTime(c.createdAt)],
      ['Changed', formatDateTime(c.updatedAt)],
    ];
    return html`<section class="card" aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
    </section>`;
  }

  #usage(c: Credential, d: Loaded) {
    const usage = usageOf(credentialUsage(d.devices, d.polls), c.id);
    return html`<section class="card" aria-labelledby="used-h">
      <h2 id="used-h">Used by</h2>
      <drm-credential-users .tenantId=${this.tenantId} .usage=${usage}></drm-credential-users>
    </section>`;
  }

  override render() {
    const write = can(this.#ctx.value?.role, 'credentials.write');
    const d = this.#data.value;
    const stored = d?.credential;
    const title = this.credentialId ? (stored?.name ?? 'Credential') : 'New credential';
    const head = html`<div class="page-head">
      <h1>${title}</h1>
      ${
        stored && write
          ? html`<drm-confirm-button
            danger
            heading="Delete the credential ${stored.name}?"
            message="Its secret is gone for good. The hub deletes a credential only once no device or poll uses it."
            confirm-label="Delete credential"
            @drm-confirm=${() => this.#delete(stored)}
            >Delete</drm-confirm-button
          >`
          : nothing
      }
    </div>`;
    if (!this.credentialId && !write) {
      return html`${head}<p class="notice">Your role can look at credentials but not make them.</p>`;
    }
    if (!d || !this._model) {
      return html`${head}
        <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
        ${this.#data.loading ? html`<p class="muted" role="status">Loading…</p>` : nothing}`;
    }
    return html`${head}
      ${
        stored
          ? html`<drm-delete-refusal
            .tenantId=${this.tenantId}
            .name=${stored.name}
            .refusal=${this._refusal}
            .usage=${this._refusal ? refusedBy(this._refusal, d.devices, d.polls) : { devices: [], polls: [] }}
            @drm-dismiss=${() => (this._refusal = null)}
          ></drm-delete-refusal>`
          : nothing
      }
      ${write ? this.#form(this._model, stored) : stored ? this.#facts(stored) : nothing}
      ${stored ? this.#usage(stored, d) : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-credential-view': DrmCredentialView;
  }
}
