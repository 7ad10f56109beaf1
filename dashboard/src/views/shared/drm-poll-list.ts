import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ScheduleDto } from '@drm/protocol';
import { count, duration } from '../../lib/format.js';
import { jobSummary, kindLabel } from '../../lib/job-summary.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-status-badge.js';

export interface PollActionDetail {
  schedule: ScheduleDto;
}

/**
 * Polls as a table: name and what they read, kind, how often, on how many devices, and whether
 * they run; with `write`, buttons to enable or disable and to delete each.
 *
 * @fires drm-poll-toggle - detail `{schedule}`: enable it if disabled, disable it if enabled
 * @fires drm-poll-delete - detail `{schedule}`: the person confirmed deleting it
 */
@customElement('drm-poll-list')
export class DrmPollList extends LitElement {
  static override styles = [
    base,
    css`
      /* Holds the hidden row-button words: positioned past the scrolled edge, they would
         otherwise widen the whole page on a narrow screen. */
      .table-wrap {
        position: relative;
      }
      .what {
        min-width: 10rem;
        max-width: 28rem;
        overflow-wrap: anywhere;
      }
      td.row-actions {
        white-space: nowrap;
      }
      td.row-actions > * {
        margin: 0 0.4rem 0.3rem 0;
      }
    `,
  ];

  @property() tenantId = '';
  @property({ attribute: false }) schedules: ScheduleDto[] = [];
  /** Shows the enable, disable and delete controls. */
  @property({ type: Boolean }) write = false;
  /** Leaves out the device count (on a device's own page). */
  @property({ type: Boolean, attribute: 'hide-devices' }) hideDevices = false;
  /** Ids of polls with a change under way: their buttons wait. */
  @property({ attribute: false }) busy: ReadonlySet<string> = new Set();

  #fire(type: 'drm-poll-toggle' | 'drm-poll-delete', schedule: ScheduleDto) {
    this.dispatchEvent(new CustomEvent<PollActionDetail>(type, { detail: { schedule } }));
  }

  #row(s: ScheduleDto) {
    const busy = this.busy.has(s.id);
    return html`<tr>
      <th scope="row" class="what">
        <a href=${routeUrl({ name: 'poll', tenantId: this.tenantId, scheduleId: s.id })}>${s.name}</a>
        <div class="small muted mono">${jobSummary(s)}</div>
      </th>
      <td class="nowrap">${kindLabel(s.kind)}</td>
      <td class="nowrap">every ${duration(s.intervalSeconds * 1000)}</td>
      ${this.hideDevices ? nothing : html`<td class="nowrap">${count(s.deviceIds.length, 'device')}</td>`}
      <td><drm-status-badge status=${s.enabled ? 'enabled' : 'disabled'}></drm-status-badge></td>
      ${
        this.write
          ? html`<td class="row-actions">
            <button aria-label="${s.enabled ? 'Disable' : 'Enable'} ${s.name}" ?disabled=${busy} @click=${() => this.#fire('drm-poll-toggle', s)}>
              ${s.enabled ? 'Disable' : 'Enable'}
            </button>
            <drm-confirm-button
              danger
              ?disabled=${busy}
              heading="Delete the poll ${s.name}?"
              message="Its devices stop being polled. The values already polled are kept."
              confirm-label="Delete poll"
              @drm-confirm=${() => this.#fire('drm-poll-delete', s)}
              >Delete<span class="sr-only"> ${s.name}</span></drm-confirm-button
            >
          </td>`
          : nothing
      }
    </tr>`;
  }

  override render() {
    if (this.schedules.length === 0) return html`<p class="muted">No polls.</p>`;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Poll</th>
            <th scope="col">Kind</th>
            <th scope="col">Interval</th>
            ${this.hideDevices ? nothing : html`<th scope="col">Devices</th>`}
            <th scope="col">State</th>
            ${this.write ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : nothing}
          </tr>
        </thead>
        <tbody>
          ${this.schedules.map((s) => this.#row(s))}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-poll-list': DrmPollList;
  }
}
