import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Agent, Device, Event as DrmEvent } from '@drm/protocol';
import { ClockController } from '../../controllers/clock.js';
import { formatDateTime, timeAgo, timeticks } from '../../lib/format.js';
import { displayName } from '../../lib/oid-names.js';
import { hexForDisplay } from '../../lib/result-rows.js';
import { base } from '../../styles.js';

const KIND_LABELS: Record<DrmEvent['kind'], string> = {
  trap: 'Trap',
  'agent.online': 'Agent online',
  'agent.offline': 'Agent offline',
  'agent.enrolled': 'Agent enrolled',
  'agent.revoked': 'Agent revoked',
  'agent.config-refused': 'Config refused',
  'agent.credentials-rotated': 'Credentials rotated',
};

/** Events (traps, agent presence) newest first; a trap opens to show its varbinds. */
@customElement('drm-event-list')
export class DrmEventList extends LitElement {
  static override styles = [
    base,
    css`
      details summary {
        cursor: pointer;
      }
      .kind {
        font-weight: 600;
      }
      .kind.trap {
        color: var(--drm-warn);
      }
      table.varbinds td,
      table.varbinds th {
        padding: 0.2rem 0.5rem;
        font-size: 0.82rem;
      }
    `,
  ];

  @property({ attribute: false }) events: DrmEvent[] = [];
  /** Known devices, to show names instead of ids. */
  @property({ attribute: false }) devices: Device[] = [];
  /** Known agents, to name the agent of agent events. */
  @property({ attribute: false }) agents: Agent[] = [];
  @property({ type: Boolean }) compact = false;
  readonly #clock = new ClockController(this);

  #trap(e: DrmEvent) {
    const trap = e.trap;
    if (!trap) return nothing;
    return html`<details>
      <summary class="small">
        ${displayName(trap.trapOid) ?? trap.trapOid} from ${trap.source.address} (SNMP ${trap.version} ${trap.pdu})
      </summary>
      <table class="varbinds">
        <tbody>
          ${
            trap.uptime !== undefined
              ? html`<tr><th scope="row">uptime</th><td>${timeticks(trap.uptime)}</td></tr>`
              : nothing
          }
          ${trap.varbinds.map(
            (vb) => html`<tr>
              <th scope="row" class="mono">${displayName(vb.oid, vb.name) ?? vb.oid}</th>
              <td class="mono break">
                ${vb.error ?? (vb.encoding === 'hex' ? hexForDisplay(String(vb.value)) : String(vb.value))}
              </td>
            </tr>`,
          )}
          ${
            trap.omittedVarbinds
              ? html`<tr><td colspan="2" class="muted small">
                  ${trap.omittedVarbinds} more varbind${trap.omittedVarbinds === 1 ? '' : 's'} left out by the agent
                  (too large for one message, or not representable)
                </td></tr>`
              : nothing
          }
        </tbody>
      </table>
    </details>`;
  }

  override render() {
    if (this.events.length === 0) return html`<p class="muted">No events.</p>`;
    const names = new Map(this.devices.map((d) => [d.id, d.name]));
    const agents = new Map(this.agents.map((a) => [a.id, a.name]));
    const source = (e: DrmEvent) => {
      if (e.deviceId) return names.get(e.deviceId) ?? html`<span class="mono small">${e.deviceId}</span>`;
      if (e.agentId)
        return html`agent ${agents.get(e.agentId) ?? html`<span class="mono small">${e.agentId}</span>`}`;
      return '—';
    };
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            ${this.compact ? nothing : html`<th scope="col">Device</th>`}
          </tr>
        </thead>
        <tbody>
          ${this.events.map(
            (e) => html`<tr>
              <td class="nowrap" title=${formatDateTime(e.at)}>${timeAgo(e.at, this.#clock.now)}</td>
              <td class="break">
                <span class="kind ${e.kind === 'trap' ? 'trap' : ''}">${KIND_LABELS[e.kind] ?? e.kind}</span>
                ${e.summary}
                ${this.compact ? nothing : this.#trap(e)}
              </td>
              ${this.compact ? nothing : html`<td>${source(e)}</td>`}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-event-list': DrmEventList;
  }
}
