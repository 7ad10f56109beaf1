import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Agent } from '@drm/protocol';
import { ClockController } from '../../controllers/clock.js';
import { bytes, count, duration, formatDateTime, timeAgo } from '../../lib/format.js';
import { base } from '../../styles.js';
import '../../components/drm-status-badge.js';

/** An outbox older than this means results are waiting on the uplink, not just in flight. */
const STALE_BACKLOG_MS = 5 * 60_000;

/**
 * Agents with what they are doing at the edge: presence, last contact, version, whether they
 * hold the latest config, and the backlog waiting in their outbox (how much, how old, how much
 * was dropped). Data only; the parent keeps it live.
 *
 * @slot actions - not used; per-row actions come through `actions`
 */
@customElement('drm-agent-table')
export class DrmAgentTable extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        margin-bottom: 1rem;
      }
      .warn {
        color: var(--drm-warn);
        font-weight: 600;
      }
      .bad {
        color: var(--drm-bad);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) agents: Agent[] = [];
  /** Site names by id, for a Site column; leave empty to hide it. */
  @property({ attribute: false }) siteNames: Map<string, string> | null = null;
  /** Renders extra cells at the end of each row (e.g. a revoke button). */
  @property({ attribute: false }) actions: ((agent: Agent) => unknown) | null = null;
  readonly #clock = new ClockController(this);

  #backlog(a: Agent) {
    const o = a.outbox;
    if (!o) return html`<span class="muted">not reported</span>`;
    if (o.count === 0) return html`<span class="muted">empty</span>`;
    const age = o.oldestAt ? this.#clock.now - Date.parse(o.oldestAt) : 0;
    return html`<span class=${age > STALE_BACKLOG_MS ? 'warn' : ''}
      >${count(o.count, 'item')} (${bytes(o.bytes)})${
        o.oldestAt
          ? html`<br /><span class="small" title=${formatDateTime(o.oldestAt)}>oldest ${duration(age)} old</span>`
          : nothing
      }</span
    >`;
  }

  /**
   * Whether the agent holds the devices, credentials and polls the hub last pushed it, and a
   * new MQTT password when one waits for it.
   */
  #config(a: Agent) {
    const rotation = a.credentialRotationRequestedAt
      ? html`<br /><span class="small warn" title=${`asked ${formatDateTime(a.credentialRotationRequestedAt)}`}
            >New password pending</span
          >`
      : nothing;
    if (a.state === 'never') return html`<span class="muted">—</span>${rotation}`;
    if (a.appliedConfigRevision >= a.configRevision) {
      return html`<span title=${`revision ${a.configRevision}`}>Applied</span>${rotation}`;
    }
    return html`<span
        class=${a.state === 'online' ? 'warn' : ''}
        title="The agent has not yet confirmed the latest devices, credentials and polls"
        >Pending</span
      ><br /><span class="small">holds ${a.appliedConfigRevision} of ${a.configRevision}</span>${rotation}`;
  }

  override render() {
    if (this.agents.length === 0) return html`<p class="muted">No agents yet.</p>`;
    const now = this.#clock.now;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            ${this.siteNames ? html`<th scope="col">Site</th>` : nothing}
            <th scope="col">State</th>
            <th scope="col">Last seen</th>
            <th scope="col">Version</th>
            <th scope="col">Config</th>
            <th scope="col">Backlog</th>
            <th scope="col" class="num">Dropped</th>
            ${this.actions ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : nothing}
          </tr>
        </thead>
        <tbody>
          ${this.agents.map(
            (a) => html`<tr>
              <th scope="row">${a.name}</th>
              ${this.siteNames ? html`<td>${this.siteNames.get(a.siteId) ?? '—'}</td>` : nothing}
              <td><drm-status-badge status=${a.state}></drm-status-badge></td>
              <td class="nowrap" title=${a.lastSeenAt ? formatDateTime(a.lastSeenAt) : ''}>
                ${timeAgo(a.lastSeenAt, now)}
              </td>
              <td class="mono">${a.version || '—'}</td>
              <td>${this.#config(a)}</td>
              <td>${this.#backlog(a)}</td>
              <td class="num ${a.outbox?.dropped ? 'bad' : ''}">${a.outbox ? a.outbox.dropped.toLocaleString() : '—'}</td>
              ${this.actions ? html`<td>${this.actions(a)}</td>` : nothing}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-agent-table': DrmAgentTable;
  }
}
