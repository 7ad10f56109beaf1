import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { JOB_EXPIRY_SECONDS, JobKind } from '@drm/protocol';
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
import '../shared/drm-device-picker.js';
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

/** A new job of any kind on chosen devices; OIDs may be typed as MIB names. */
@customElement('drm-job-new-view')
export class DrmJobNewView extends LitElement {
  static override styles = base;

  @property() tenantId = '';
  /** Pre-selects this device (from a device's page). */
  @property() deviceId = '';
  @property() kind: JobKind = 'snmp.get';
  @state() private _model: JobFormModel = emptyJobForm();
  @state() private _errors = new Map<string, string>();
  @state() private _saveError: unknown;
  @state() private _saving = false;
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

  async #submit(ev: Event) {
    ev.preventDefault();
    const { body, errors } = buildJobRequest(this._model);
    this._errors = errors;
    this._saveError = undefined;
    if (!body) {
      await focusFirstInvalid(this.renderRoot);
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
          <drm-device-picker
            .devices=${devices}
            .selected=${m.targets}
            .kind=${m.kind}
            .error=${errorAt(this._errors, 'targets') ?? ''}
            @drm-change=${(e: CustomEvent<{ ids: string[] }>) => this.#patch({ targets: e.detail.ids })}
          ></drm-device-picker>
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
