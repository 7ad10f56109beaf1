import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Agent, LiveAgentState } from '@drm/protocol';
import {
  listAgents,
  listEnrollmentTokens,
  revokeAgent,
  revokeEnrollmentToken,
  rotateAgentCredentials,
} from '../../api/agents.js';
import { errorMessage } from '../../api/errors.js';
import { listSites } from '../../api/inventory.js';
import { subscribeAgents } from '../../api/live.js';
import { withLiveAgents } from '../../api/live-state.js';
import { AppContextConsumer } from '../../context.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { formatDateTime } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-status-badge.js';
import '../overview/drm-agent-table.js';
import './drm-enroll-panel.js';

/**
 * Agents with live presence and backlog; admins enroll new ones, give one a new MQTT password
 * and revoke old ones.
 */
@customElement('drm-agents-view')
export class DrmAgentsView extends LitElement {
  static override styles = [
    base,
    css`
      .tokens-h {
        margin-top: 1.5rem;
      }
    `,
  ];

  @property() tenantId = '';
  @state() private _live = new Map<string, LiveAgentState>();
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: async ([tenantId], signal) => {
      const [agents, sites] = await Promise.all([listAgents(tenantId, signal), listSites(tenantId, signal)]);
      return { agents: agents.items, sites: sites.items };
    },
  });

  readonly #tokens = new Resource(this, {
    args: () => (this.tenantId && can(this.#ctx.value?.role, 'enrollment.manage') ? [this.tenantId] : null),
    task: ([tenantId], signal) => listEnrollmentTokens(tenantId, signal),
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => this.tenantId || null,
      subscribe: () =>
        subscribeAgents(this.tenantId, (ev) => {
          if (ev.type === 'snapshot') this._live = new Map(ev.agents.map((a) => [a.agentId, a]));
          else if (ev.type === 'updated') {
            this._live = new Map(this._live).set(ev.agent.agentId, ev.agent);
            if (!this.#data.value?.agents.some((a) => a.id === ev.agent.agentId)) {
              void this.#data.reload();
              void this.#tokens.reload();
            }
          }
        }),
    });
  }

  async #rotate(agent: Agent) {
    try {
      await rotateAgentCredentials(this.tenantId, agent.id);
      toast(
        this,
        'ok',
        `${agent.name} gets a new MQTT password with its next config; the old one works until it has it.`,
      );
      await this.#data.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  async #revoke(agent: Agent) {
    try {
      await revokeAgent(this.tenantId, agent.id);
      toast(this, 'ok', `${agent.name} revoked; its credentials no longer work.`);
      await this.#data.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  async #revokeToken(id: string) {
    try {
      await revokeEnrollmentToken(this.tenantId, id);
      toast(this, 'ok', 'Enrollment token revoked');
      await this.#tokens.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  #tokenList() {
    const tokens = this.#tokens.value?.items ?? [];
    if (tokens.length === 0) return nothing;
    const sites = new Map(this.#data.value?.sites.map((s) => [s.id, s.name]) ?? []);
    return html`<h3 class="tokens-h">Enrollment tokens</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">State</th>
              <th scope="col">Made</th>
              <th scope="col">Expires</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${tokens.slice(0, 20).map(
              (t) => html`<tr>
                <td>${sites.get(t.siteId) ?? '—'}</td>
                <td><drm-status-badge status=${t.state ?? ''}></drm-status-badge></td>
                <td>${formatDateTime(t.createdAt)}</td>
                <td>${formatDateTime(t.expiresAt)}</td>
                <td>
                  ${
                    t.state === 'active'
                      ? html`<drm-confirm-button
                        heading="Revoke this enrollment token?"
                        message="Nobody will be able to enroll an agent with it."
                        confirm-label="Revoke token"
                        danger
                        @drm-confirm=${() => this.#revokeToken(t.id)}
                        >Revoke</drm-confirm-button
                      >`
                      : nothing
                  }
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    const d = this.#data.value;
    const admin = can(this.#ctx.value?.role, 'agents.manage');
    const agents = d ? withLiveAgents(d.agents, this._live) : [];
    const sites = new Map(d?.sites.map((s) => [s.id, s.name]) ?? []);
    const actions = admin
      ? (a: Agent) =>
          a.state === 'revoked'
            ? nothing
            : html`${
                // One rotation at a time: while one waits, the Config column says so instead.
                a.credentialRotationRequestedAt
                  ? nothing
                  : html`<drm-confirm-button
                      heading="Give ${a.name} a new password?"
                      message="The hub makes a new MQTT password and sends it to the agent with its next config, at once when it is connected. The old password keeps working until the agent confirms it has the new one. If the old one may have leaked, revoke the agent and enroll it again instead."
                      confirm-label="Rotate credentials"
                      @drm-confirm=${() => this.#rotate(a)}
                      >Rotate credentials</drm-confirm-button
                    >`
              }
              <drm-confirm-button
                danger
                heading="Revoke ${a.name}?"
                message="Its MQTT credentials stop working for good; jobs on its devices will not run until another agent takes them. To bring the host back, enroll it again."
                confirm-label="Revoke agent"
                @drm-confirm=${() => this.#revoke(a)}
                >Revoke</drm-confirm-button
              >`
      : null;
    return html`<div class="page-head"><h1>Agents</h1></div>
      <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
      ${
        d
          ? html`<drm-agent-table .agents=${agents} .siteNames=${sites} .actions=${actions}></drm-agent-table>`
          : this.#data.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
      }
      ${
        admin && d
          ? html`<section class="card" aria-labelledby="add-h">
            <h2 id="add-h">Add an agent</h2>
            <drm-enroll-panel .tenantId=${this.tenantId} .sites=${d.sites} @drm-token-created=${() => this.#tokens.reload()}></drm-enroll-panel>
            ${this.#tokenList()}
          </section>`
          : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-agents-view': DrmAgentsView;
  }
}
