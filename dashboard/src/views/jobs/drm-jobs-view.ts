import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Job, JobKind, JobStatus } from '@drm/protocol';
import { errorMessage } from '../../api/errors.js';
import { listAllDevices } from '../../api/inventory.js';
import { type JobFilters, listJobs, listJobsOfAllTenants } from '../../api/jobs.js';
import { subscribeTenant } from '../../api/live.js';
import { AppContextConsumer } from '../../context.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { kindLabel } from '../../lib/job-summary.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';
import '../shared/drm-job-list.js';
import { filterSelect } from '../../lib/filter-select.js';

const PAGE = 50;
/** How often a list that cannot be followed live (too many tenants for one page) reloads. */
const RELOAD_WHEN_NOT_LIVE_MS = 30_000;

/**
 * Jobs, newest first, filtered by status, kind and device; statuses update live. A user with
 * roles in several tenants may list the jobs of all of them at once (`allTenants`), each row
 * naming its tenant and linking to the job in its own tenant.
 */
@customElement('drm-jobs-view')
export class DrmJobsView extends LitElement {
  static override styles = [base];

  @property() tenantId = '';
  @property() status = '';
  @property() kind = '';
  @property() deviceId = '';
  @property({ type: Boolean }) allTenants = false;
  @state() private _more: Job[] = [];
  @state() private _cursor: string | null = null;
  @state() private _loadingMore = false;
  /** Some listed tenant could not be followed live: the list reloads on a timer instead. */
  @state() private _notLive = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #devices = new Resource(this, {
    // For the device filter, which a list of every tenant's jobs does not offer.
    args: () => (this.tenantId && !this.allTenants ? [this.tenantId] : null),
    task: ([tenantId], signal) => listAllDevices(tenantId, signal),
  });

  /** Counts first pages, so that a "Load more" answer for an earlier list is not appended. */
  #generation = 0;

  readonly #jobs = new Resource(this, {
    args: () =>
      this.tenantId ? [this.tenantId, this.status, this.kind, this.deviceId, this.allTenants] : null,
    task: async ([tenantId, status, kind, deviceId, all], signal) => {
      // A new first page: pages loaded for the list before it (or still loading) are dropped.
      this.#generation += 1;
      this._more = [];
      this._cursor = null;
      const page = await this.#page(tenantId, { status, kind, deviceId, all }, null, signal);
      this._cursor = page.nextCursor;
      return page.items;
    },
  });

  /** One page of this tenant's jobs or, with `all`, of every tenant's (no device filter there). */
  #page(
    tenantId: string,
    f: { status: string; kind: string; deviceId: string; all: boolean },
    cursor: string | null,
    signal?: AbortSignal,
  ) {
    const query: JobFilters & { cursor?: string; limit: number } = {
      status: (f.status || undefined) as JobStatus | undefined,
      kind: (f.kind || undefined) as JobKind | undefined,
      limit: PAGE,
      ...(cursor && { cursor }),
    };
    if (f.all) return listJobsOfAllTenants(query, signal);
    return listJobs(tenantId, { ...query, deviceId: f.deviceId || undefined }, signal);
  }

  /** The tenants whose jobs are listed: the one in view, or all of the user's. */
  #listedTenants(): string[] {
    if (!this.allTenants) return this.tenantId ? [this.tenantId] : [];
    return this.#ctx.value?.tenants.map((t) => t.id) ?? [];
  }

  constructor() {
    super();
    let refresh: ReturnType<typeof setTimeout> | undefined;
    // One reload half a second on, however many changes ask for it meanwhile.
    const refreshSoon = () => {
      refresh ??= setTimeout(() => {
        refresh = undefined;
        void this.#jobs.reload();
      }, 500);
    };
    new LiveController(this, {
      key: () => this.#listedTenants().join(',') || null,
      subscribe: () => {
        let fallback: ReturnType<typeof setInterval> | undefined;
        const onEvent = (ev: Parameters<Parameters<typeof subscribeTenant>[1]>[0]) => {
          // Past the live topics one page may hold (an MSP user with hundreds of tenants), the
          // list would go stale without a word: say so, and reload it on a timer instead.
          if (ev.type === 'error') {
            if (ev.code === 'too_many_topics' && fallback === undefined) {
              fallback = setInterval(() => void this.#jobs.reload(), RELOAD_WHEN_NOT_LIVE_MS);
              queueMicrotask(() => {
                this._notLive = true;
              });
            }
            return;
          }
          // A job that changed between the list's load and the subscription would show stale.
          // Once for all the tenants subscribed at once (each reload reads every listed tenant).
          if (ev.type === 'subscribed') refreshSoon();
          if (ev.type !== 'job') return;
          // A list being loaded may predate this change: merged now, it would be overwritten.
          if (this.#jobs.loading) {
            refreshSoon();
            return;
          }
          const patch = (list: Job[]): Job[] | null => {
            const i = list.findIndex((j) => j.id === ev.job.jobId);
            if (i < 0) return null;
            const next = [...list];
            next[i] = {
              ...next[i]!,
              status: ev.job.status,
              progress: ev.job.progress,
              finishedAt: ev.job.finishedAt,
            };
            return next;
          };
          const first = this.#jobs.value && patch(this.#jobs.value);
          const more = first ? null : patch(this._more);
          if (first) {
            this.#jobs.value = first;
            this.requestUpdate();
          } else if (more) {
            this._more = more;
          } else {
            // A job the list does not hold (new, or beyond the pages loaded).
            refreshSoon();
          }
        };
        const offs = this.#listedTenants().map((t) => subscribeTenant(t, onEvent));
        return () => {
          clearTimeout(refresh);
          refresh = undefined;
          clearInterval(fallback);
          // After this update, and before any notice of the subscription that follows.
          queueMicrotask(() => {
            this._notLive = false;
          });
          for (const off of offs) off();
        };
      },
    });
  }

  #filter(patch: { status?: string; kind?: string; deviceId?: string; allTenants?: boolean }) {
    const next = {
      status: this.status,
      kind: this.kind,
      deviceId: this.deviceId,
      allTenants: this.allTenants,
      ...patch,
    };
    navigate(
      routeUrl({
        name: 'jobs',
        tenantId: this.tenantId,
        ...(next.status && { status: next.status as JobStatus }),
        ...(next.kind && { kind: next.kind as JobKind }),
        // A device belongs to one tenant: its filter does not go with a list of all of them.
        ...(next.deviceId && !next.allTenants && { deviceId: next.deviceId }),
        ...(next.allTenants && { allTenants: true as const }),
      }),
      { replace: true },
    );
  }

  async #loadMore() {
    if (!this._cursor) return;
    this._loadingMore = true;
    try {
      const f = { status: this.status, kind: this.kind, deviceId: this.deviceId, all: this.allTenants };
      const generation = this.#generation;
      const page = await this.#page(this.tenantId, f, this._cursor);
      // The list changed meanwhile (another tenant scope, a filter, a reload): not its page.
      if (generation !== this.#generation) return;
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._loadingMore = false;
    }
  }

  #select(
    id: string,
    label: string,
    value: string,
    options: [string, string][],
    key: 'status' | 'kind' | 'deviceId',
  ) {
    return filterSelect({ id, label, value, options, onChange: (v) => this.#filter({ [key]: v }) });
  }

  override render() {
    const jobs = this.#jobs.value ? [...this.#jobs.value, ...this._more] : null;
    const devices = this.#devices.value?.items ?? [];
    const tenants = this.#ctx.value?.tenants ?? [];
    const filtered = this.status || this.kind || (this.deviceId && !this.allTenants);
    const tenantNames = this.allTenants ? new Map(tenants.map((t) => [t.id, t.name])) : null;
    return html`<div class="page-head">
        <h1>Jobs</h1>
        ${
          can(this.#ctx.value?.role, 'jobs.write')
            ? html`<a class="button primary" href=${routeUrl({ name: 'job-new', tenantId: this.tenantId, ...(this.deviceId && { deviceId: this.deviceId }) })}
              >New job</a
            >`
            : nothing
        }
      </div>
      <form class="filters" role="search" aria-label="Filter jobs" @submit=${(e: Event) => e.preventDefault()}>
        ${
          tenants.length > 1 || this.allTenants
            ? html`<div class="field">
              <label for="f-tenants">Jobs of</label>
              <select
                id="f-tenants"
                @change=${(e: Event) => this.#filter({ allTenants: (e.target as HTMLSelectElement).value === 'all' })}
              >
                <option value="" ?selected=${!this.allTenants}>${this.#ctx.value?.tenant.name ?? 'This tenant'}</option>
                <option value="all" ?selected=${this.allTenants}>All my tenants (${tenants.length})</option>
              </select>
            </div>`
            : nothing
        }
        ${this.#select(
          'f-status',
          'Status',
          this.status,
          JobStatus.options.map((s) => [s, s]),
          'status',
        )}
        ${this.#select(
          'f-kind',
          'Kind',
          this.kind,
          JobKind.options.map((k) => [k, kindLabel(k)]),
          'kind',
        )}
        ${
          this.allTenants
            ? nothing
            : this.#select(
                'f-device',
                'Device',
                this.deviceId,
                devices.map((d) => [d.id, d.name]),
                'deviceId',
              )
        }
      </form>
      ${
        this._notLive
          ? html`<p class="muted" role="status">
            Too many tenants to follow live on one page: this list reloads every
            ${RELOAD_WHEN_NOT_LIVE_MS / 1000} seconds.
          </p>`
          : nothing
      }
      <drm-error-panel .error=${this.#jobs.error} retry @drm-retry=${() => this.#jobs.reload()}></drm-error-panel>
      ${
        jobs === null
          ? this.#jobs.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : jobs.length === 0
            ? html`<p class="muted" role="status">${filtered ? 'No job matches these filters.' : 'No jobs yet.'}</p>`
            : html`<drm-job-list .jobs=${jobs} .tenantNames=${tenantNames}></drm-job-list>
              ${
                this._cursor
                  ? html`<p><button @click=${this.#loadMore} ?disabled=${this._loadingMore}>
                    ${this._loadingMore ? 'Loading…' : 'Load more'}
                  </button></p>`
                  : nothing
              }`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-jobs-view': DrmJobsView;
  }
}
