import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { listAgents } from '../../api/agents.js';
import { errorMessage } from '../../api/errors.js';
import { deleteDevice, getDevice, listCredentials, listSites } from '../../api/inventory.js';
import { listJobs } from '../../api/jobs.js';
import { subscribeDevice } from '../../api/live.js';
import { listAllSchedules } from '../../api/schedules.js';
import { AppContextConsumer } from '../../context.js';
import { ClockController } from '../../controllers/clock.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { duration, timeAgo } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-status-badge.js';
import '../shared/drm-job-list.js';
import '../shared/drm-poll-list.js';
import './drm-device-samples.js';

/** One device: where it is, how it is reached, its polls and polled values over time, and its jobs. */
@customElement('drm-device-view')
export class DrmDeviceView extends LitElement {
  static override styles = [
    base,
    css`
      .sub {
        color: var(--drm-muted);
        margin: 0.25rem 0 0;
      }
      .section-head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        justify-content: space-between;
        margin-bottom: 0.75rem;
      }
      .section-head h2 {
        margin: 0;
      }
    `,
  ];

  @property() tenantId = '';
  @property() deviceId = '';
  readonly #ctx = new AppContextConsumer(this);
  readonly #clock = new ClockController(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId && this.deviceId ? [this.tenantId, this.deviceId] : null),
    task: async ([tenantId, deviceId], signal) => {
      const device = await getDevice(tenantId, deviceId, signal);
      const [sites, agents, credentials, schedules] = await Promise.all([
        listSites(tenantId, signal),
        listAgents(tenantId, signal),
        listCredentials(tenantId, signal),
        listAllSchedules(tenantId, { deviceId }, signal),
      ]);
      return {
        device,
        site: sites.items.find((s) => s.id === device.siteId),
        agent: agents.items.find((a) => a.id === device.agentId),
        credentials: new Map(credentials.items.map((c) => [c.id, c])),
        schedules: schedules.items,
      };
    },
  });

  readonly #jobs = new Resource(this, {
    args: () => (this.tenantId && this.deviceId ? [this.tenantId, this.deviceId] : null),
    task: ([tenantId, deviceId], signal) => listJobs(tenantId, { deviceId, limit: 10 }, signal),
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => (this.tenantId && this.deviceId ? `${this.tenantId}/${this.deviceId}` : null),
      subscribe: () =>
        subscribeDevice(this.tenantId, this.deviceId, (ev) => {
          // A job that changed between the list's load and the subscription would show stale.
          if (ev.type === 'job' || ev.type === 'subscribed') void this.#jobs.reload();
          // Samples of a schedule this page has not listed: one was added since it loaded.
          const known = new Set(this.#data.value?.schedules.map((s) => s.id));
          if (ev.type === 'samples' && ev.samples.some((s) => !known.has(s.scheduleId)))
            void this.#data.reload();
        }),
    });
  }

  async #delete() {
    const name = this.#data.value?.device.name ?? 'The device';
    try {
      await deleteDevice(this.tenantId, this.deviceId);
      toast(this, 'ok', `${name} deleted`);
      navigate(routeUrl({ name: 'devices', tenantId: this.tenantId }), { replace: true });
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  override render() {
    const d = this.#data.value;
    const role = this.#ctx.value?.role;
    const write = can(role, 'devices.write');
    if (!d) {
      return html`<div class="page-head"><h1>Device</h1></div>
        <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
        ${this.#data.loading ? html`<p class="muted" role="status">Loading…</p>` : nothing}`;
    }
    const { device, site, agent, credentials, schedules } = d;
    const snmpCred = device.snmp?.credentialId ? credentials.get(device.snmp.credentialId) : undefined;
    return html`<div class="page-head">
        <div>
          <h1>${device.name}</h1>
          <p class="sub"><span class="mono">${device.address}</span>${site ? ` · ${site.name}` : ''}</p>
        </div>
        <div class="actions">
          ${
            can(role, 'jobs.write')
              ? html`<a class="button primary" href=${routeUrl({ name: 'job-new', tenantId: this.tenantId, deviceId: device.id })}
                >Run a job</a
              >`
              : nothing
          }
          ${
            write
              ? html`<a class="button" href=${routeUrl({ name: 'device-edit', tenantId: this.tenantId, deviceId: device.id })}>Edit</a>
                <drm-confirm-button
                  danger
                  heading="Delete ${device.name}?"
                  message="Its samples and job history go with it. This cannot be undone."
                  confirm-label="Delete device"
                  @drm-confirm=${this.#delete}
                  >Delete</drm-confirm-button
                >`
              : nothing
          }
        </div>
      </div>
      <div class="grid">
        <section class="card" aria-labelledby="access-h">
          <h2 id="access-h">Access</h2>
          <dl class="facts">
            <dt>Agent</dt>
            <dd>
              ${
                agent
                  ? html`${agent.name} <drm-status-badge status=${agent.state}></drm-status-badge>
                    <span class="muted small">seen ${timeAgo(agent.lastSeenAt, this.#clock.now)}</span>`
                  : html`<span class="muted">None: jobs on this device will not run until one is assigned</span>`
              }
            </dd>
            <dt>SNMP</dt>
            <dd>
              ${
                device.snmp
                  ? html`v${device.snmp.version}, port ${device.snmp.port}, timeout ${duration(device.snmp.timeoutMs)},
                    ${device.snmp.retries} retr${device.snmp.retries === 1 ? 'y' : 'ies'}
                    <br /><span class="small">credential: ${
                      snmpCred
                        ? html`<a href=${routeUrl({ name: 'credential', tenantId: this.tenantId, credentialId: snmpCred.id })}>${snmpCred.name}</a>`
                        : device.snmp.credentialId
                          ? 'unknown'
                          : 'none'
                    }</span>`
                  : html`<span class="muted">not configured</span>`
              }
            </dd>
            <dt>TR-181</dt>
            <dd>${device.tr181 ? (device.tr181.url ?? 'configured') : html`<span class="muted">not configured</span>`}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="about-h">
          <h2 id="about-h">About</h2>
          <dl class="facts">
            <dt>Description</dt>
            <dd>${device.description || html`<span class="muted">none</span>`}</dd>
            <dt>Tags</dt>
            <dd>${device.tags.join(', ') || html`<span class="muted">none</span>`}</dd>
            <dt>Id</dt>
            <dd class="mono small">${device.id}</dd>
          </dl>
        </section>
      </div>
      <section class="card" aria-labelledby="polls-h">
        <div class="section-head">
          <h2 id="polls-h">Polls</h2>
          ${
            can(role, 'schedules.write')
              ? html`<a class="button" href=${routeUrl({ name: 'poll-new', tenantId: this.tenantId, deviceId: device.id })}>Add poll</a>`
              : nothing
          }
        </div>
        ${
          schedules.length
            ? html`<drm-poll-list hide-devices .tenantId=${this.tenantId} .schedules=${schedules}></drm-poll-list>`
            : html`<p class="muted">Nothing polls this device: its values are read only when a job runs.</p>`
        }
      </section>
      <drm-device-samples .tenantId=${this.tenantId} .deviceId=${this.deviceId} .schedules=${schedules}></drm-device-samples>
      <section class="card" aria-labelledby="jobs-h">
        <h2 id="jobs-h">Recent jobs</h2>
        <drm-job-list .jobs=${this.#jobs.value?.items ?? []}></drm-job-list>
        <p class="small">
          <a href=${routeUrl({ name: 'jobs', tenantId: this.tenantId, deviceId: device.id })}>All jobs on this device</a>
        </p>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-device-view': DrmDeviceView;
  }
}
