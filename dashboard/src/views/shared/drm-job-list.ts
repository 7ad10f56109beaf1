import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Job } from '@drm/protocol';
import { ClockController } from '../../controllers/clock.js';
import { formatDateTime, timeAgo } from '../../lib/format.js';
import { jobSummary, kindLabel } from '../../lib/job-summary.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-progress.js';
import '../../components/drm-status-badge.js';

const TONES: Record<string, 'ok' | 'bad' | 'warn' | 'idle'> = {
  succeeded: 'ok',
  failed: 'bad',
  partial: 'warn',
  cancelled: 'idle',
  expired: 'warn',
};

/** Jobs as a table: when, what, on how many devices, how far, and how it ended. */
@customElement('drm-job-list')
export class DrmJobList extends LitElement {
  static override styles = [
    base,
    css`
      drm-progress {
        width: 5rem;
        display: inline-block;
        vertical-align: middle;
        margin-right: 0.4rem;
      }
      .what {
        max-width: 28rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property({ attribute: false }) jobs: Job[] = [];
  /** Tenant names by id: when given, a Tenant column (a list that spans tenants). */
  @property({ attribute: false }) tenantNames: ReadonlyMap<string, string> | null = null;
  /** Fewer columns, for the overview. */
  @property({ type: Boolean }) compact = false;
  readonly #clock = new ClockController(this);

  override render() {
    if (this.jobs.length === 0) return html`<p class="muted">No jobs.</p>`;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Job</th>
            ${this.tenantNames ? html`<th scope="col">Tenant</th>` : nothing}
            ${this.compact ? nothing : html`<th scope="col">Created</th>`}
            <th scope="col">Targets</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          ${this.jobs.map((j) => {
            const { done, total } = j.progress;
            return html`<tr>
              <td class="what">
                <a href=${routeUrl({ name: 'job', tenantId: j.tenantId, jobId: j.id })}>${kindLabel(j.kind)}</a>
                <div class="small muted mono">${jobSummary(j)}</div>
                ${
                  this.compact
                    ? html`<div class="small muted" title=${formatDateTime(j.createdAt)}>
                      ${timeAgo(j.createdAt, this.#clock.now)}
                    </div>`
                    : nothing
                }
              </td>
              ${this.tenantNames ? html`<td>${this.tenantNames.get(j.tenantId) ?? j.tenantId}</td>` : nothing}
              ${
                this.compact
                  ? nothing
                  : html`<td class="nowrap" title=${formatDateTime(j.createdAt)}>${timeAgo(j.createdAt, this.#clock.now)}</td>`
              }
              <td class="nowrap">
                <drm-progress
                  .value=${total ? done / total : 0}
                  label="Targets finished"
                  value-text="${done} of ${total} devices"
                  tone=${TONES[j.status] ?? ''}
                ></drm-progress>
                <span class="small">${done}/${total}</span>
              </td>
              <td><drm-status-badge status=${j.status}></drm-status-badge></td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-list': DrmJobList;
  }
}
