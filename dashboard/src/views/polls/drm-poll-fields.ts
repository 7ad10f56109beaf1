import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Device, ScheduleKind } from '@drm/protocol';
import { errorAt } from '../../api/errors.js';
import { kindLabel } from '../../lib/job-summary.js';
import { base } from '../../styles.js';
import type { JobParamsModel } from '../jobs/job-form-model.js';
import { INTERVAL_UNITS, type IntervalUnit, POLL_KINDS, type PollFormModel } from './poll-form-model.js';
import '../jobs/drm-job-params.js';
import '../shared/drm-device-picker.js';

const KIND_HELP: Record<ScheduleKind, string> = {
  'snmp.get': 'Read the values of the given OIDs at every poll. Numbers are charted on each device’s page.',
  'snmp.walk': 'Read a whole subtree, such as ifTable, at every poll.',
};

/**
 * The fields of a poll: name, kind and its params (the job form's `drm-job-params`), devices,
 * interval, spread and whether it runs.
 *
 * @fires drm-change - detail: a partial `PollFormModel` to merge
 */
@customElement('drm-poll-fields')
export class DrmPollFields extends LitElement {
  static override styles = base;

  @property({ attribute: false }) model!: PollFormModel;
  @property({ attribute: false }) errors: Map<string, string> = new Map();
  @property({ attribute: false }) devices: Device[] = [];

  #emit(patch: Partial<PollFormModel>) {
    this.dispatchEvent(new CustomEvent('drm-change', { detail: patch }));
  }

  #error(path: string, id: string) {
    const error = errorAt(this.errors, path);
    return error ? html`<div class="error" id=${id}>${error}</div>` : nothing;
  }

  #timing() {
    const m = this.model;
    const intervalError = errorAt(this.errors, 'intervalSeconds');
    const jitterError = errorAt(this.errors, 'jitterPct');
    return html`<div class="row">
        <div class="field">
          <label for="every">Poll every</label>
          <input
            id="every"
            type="number"
            min="1"
            inputmode="numeric"
            .value=${m.every}
            aria-invalid=${intervalError ? 'true' : 'false'}
            aria-describedby="every-err"
            @input=${(e: Event) => this.#emit({ every: (e.target as HTMLInputElement).value })}
          />
          ${this.#error('intervalSeconds', 'every-err')}
        </div>
        <div class="field">
          <label for="unit">Unit</label>
          <select id="unit" @change=${(e: Event) => this.#emit({ unit: (e.target as HTMLSelectElement).value as IntervalUnit })}>
            ${INTERVAL_UNITS.map(([u, words]) => html`<option value=${u} ?selected=${u === m.unit}>${words}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="jitter">Spread (% of the interval)</label>
          <input
            id="jitter"
            type="number"
            min="0"
            max="50"
            inputmode="numeric"
            .value=${m.jitterPct}
            aria-invalid=${jitterError ? 'true' : 'false'}
            aria-describedby="jitter-hint jitter-err"
            @input=${(e: Event) => this.#emit({ jitterPct: (e.target as HTMLInputElement).value })}
          />
          <div class="hint" id="jitter-hint">Each poll starts up to this much late, so many devices are not polled at once.</div>
          ${this.#error('jitterPct', 'jitter-err')}
        </div>
      </div>
      <label class="check"
        ><input type="checkbox" .checked=${m.enabled} @change=${(e: Event) => this.#emit({ enabled: (e.target as HTMLInputElement).checked })} />
        Enabled: poll at this interval</label
      >`;
  }

  override render() {
    const m = this.model;
    const nameError = errorAt(this.errors, 'name');
    const kind = m.kind as ScheduleKind;
    return html`<div class="card">
        <div class="field">
          <label for="name">Name</label>
          <input
            id="name"
            .value=${m.name}
            autocomplete="off"
            aria-invalid=${nameError ? 'true' : 'false'}
            aria-describedby="name-err"
            @input=${(e: Event) => this.#emit({ name: (e.target as HTMLInputElement).value })}
          />
          ${this.#error('name', 'name-err')}
        </div>
        <div class="field">
          <label for="kind">Kind</label>
          <select id="kind" aria-describedby="kind-help" @change=${(e: Event) => this.#emit({ kind: (e.target as HTMLSelectElement).value as ScheduleKind })}>
            ${POLL_KINDS.map((k) => html`<option value=${k} ?selected=${k === kind}>${kindLabel(k)}</option>`)}
          </select>
          <div class="hint" id="kind-help">${KIND_HELP[kind] ?? ''}</div>
        </div>
        <drm-job-params
          .model=${m}
          .errors=${this.errors}
          @drm-change=${(e: CustomEvent<Partial<JobParamsModel>>) => this.#emit(e.detail)}
        ></drm-job-params>
      </div>
      <div class="card">
        <drm-device-picker
          .devices=${this.devices}
          .selected=${m.deviceIds}
          .kind=${m.kind}
          .error=${errorAt(this.errors, 'deviceIds') ?? ''}
          @drm-change=${(e: CustomEvent<{ ids: string[] }>) => this.#emit({ deviceIds: e.detail.ids })}
        ></drm-device-picker>
        ${this.#timing()}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-poll-fields': DrmPollFields;
  }
}
