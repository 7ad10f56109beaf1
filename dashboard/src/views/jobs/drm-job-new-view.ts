import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Device, isSnmpKind, JOB_EXPIRY_SECONDS, JobKind } from '@drm/protocol';
import { errorAt, fieldErrors } from '../../api/errors.js';
import { listAllDevices } from '../../api/inventory.js';
import { createJob } from '../../api/jobs.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { focusFirstInvalid } from '../../lib/focus.js';
import { kindLabel } from '../../lib/job-summary.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import { buildJobRequest, emptyJobForm, type JobFormModel } from './job-form-model.js';
import '../../components/drm-error-panel.js';
import './drm-job-params.js';

const KIND_HELP: Record<JobKind, string> = {
  'snmp.get': 'Read the values of the given OIDs.',
  'snmp.getnext': 'Read the value after each given OID (one step of a walk).',
  'snmp.getbulk': 'Read many values after each OID in one request (SNMP v2c and v3).',
  'snmp.walk': 'Read a whole subtree, such as ifTable, page by page.',
  'snmp.set': 'Write values. Check the types: the device refuses a wrong one.',
  'tr181.get': 'Read TR-181 parameters (CWMP GetParameterValues).',
  'tr181.set': 'Write TR-181 parameters (CWMP SetParameterValues).',
  'tr181.reboot': 'Reboot the device (CWMP Reboot).',
};

function usable(device: Device, kind: JobKind): string | null {
  if (isSnmpKind(kind) && !device.snmp) return 'no SNMP set up';
  if (!isSnmpKind(kind) && !device.tr181) return 'no TR-181 set up';
  if (!device.agentId) return 'no agent';
  return null;
}

/** A new job of any kind on chosen devices; OIDs may be typed as MIB names. */
@customElement('drm-job-new-view')
export class DrmJobNewView extends LitElement {
  static override styles = [
    base,
    css`
      .targets {
        max-height: 16rem;
        overflow-y: auto;
        border: 1px solid var(--drm-border);
        border-radius: 6px;
        padding: 0.25rem 0.5rem;
      }
      .targets label {
        font-weight: 400;
        padding: 0.25rem 0;
        margin: 0;
      }
      .why {
        color: var(--drm-warn);
        font-size: 0.82rem;
      }
    `,
  ];

  @property() tenantId = '';
  /** Pre-selects this device (from a device's page). */
  @property() deviceId = '';
  @property() kind: JobKind = 'snmp.get';
  @state() private _model: JobFormModel = emptyJobForm();
  @state() private _errors = new Map<string, string>();
  @state() private _saveError: unknown;
  @state() private _saving = false;
  @state() private _filter = '';
  readonly #ctx = new AppContextConsumer(this);

  readonly #devices = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: ([tenantId], signal) => listAllDevices(tenantId, signal),
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('deviceId') || changed.has('kind')) {
      this._model = emptyJobForm(this.kind, this.deviceId ? [this.deviceId] : []);
    }
  }

  #patch(patch: Partial<JobFormModel>) {
    this._model = { ...this._model, ...patch };
  }

  #toggleTarget(id: string, on: boolean) {
    const targets = this._model.targets.filter((t) => t !== id);
    this.#patch({ targets: on ? [...targets, id] : targets });
  }

  async #submit(ev: Event) {
    ev.preventDefault();
    const { body, errors } = buildJobRequest(this._model);
    this._errors = errors;
    this._saveError = undefined;
    if (!body) {
      if (!(await focusFirstInvalid(this.renderRoot))) {
        (this.renderRoot.querySelector('input[name="target"]') as HTMLElement | null)?.focus();
      }
      return;
    }
    this._saving = true;
    try {
      const created = await createJob(this.tenantId, body);
      toast(this, 'ok', `${kindLabel(body.kind)} job queued`);
      navigate(routeUrl({ name: 'job', tenantId: this.tenantId, jobId: created.id }));
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

  #targets(devices: Device[]) {
    const m = this._model;
    const f = this._filter.toLowerCase();
    const shown = devices.filter((d) => !f || d.name.toLowerCase().includes(f) || d.address.includes(f));
    const error = errorAt(this._errors, 'targets');
    return html`<fieldset aria-describedby="targets-err">
      <legend>Devices (${m.targets.length} chosen)</legend>
      ${
        devices.length > 8
          ? html`<div class="field">
            <label for="target-filter">Find a device</label>
            <input id="target-filter" type="search" .value=${this._filter} @input=${(e: Event) => (this._filter = (e.target as HTMLInputElement).value)} />
          </div>`
          : nothing
      }
      <div class="targets">
        ${shown.length === 0 ? html`<p class="muted">No devices.</p>` : nothing}
        ${shown.map((d) => {
          const why = usable(d, m.kind);
          return html`<label class="check">
            <input
              type="checkbox"
              name="target"
              .checked=${m.targets.includes(d.id)}
              @change=${(e: Event) => this.#toggleTarget(d.id, (e.target as HTMLInputElement).checked)}
            />
            ${d.name} <span class="muted small mono">${d.address}</span>
            ${why ? html`<span class="why">(${why})</span>` : nothing}
          </label>`;
        })}
      </div>
      ${error ? html`<div class="error" id="targets-err">${error}</div>` : nothing}
    </fieldset>`;
  }

  override render() {
    const m = this._model;
    if (!can(this.#ctx.value?.role, 'jobs.write')) {
      return html`<h1>New job</h1>
        <p class="notice">Your role can look at jobs but not run them.</p>`;
    }
    const devices = this.#devices.value?.items ?? [];
    return html`<div class="page-head"><h1>New job</h1></div>
      <form @submit=${this.#submit} novalidate>
        <drm-error-panel .error=${this._saveError}></drm-error-panel>
        <div class="card">
          <div class="field">
            <label for="kind">Kind</label>
            <select id="kind" aria-describedby="kind-help" @change=${(e: Event) => this.#patch({ kind: (e.target as HTMLSelectElement).value as JobKind })}>
              ${JobKind.options.map((k) => html`<option value=${k} ?selected=${k === m.kind}>${kindLabel(k)}</option>`)}
            </select>
            <div class="hint" id="kind-help">${KIND_HELP[m.kind]}</div>
          </div>
          <drm-job-params
            .model=${m}
            .errors=${this._errors}
            @drm-change=${(e: CustomEvent<Partial<JobFormModel>>) => this.#patch(e.detail)}
          ></drm-job-params>
        </div>
        <div class="card">
          <drm-error-panel .error=${this.#devices.error} retry @drm-retry=${() => this.#devices.reload()}></drm-error-panel>
          ${this.#targets(devices)}
          <div class="field">
            <label for="expires">Give up after (minutes)</label>
            <input
              id="expires"
              type="number"
              min=${JOB_EXPIRY_SECONDS.min / 60}
              max=${JOB_EXPIRY_SECONDS.max / 60}
              .value=${m.expiresMinutes}
              aria-invalid=${this._errors.has('expiresInSeconds') ? 'true' : 'false'}
              @input=${(e: Event) => this.#patch({ expiresMinutes: (e.target as HTMLInputElement).value })}
            />
            <div class="hint">Devices whose agent is offline that long are marked expired.</div>
            ${this._errors.has('expiresInSeconds') ? html`<div class="error">${this._errors.get('expiresInSeconds')}</div>` : nothing}
          </div>
        </div>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this._saving}>${this._saving ? 'Starting…' : 'Run job'}</button>
          <a class="button" href=${routeUrl({ name: 'jobs', tenantId: this.tenantId })}>Cancel</a>
        </div>
      </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-new-view': DrmJobNewView;
  }
}
