import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Device, ScheduleDto } from '@drm/protocol';
import { errorMessage, fieldErrors } from '../../api/errors.js';
import { listAllDevices } from '../../api/inventory.js';
import { createSchedule, deleteSchedule, getSchedule, updateSchedule } from '../../api/schedules.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { focusFirstInvalid } from '../../lib/focus.js';
import { duration } from '../../lib/format.js';
import { jobSummary, kindLabel } from '../../lib/job-summary.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import {
  buildPollRequest,
  emptyPollForm,
  formErrors,
  type PollFormModel,
  pollFormFrom,
  updateFrom,
} from './poll-form-model.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-status-badge.js';
import './drm-poll-fields.js';

/**
 * A new poll (no `scheduleId`), or one poll: its form with enable, disable and delete for
 * those who may change it, its settings for those who may only look.
 */
@customElement('drm-poll-view')
export class DrmPollView extends LitElement {
  static override styles = [
    base,
    css`
      ul.devices {
        margin: 0;
        padding-left: 1.1rem;
      }
    `,
  ];

  @property() tenantId = '';
  /** The poll to show and edit; empty for a new one. */
  @property() scheduleId = '';
  /** A new poll starts with this device chosen (from a device's page), and returns there. */
  @property() deviceId = '';
  @state() private _model: PollFormModel | null = null;
  @state() private _errors = new Map<string, string>();
  @state() private _saveError: unknown;
  @state() private _saving = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.scheduleId, this.deviceId] : null),
    task: async ([tenantId, scheduleId, deviceId], signal) => {
      const [devices, schedule] = await Promise.all([
        listAllDevices(tenantId, signal),
        scheduleId ? getSchedule(tenantId, scheduleId, signal) : Promise.resolve(undefined),
      ]);
      this._model = schedule ? pollFormFrom(schedule) : emptyPollForm(deviceId ? [deviceId] : []);
      this._errors = new Map();
      this._saveError = undefined;
      return { devices: devices.items, schedule };
    },
  });

  #patch(patch: Partial<PollFormModel>) {
    if (this._model) this._model = { ...this._model, ...patch };
  }

  /** Where the person came from: the device's page for a poll added there, else the list. */
  #backUrl(): string {
    return this.deviceId && !this.scheduleId
      ? routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: this.deviceId })
      : routeUrl({ name: 'polls', tenantId: this.tenantId });
  }

  async #save(ev: Event) {
    ev.preventDefault();
    if (!this._model) return;
    const { body, errors } = buildPollRequest(this._model);
    this._errors = errors;
    this._saveError = undefined;
    if (!body) {
      await focusFirstInvalid(this.renderRoot);
      return;
    }
    this._saving = true;
    try {
      const saved = this.scheduleId
        ? await updateSchedule(this.tenantId, this.scheduleId, updateFrom(body))
        : await createSchedule(this.tenantId, body);
      toast(this, 'ok', `Poll ${saved.name} ${this.scheduleId ? 'saved' : 'created'}`);
      navigate(this.#backUrl());
    } catch (err) {
      this._saveError = err;
      this._errors = formErrors(fieldErrors(err));
      // To the field the hub named, else to the message at the top.
      if (!(this._errors.size > 0 && (await focusFirstInvalid(this.renderRoot)))) {
        this.renderRoot.querySelector('drm-error-panel')?.scrollIntoView({ block: 'center' });
      }
    } finally {
      this._saving = false;
    }
  }

  async #toggle(schedule: ScheduleDto) {
    this._saving = true;
    try {
      const updated = await updateSchedule(this.tenantId, schedule.id, { enabled: !schedule.enabled });
      const data = this.#data.value;
      if (data) this.#data.value = { ...data, schedule: updated };
      this.#patch({ enabled: updated.enabled });
      toast(this, 'ok', `${updated.name} ${updated.enabled ? 'enabled' : 'disabled'}`);
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._saving = false;
    }
  }

  async #delete(schedule: ScheduleDto) {
    try {
      await deleteSchedule(this.tenantId, schedule.id);
      toast(this, 'ok', `${schedule.name} deleted`);
      navigate(routeUrl({ name: 'polls', tenantId: this.tenantId }), { replace: true });
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  #form(devices: Device[]) {
    return html`<form @submit=${this.#save} novalidate>
      <drm-error-panel .error=${this._saveError}></drm-error-panel>
      <drm-poll-fields
        .model=${this._model!}
        .errors=${this._errors}
        .devices=${devices}
        @drm-change=${(e: CustomEvent<Partial<PollFormModel>>) => this.#patch(e.detail)}
      ></drm-poll-fields>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this._saving}>
          ${this._saving ? 'Saving…' : this.scheduleId ? 'Save changes' : 'Create poll'}
        </button>
        <a class="button" href=${this.#backUrl()}>Cancel</a>
      </div>
    </form>`;
  }

  /** What a person who may not change the poll sees. */
  #facts(s: ScheduleDto, devices: Device[]) {
    const byId = new Map(devices.map((d) => [d.id, d]));
    return html`<section class="card" aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>${kindLabel(s.kind)}</dd>
        <dt>Reads</dt>
        <dd class="mono">${jobSummary(s)}</dd>
        <dt>Interval</dt>
        <dd>every ${duration(s.intervalSeconds * 1000)}, spread ${s.jitterPct} %</dd>
        <dt>Devices</dt>
        <dd>
          <ul class="devices">
            ${s.deviceIds.map((id) => {
              const d = byId.get(id);
              return html`<li>
                ${d ? html`<a href=${routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: id })}>${d.name}</a>` : html`<span class="mono">${id}</span>`}
              </li>`;
            })}
          </ul>
        </dd>
      </dl>
    </section>`;
  }

  #controls(s: ScheduleDto) {
    return html`<div class="actions">
      <button ?disabled=${this._saving} @click=${() => this.#toggle(s)}>${s.enabled ? 'Disable' : 'Enable'}</button>
      <drm-confirm-button
        danger
        heading="Delete the poll ${s.name}?"
        message="Its devices stop being polled. The values already polled are kept."
        confirm-label="Delete poll"
        @drm-confirm=${() => this.#delete(s)}
        >Delete</drm-confirm-button
      >
    </div>`;
  }

  override render() {
    const write = can(this.#ctx.value?.role, 'schedules.write');
    const data = this.#data.value;
    const schedule = data?.schedule;
    const title = this.scheduleId ? (schedule?.name ?? 'Poll') : 'New poll';
    const head = html`<div class="page-head">
      <div>
        <h1>${title}</h1>
        ${schedule ? html`<drm-status-badge status=${schedule.enabled ? 'enabled' : 'disabled'}></drm-status-badge>` : nothing}
      </div>
      ${schedule && write ? this.#controls(schedule) : nothing}
    </div>`;
    if (!this.scheduleId && !write) {
      return html`${head}<p class="notice">Your role can look at polls but not set them up.</p>`;
    }
    if (!data || !this._model) {
      return html`${head}
        <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
        ${this.#data.loading ? html`<p class="muted" role="status">Loading…</p>` : nothing}`;
    }
    return html`${head}${
      write ? this.#form(data.devices) : schedule ? this.#facts(schedule, data.devices) : nothing
    }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-poll-view': DrmPollView;
  }
}
