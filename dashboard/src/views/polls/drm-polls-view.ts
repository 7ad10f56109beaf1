import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ScheduleDto, ScheduleKind } from '@drm/protocol';
import { errorMessage } from '../../api/errors.js';
import { listAllDevices } from '../../api/inventory.js';
import { deleteSchedule, listSchedules, type ScheduleFilters, updateSchedule } from '../../api/schedules.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { kindLabel } from '../../lib/job-summary.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import type { PollActionDetail } from '../shared/drm-poll-list.js';
import '../../components/drm-error-panel.js';
import '../shared/drm-poll-list.js';
import { filterSelect } from '../../lib/filter-select.js';

const PAGE = 50;

function filtersOf(kind: string, deviceId: string): ScheduleFilters {
  return { kind: (kind || undefined) as ScheduleKind | undefined, deviceId: deviceId || undefined };
}

/** The tenant's polls (schedules), newest first, filtered by kind and device. */
@customElement('drm-polls-view')
export class DrmPollsView extends LitElement {
  static override styles = [base];

  @property() tenantId = '';
  @property() kind = '';
  @property() deviceId = '';
  @state() private _more: ScheduleDto[] = [];
  @state() private _cursor: string | null = null;
  @state() private _loadingMore = false;
  @state() private _busy = new Set<string>();
  readonly #ctx = new AppContextConsumer(this);

  readonly #devices = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: ([tenantId], signal) => listAllDevices(tenantId, signal),
  });

  readonly #polls = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.kind, this.deviceId] : null),
    task: async ([tenantId, kind, deviceId], signal) => {
      const page = await listSchedules(tenantId, { ...filtersOf(kind, deviceId), limit: PAGE }, signal);
      this._more = [];
      this._cursor = page.nextCursor;
      return page.items;
    },
  });

  #filter(patch: { kind?: string; deviceId?: string }) {
    const next = { kind: this.kind, deviceId: this.deviceId, ...patch };
    navigate(
      routeUrl({
        name: 'polls',
        tenantId: this.tenantId,
        ...(next.kind && { kind: next.kind as ScheduleKind }),
        ...(next.deviceId && { deviceId: next.deviceId }),
      }),
      { replace: true },
    );
  }

  async #loadMore() {
    if (!this._cursor) return;
    this._loadingMore = true;
    try {
      const page = await listSchedules(this.tenantId, {
        ...filtersOf(this.kind, this.deviceId),
        cursor: this._cursor,
        limit: PAGE,
      });
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._loadingMore = false;
    }
  }

  /** Puts the changed poll in place (`null`: takes it out), wherever it is listed. */
  #replace(id: string, next: ScheduleDto | null) {
    const swap = (list: ScheduleDto[]) => list.flatMap((s) => (s.id !== id ? [s] : next ? [next] : []));
    if (this.#polls.value) this.#polls.value = swap(this.#polls.value);
    this._more = swap(this._more);
    this.requestUpdate();
  }

  async #busyWith(id: string, work: () => Promise<void>) {
    this._busy = new Set([...this._busy, id]);
    try {
      await work();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._busy = new Set([...this._busy].filter((x) => x !== id));
    }
  }

  #toggle = (e: CustomEvent<PollActionDetail>) => {
    const s = e.detail.schedule;
    void this.#busyWith(s.id, async () => {
      const updated = await updateSchedule(this.tenantId, s.id, { enabled: !s.enabled });
      this.#replace(s.id, updated);
      toast(this, 'ok', `${updated.name} ${updated.enabled ? 'enabled' : 'disabled'}`);
    });
  };

  #delete = (e: CustomEvent<PollActionDetail>) => {
    const s = e.detail.schedule;
    void this.#busyWith(s.id, async () => {
      await deleteSchedule(this.tenantId, s.id);
      this.#replace(s.id, null);
      toast(this, 'ok', `${s.name} deleted`);
    });
  };

  #select(id: string, label: string, value: string, options: [string, string][], key: 'kind' | 'deviceId') {
    return filterSelect({ id, label, value, options, onChange: (v) => this.#filter({ [key]: v }) });
  }

  #list(polls: ScheduleDto[], write: boolean) {
    if (polls.length === 0) {
      const filtered = this.kind || this.deviceId;
      return html`<p class="muted" role="status">
        ${filtered ? 'No poll matches these filters.' : 'No polls yet. A poll reads values from devices at a set interval; they show as charts on each device’s page.'}
      </p>`;
    }
    return html`<p class="sr-only" role="status">${polls.length} polls</p>
      <drm-poll-list
        .tenantId=${this.tenantId}
        .schedules=${polls}
        .busy=${this._busy}
        ?write=${write}
        @drm-poll-toggle=${this.#toggle}
        @drm-poll-delete=${this.#delete}
      ></drm-poll-list>
      ${
        this._cursor
          ? html`<p><button @click=${this.#loadMore} ?disabled=${this._loadingMore}>
            ${this._loadingMore ? 'Loading…' : 'Load more'}
          </button></p>`
          : nothing
      }`;
  }

  override render() {
    const polls = this.#polls.value ? [...this.#polls.value, ...this._more] : null;
    const devices = this.#devices.value?.items ?? [];
    const write = can(this.#ctx.value?.role, 'schedules.write');
    return html`<div class="page-head">
        <h1>Polls</h1>
        ${
          write
            ? html`<a class="button primary" href=${routeUrl({ name: 'poll-new', tenantId: this.tenantId, ...(this.deviceId && { deviceId: this.deviceId }) })}
              >New poll</a
            >`
            : nothing
        }
      </div>
      <form class="filters" role="search" aria-label="Filter polls" @submit=${(e: Event) => e.preventDefault()}>
        ${this.#select(
          'f-kind',
          'Kind',
          this.kind,
          ScheduleKind.options.map((k) => [k, kindLabel(k)]),
          'kind',
        )}
        ${this.#select(
          'f-device',
          'Device',
          this.deviceId,
          devices.map((d) => [d.id, d.name]),
          'deviceId',
        )}
      </form>
      <drm-error-panel .error=${this.#polls.error} retry @drm-retry=${() => this.#polls.reload()}></drm-error-panel>
      ${
        polls === null
          ? this.#polls.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : this.#list(polls, write)
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-polls-view': DrmPollsView;
  }
}
