import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Agent, Device, Event as DrmEvent, Job, LiveAgentState, Site } from '@drm/protocol';
import { listAgents } from '../../api/agents.js';
import { listEvents } from '../../api/events.js';
import { createSite, listAllDevices, listSites } from '../../api/inventory.js';
import { listJobs } from '../../api/jobs.js';
import { subscribeAgents, subscribeTenant } from '../../api/live.js';
import { mergeJobState, withLiveAgents } from '../../api/live-state.js';
import { AppContextConsumer } from '../../context.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';
import '../shared/drm-job-list.js';
import '../shared/drm-event-list.js';
import '../shared/drm-site-form.js';
import './drm-site-card.js';

interface Overview {
  sites: Site[];
  agents: Agent[];
  devices: Device[];
  jobs: Job[];
  events: DrmEvent[];
}

/** The first page: sites with their agents and backlog, live; recent jobs and events. */
@customElement('drm-overview-view')
export class DrmOverviewView extends LitElement {
  static override styles = [
    base,
    css`
      .stats {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 11rem), 1fr));
        margin-bottom: 1rem;
      }
      .stat {
        margin: 0;
      }
      .stat .n {
        font-size: 1.6rem;
        font-weight: 700;
        display: block;
      }
      .stat .bad {
        color: var(--drm-bad);
      }
    `,
  ];

  @property() tenantId = '';
  @state() private _live = new Map<string, LiveAgentState>();
  @state() private _addingSite = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: async ([tenantId], signal): Promise<Overview> => {
      const [sites, agents, devices, jobs, events] = await Promise.all([
        listSites(tenantId, signal),
        listAgents(tenantId, signal),
        listAllDevices(tenantId, signal),
        listJobs(tenantId, { limit: 8 }, signal),
        listEvents(tenantId, { limit: 8 }, signal),
      ]);
      return {
        sites: sites.items,
        agents: agents.items,
        devices: devices.items,
        jobs: jobs.items,
        events: events.items,
      };
    },
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => this.tenantId || null,
      subscribe: () => {
        const offAgents = subscribeAgents(this.tenantId, (ev) => {
          if (ev.type === 'snapshot') this._live = new Map(ev.agents.map((a) => [a.agentId, a]));
          else if (ev.type === 'updated') {
            this._live = new Map(this._live).set(ev.agent.agentId, ev.agent);
            // An agent the page has not listed yet has just enrolled.
            if (!this.#data.value?.agents.some((a) => a.id === ev.agent.agentId)) void this.#data.reload();
          }
        });
        const offTenant = subscribeTenant(this.tenantId, (ev) => {
          // What changed between the page's load and the subscription would otherwise show stale.
          if (ev.type === 'subscribed') {
            void this.#data.reload();
            return;
          }
          const data = this.#data.value;
          if (!data) return;
          // A load in flight may predate this change: load again rather than merge into it.
          if (this.#data.loading && ev.type !== 'error') {
            void this.#data.reload();
            return;
          }
          if (ev.type === 'job') {
            const i = data.jobs.findIndex((j) => j.id === ev.job.jobId);
            if (i < 0) void this.#data.reload();
            else {
              const jobs = [...data.jobs];
              const merged = mergeJobState(null, ev.job);
              jobs[i] = {
                ...jobs[i]!,
                status: merged.status,
                progress: merged.progress,
                finishedAt: merged.finishedAt,
              };
              this.#data.value = { ...data, jobs };
              this.requestUpdate();
            }
          } else if (ev.type === 'trap') void this.#data.reload();
        });
        return () => {
          offAgents();
          offTenant();
        };
      },
    });
  }

  async #addSite(ev: CustomEvent<{ name: string; address: string; description: string }>) {
    try {
      const site = await createSite(this.tenantId, ev.detail);
      toast(this, 'ok', `Site ${site.name} added`);
      this._addingSite = false;
      await this.#data.reload();
    } catch (err) {
      (ev.target as HTMLElement & { error: unknown }).error = err;
    }
  }

  #stats(d: Overview, agents: Agent[]) {
    const live = agents.filter((a) => a.state !== 'revoked');
    const online = live.filter((a) => a.state === 'online').length;
    const backlog = live.reduce((n, a) => n + (a.outbox?.count ?? 0), 0);
    const dropped = live.reduce((n, a) => n + (a.outbox?.dropped ?? 0), 0);
    const active = d.jobs.filter((j) => ['queued', 'dispatched', 'running'].includes(j.status)).length;
    return html`<div class="stats">
      <p class="card stat">
        <span class="n ${online < live.length ? 'bad' : ''}">${online} / ${live.length}</span>agents online
      </p>
      <p class="card stat"><span class="n">${d.devices.length}</span>devices</p>
      <p class="card stat"><span class="n">${backlog.toLocaleString()}</span>results waiting at the edge</p>
      <p class="card stat"><span class="n ${dropped ? 'bad' : ''}">${dropped.toLocaleString()}</span>dropped at the edge</p>
      <p class="card stat"><span class="n">${active}</span>jobs in progress (recent)</p>
    </div>`;
  }

  async #siteChanged(ev: CustomEvent<{ deleted: boolean }>) {
    await this.#data.reload();
    if (!ev.detail.deleted) return;
    // The card that had focus is gone: back to the page's heading.
    (this.renderRoot.querySelector('h1') as HTMLElement | null)?.focus();
  }

  #site(site: Site, agents: Agent[], devices: Device[], manage: boolean) {
    return html`<drm-site-card
      .tenantId=${this.tenantId}
      .site=${site}
      .agents=${agents.filter((a) => a.siteId === site.id)}
      .devices=${devices.filter((d) => d.siteId === site.id)}
      ?manage=${manage}
      @drm-site-changed=${this.#siteChanged}
    ></drm-site-card>`;
  }

  override render() {
    const d = this.#data.value;
    const role = this.#ctx.value?.role;
    const agents = d ? withLiveAgents(d.agents, this._live) : [];
    return html`<div class="page-head">
        <h1>Overview</h1>
        <div class="actions">
          ${
            can(role, 'sites.write')
              ? html`<button @click=${() => (this._addingSite = !this._addingSite)} aria-expanded=${this._addingSite}>
                Add site
              </button>`
              : nothing
          }
          ${
            can(role, 'jobs.write')
              ? html`<a class="button primary" href=${routeUrl({ name: 'job-new', tenantId: this.tenantId })}>New job</a>`
              : nothing
          }
        </div>
      </div>
      ${
        this._addingSite
          ? html`<drm-site-form
            @drm-submit=${this.#addSite}
            @drm-cancel=${() => (this._addingSite = false)}
          ></drm-site-form>`
          : nothing
      }
      <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
      ${
        !d
          ? this.#data.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : html`${this.#stats(d, agents)}
            ${
              d.sites.length === 0
                ? html`<div class="card">
                  <h2>No sites yet</h2>
                  <p>A site is a customer location where an agent runs.
                    ${can(role, 'sites.write') ? 'Add one to enroll its agent.' : 'An admin of this tenant can add one.'}</p>
                </div>`
                : // Keyed: a card's open form or message stays with its site when another is deleted.
                  repeat(
                    d.sites,
                    (s) => s.id,
                    (s) => this.#site(s, agents, d.devices, can(role, 'sites.write')),
                  )
            }
            <div class="grid">
              <section class="card" aria-labelledby="recent-jobs">
                <h2 id="recent-jobs">Recent jobs</h2>
                <drm-job-list .jobs=${d.jobs} compact></drm-job-list>
                <p class="small"><a href=${routeUrl({ name: 'jobs', tenantId: this.tenantId })}>All jobs</a></p>
              </section>
              <section class="card" aria-labelledby="recent-events">
                <h2 id="recent-events">Recent events</h2>
                <drm-event-list .events=${d.events} .devices=${d.devices} compact></drm-event-list>
                <p class="small"><a href=${routeUrl({ name: 'events', tenantId: this.tenantId })}>All events</a></p>
              </section>
            </div>`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-overview-view': DrmOverviewView;
  }
}
