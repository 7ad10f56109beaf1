import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type Agent, isTerminalStatus, type JobTarget, type ProgressEvent } from '@drm/protocol';
import { timeAgo } from '../../lib/format.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-progress.js';
import '../../components/drm-status-badge.js';

const TONES: Record<string, '' | 'ok' | 'bad' | 'warn' | 'idle'> = {
  succeeded: 'ok',
  failed: 'bad',
  partial: 'warn',
  expired: 'warn',
  cancelled: 'idle',
};

/** Per device: status, a progress bar, values read so far, and why it failed. */
@customElement('drm-job-targets')
export class DrmJobTargets extends LitElement {
  static override styles = [
    base,
    css`
      .warn {
        color: var(--drm-warn);
      }
      .progress-col {
        width: 30%;
        min-width: 8rem;
      }
    `,
  ];

  @property() tenantId = '';
  @property({ attribute: false }) targets: JobTarget[] = [];
  /** The latest progress event of each device, from the live stream. */
  @property({ attribute: false }) progress: Map<string, ProgressEvent> = new Map();
  /** The tenant's agents with live presence, to say when a target waits on one that is away. */
  @property({ attribute: false }) agents: Map<string, Agent> = new Map();

  #waiting(t: JobTarget) {
    if (isTerminalStatus(t.status)) return nothing;
    if (!t.agentId) return html`<span class="warn">Waiting: the device has no agent</span>`;
    const agent = this.agents.get(t.agentId);
    if (!agent || agent.state === 'online') return nothing;
    const why =
      agent.state === 'never'
        ? 'has not connected yet'
        : agent.state === 'revoked'
          ? 'was revoked'
          : `is offline (last seen ${timeAgo(agent.lastSeenAt)})`;
    return html`<span class="warn">Waiting: agent ${agent.name} ${why}</span>`;
  }

  #bar(t: JobTarget) {
    const p = this.progress.get(t.deviceId);
    const name = t.deviceName ?? t.deviceId;
    if (isTerminalStatus(t.status)) {
      return html`<drm-progress .value=${1} label="Progress of ${name}" value-text="finished" tone=${TONES[t.status] ?? ''}></drm-progress>`;
    }
    if (t.status === 'running' || p) {
      // A walk does not know its end: the bar moves and the count says how far it got.
      const fraction = p?.total ? (p.done ?? 0) / p.total : null;
      return html`<drm-progress .value=${fraction} label="Progress of ${name}"></drm-progress>`;
    }
    return html`<drm-progress .value=${0} label="Progress of ${name}" value-text="waiting"></drm-progress>`;
  }

  override render() {
    if (this.targets.length === 0) return nothing;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Status</th>
            <th scope="col" class="progress-col">Progress</th>
            <th scope="col" class="num">Values</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          ${this.targets.map((t) => {
            const p = this.progress.get(t.deviceId);
            return html`<tr>
              <th scope="row">
                <a href=${routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: t.deviceId })}>${t.deviceName ?? t.deviceId}</a>
              </th>
              <td><drm-status-badge status=${t.status}></drm-status-badge></td>
              <td>${this.#bar(t)}</td>
              <td class="num">${p ? p.counts.varbinds.toLocaleString() : '—'}</td>
              <td class="break small">
                ${t.error ? html`<strong>${t.error.code}</strong>: ${t.error.message}` : nothing}
                ${this.#waiting(t)}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-targets': DrmJobTargets;
  }
}
