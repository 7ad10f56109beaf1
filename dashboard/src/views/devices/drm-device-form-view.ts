import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { SnmpVersion } from '@drm/protocol';
import { listAgents } from '../../api/agents.js';
import { errorAt, fieldErrors } from '../../api/errors.js';
import {
  createCredential,
  createDevice,
  getDevice,
  listCredentials,
  listSites,
  updateCredential,
  updateDevice,
} from '../../api/inventory.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { focusFirstInvalid } from '../../lib/focus.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import {
  type CredentialChoice,
  type DeviceFormModel,
  deviceBody,
  modelFromDevice,
  newCredentialBody,
  secretUpdate,
  validateDeviceForm,
} from './device-form-model.js';
import '../../components/drm-error-panel.js';
import './drm-credential-fields.js';

type Use = 'snmp' | 'cwmp';

function sub(errors: Map<string, string>, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of errors) if (k.startsWith(`${prefix}.`)) out.set(k.slice(prefix.length + 1), v);
  return out;
}

/** Adds a device, or edits one (`deviceId` set), with its SNMP and TR-181 access. */
@customElement('drm-device-form-view')
export class DrmDeviceFormView extends LitElement {
  static override styles = base;

  @property() tenantId = '';
  /** Set to edit that device; empty to add one. */
  @property() deviceId = '';
  @state() private _model: DeviceFormModel | null = null;
  @state() private _errors = new Map<string, string>();
  @state() private _saveError: unknown;
  @state() private _saving = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.deviceId] : null),
    task: async ([tenantId, deviceId], signal) => {
      const [sites, agents, credentials, device] = await Promise.all([
        listSites(tenantId, signal),
        listAgents(tenantId, signal),
        listCredentials(tenantId, signal),
        deviceId ? getDevice(tenantId, deviceId, signal) : Promise.resolve(undefined),
      ]);
      this._model = modelFromDevice(device, { siteId: sites.items[0]?.id });
      return { sites: sites.items, agents: agents.items, credentials: credentials.items, device };
    },
  });

  #set(patch: Partial<DeviceFormModel>) {
    if (this._model) this._model = { ...this._model, ...patch };
  }

  /** Makes or updates the credential; afterwards a retry reuses what was made. */
  async #credential(use: Use, key: 'snmpCred' | 'tr181Cred', m: DeviceFormModel): Promise<string | null> {
    const c = m[key];
    if (c.mode === 'none') return null;
    try {
      if (c.mode === 'new') {
        const made = await createCredential(this.tenantId, newCredentialBody(c, use, m.snmpVersion));
        this.#set({
          [key]: {
            ...c,
            mode: 'existing',
            credentialId: made.id,
            community: '',
            authKey: '',
            privKey: '',
            password: '',
          },
        });
        return made.id;
      }
      const update = secretUpdate(c, use, m.snmpVersion);
      if (update) await updateCredential(this.tenantId, c.credentialId, update);
      return c.credentialId;
    } catch (err) {
      const fields = fieldErrors(err);
      this._errors = new Map([...fields].map(([k, v]) => [`${key}.${k}`, v]));
      throw err;
    }
  }

  async #save(ev: Event) {
    ev.preventDefault();
    const m = this._model;
    if (!m) return;
    this._errors = validateDeviceForm(m);
    this._saveError = undefined;
    if (this._errors.size > 0) {
      await focusFirstInvalid(this.renderRoot);
      return;
    }
    this._saving = true;
    try {
      const snmp = m.snmpEnabled ? await this.#credential('snmp', 'snmpCred', m) : null;
      const tr181 = m.tr181Enabled ? await this.#credential('cwmp', 'tr181Cred', m) : null;
      const body = deviceBody(m, { snmp, tr181 });
      const device = this.deviceId
        ? await updateDevice(this.tenantId, this.deviceId, body)
        : await createDevice(this.tenantId, body);
      toast(this, 'ok', `${device.name} ${this.deviceId ? 'saved' : 'added'}`);
      navigate(routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: device.id }));
    } catch (err) {
      this._saveError = err;
      if (this._errors.size === 0) this._errors = fieldErrors(err);
      await this.#showProblem();
    } finally {
      this._saving = false;
    }
  }

  /** After a refused save: to the field the hub named, else to the message at the top. */
  async #showProblem() {
    if (this._errors.size > 0 && (await focusFirstInvalid(this.renderRoot))) return;
    this.renderRoot.querySelector('drm-error-panel')?.scrollIntoView({ block: 'center' });
  }

  #text(
    field: keyof DeviceFormModel,
    label: string,
    opts: { hint?: string; type?: string; path?: string } = {},
  ) {
    const m = this._model!;
    const error = errorAt(this._errors, opts.path ?? field);
    return html`<div class="field">
      <label for=${field}>${label}</label>
      <input
        id=${field}
        type=${opts.type ?? 'text'}
        .value=${String(m[field])}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby="${field}-hint ${field}-err"
        @input=${(e: Event) => this.#set({ [field]: (e.target as HTMLInputElement).value })}
      />
      ${opts.hint ? html`<div class="hint" id="${field}-hint">${opts.hint}</div>` : nothing}
      ${error ? html`<div class="error" id="${field}-err">${error}</div>` : nothing}
    </div>`;
  }

  #credFields(use: Use, key: 'snmpCred' | 'tr181Cred', choice: CredentialChoice) {
    return html`<drm-credential-fields
      .use=${use}
      .version=${this._model!.snmpVersion}
      .choice=${choice}
      .credentials=${this.#data.value?.credentials ?? []}
      .errors=${sub(this._errors, key)}
      .idPrefix=${key}
      @drm-change=${(e: CustomEvent<CredentialChoice>) => this.#set({ [key]: e.detail })}
    ></drm-credential-fields>`;
  }

  #form() {
    const m = this._model!;
    const data = this.#data.value!;
    const siteError = errorAt(this._errors, 'siteId');
    return html`<form @submit=${this.#save} novalidate>
      <drm-error-panel .error=${this._saveError}></drm-error-panel>
      <div class="card">
        <div class="row">
          ${this.#text('name', 'Name')} ${this.#text('address', 'Address', { hint: 'IP address or DNS name' })}
        </div>
        <div class="row">
          <div class="field">
            <label for="siteId">Site</label>
            <select id="siteId" aria-invalid=${siteError ? 'true' : 'false'} @change=${(e: Event) => this.#set({ siteId: (e.target as HTMLSelectElement).value })}>
              ${data.sites.map((s) => html`<option value=${s.id} ?selected=${s.id === m.siteId}>${s.name}</option>`)}
            </select>
            ${siteError ? html`<div class="error">${siteError}</div>` : nothing}
          </div>
          <div class="field">
            <label for="agentId">Agent that reaches it</label>
            <select id="agentId" @change=${(e: Event) => this.#set({ agentId: (e.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${!m.agentId}>None yet</option>
              ${data.agents
                .filter((a) => a.state !== 'revoked' && (!m.siteId || a.siteId === m.siteId))
                .map((a) => html`<option value=${a.id} ?selected=${a.id === m.agentId}>${a.name}</option>`)}
            </select>
          </div>
        </div>
        ${this.#text('description', 'Description')} ${this.#text('tags', 'Tags', { hint: 'Separated by commas' })}
      </div>
      <fieldset class="card">
        <legend>
          <label class="check"
            ><input type="checkbox" .checked=${m.snmpEnabled} @change=${(e: Event) => this.#set({ snmpEnabled: (e.target as HTMLInputElement).checked })} />
            SNMP</label
          >
        </legend>
        ${
          m.snmpEnabled
            ? html`<div class="row">
                <div class="field">
                  <label for="snmpVersion">Version</label>
                  <select id="snmpVersion" @change=${(e: Event) => this.#set({ snmpVersion: (e.target as HTMLSelectElement).value as SnmpVersion })}>
                    ${SnmpVersion.options.map((v) => html`<option value=${v} ?selected=${v === m.snmpVersion}>v${v}</option>`)}
                  </select>
                </div>
                ${this.#text('port', 'Port', { type: 'number', path: 'snmp.port' })}
                ${this.#text('timeoutMs', 'Timeout (ms)', { type: 'number', path: 'snmp.timeoutMs' })}
                ${this.#text('retries', 'Retries', { type: 'number', path: 'snmp.retries' })}
                ${this.#text('maxRepetitions', 'Max repetitions', { type: 'number', path: 'snmp.maxRepetitions' })}
              </div>
              ${this.#credFields('snmp', 'snmpCred', m.snmpCred)}`
            : html`<p class="muted small">SNMP jobs cannot run on this device.</p>`
        }
      </fieldset>
      <fieldset class="card">
        <legend>
          <label class="check"
            ><input type="checkbox" .checked=${m.tr181Enabled} @change=${(e: Event) => this.#set({ tr181Enabled: (e.target as HTMLInputElement).checked })} />
            TR-181 (CWMP)</label
          >
        </legend>
        ${
          m.tr181Enabled
            ? html`${this.#text('tr181Url', 'Connection request URL', { path: 'tr181.url', hint: 'Optional' })}
            ${this.#credFields('cwmp', 'tr181Cred', m.tr181Cred)}`
            : html`<p class="muted small">TR-181 jobs cannot run on this device.</p>`
        }
      </fieldset>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this._saving}>
          ${this._saving ? 'Saving…' : this.deviceId ? 'Save changes' : 'Add device'}
        </button>
        <a
          class="button"
          href=${
            this.deviceId
              ? routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: this.deviceId })
              : routeUrl({ name: 'devices', tenantId: this.tenantId })
          }
          >Cancel</a
        >
      </div>
    </form>`;
  }

  override render() {
    const title = this.deviceId ? `Edit ${this.#data.value?.device?.name ?? 'device'}` : 'Add a device';
    const allowed = can(this.#ctx.value?.role, 'devices.write');
    return html`<div class="page-head"><h1>${title}</h1></div>
      ${
        !allowed
          ? html`<p class="notice">Your role can look at devices but not change them.</p>`
          : html`<drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
            ${
              this.#data.value && this._model
                ? this.#data.value.sites.length === 0
                  ? html`<p class="notice warn">This tenant has no site yet. An admin adds sites on the overview page.</p>`
                  : this.#form()
                : this.#data.loading
                  ? html`<p class="muted" role="status">Loading…</p>`
                  : nothing
            }`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-device-form-view': DrmDeviceFormView;
  }
}
