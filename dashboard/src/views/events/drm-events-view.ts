import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Event as DrmEvent, EventKind } from '@drm/protocol';
import { listAgents } from '../../api/agents.js';
import { errorMessage } from '../../api/errors.js';
import { listEvents } from '../../api/events.js';
import { listAllDevices } from '../../api/inventory.js';
import { subscribeTenant } from '../../api/live.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { navigate, toast } from '../../lib/dom-events.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';
import '../shared/drm-event-list.js';
import { filterSelect } from '../../lib/filter-select.js';

const PAGE = 50;

/** Traps and agent events, newest first, filtered by kind, device and time; new traps arrive live. */
@customElement('drm-events-view')
export class DrmEventsView extends LitElement {
  static override styles = [base];

  @property() tenantId = '';
  @property() kind = '';
  @property() deviceId = '';
  /** `datetime-local` text; not in the address, since "since" is usually about now. */
  @state() private _since = '';
  @state() private _more: DrmEvent[] = [];
  @state() private _cursor: string | null = null;
  @state() private _newTraps = 0;

  readonly #devices = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: async ([tenantId], signal) => {
      const [devices, agents] = await Promise.all([
        listAllDevices(tenantId, signal),
        listAgents(tenantId, signal),
      ]);
      return { items: devices.items, agents: agents.items };
    },
  });

  readonly #events = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.kind, this.deviceId, this._since] : null),
    task: async ([tenantId, kind, deviceId, since], signal) => {
      const page = await listEvents(
        tenantId,
        {
          kind: (kind || undefined) as EventKind | undefined,
          deviceId: deviceId || undefined,
          since: since ? new Date(since).toISOString() : undefined,
          limit: PAGE,
        },
        signal,
      );
      this._more = [];
      this._cursor = page.nextCursor;
      return page.items;
    },
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => this.tenantId || null,
      subscribe: () =>
        subscribeTenant(this.tenantId, (ev) => {
          // A trap stored between the list's load and the subscription would otherwise be missed.
          if (ev.type === 'subscribed') void this.#events.reload();
          if (ev.type !== 'trap') return;
          if (this.kind && this.kind !== 'trap') return;
          if (this.deviceId && ev.trap.deviceId !== this.deviceId) return;
          // The live frame is a summary; the list shows the stored event, so fetch it.
          this._newTraps += 1;
          void this.#events.reload();
        }),
    });
  }

  #filter(patch: { kind?: string; deviceId?: string }) {
    const next = { kind: this.kind, deviceId: this.deviceId, ...patch };
    navigate(
      routeUrl({
        name: 'events',
        tenantId: this.tenantId,
        ...(next.kind && { kind: next.kind as EventKind }),
        ...(next.deviceId && { deviceId: next.deviceId }),
      }),
      { replace: true },
    );
  }

  async #loadMore() {
    if (!this._cursor) return;
    try {
      const page = await listEvents(this.tenantId, {
        kind: (this.kind || undefined) as EventKind | undefined,
        deviceId: this.deviceId || undefined,
        since: this._since ? new Date(this._since).toISOString() : undefined,
        cursor: this._cursor,
        limit: PAGE,
      });
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  override render() {
    const devices = this.#devices.value?.items ?? [];
    const events = this.#events.value ? [...this.#events.value, ...this._more] : null;
    return html`<div class="page-head"><h1>Events</h1></div>
      <form class="filters" role="search" aria-label="Filter events" @submit=${(e: Event) => e.preventDefault()}>
        ${filterSelect({
          id: 'f-kind',
          label: 'Kind',
          value: this.kind,
          options: EventKind.options.map((k) => [k, k] as const),
          onChange: (kind) => this.#filter({ kind }),
        })}
        ${filterSelect({
          id: 'f-device',
          label: 'Device',
          value: this.deviceId,
          options: devices.map((d) => [d.id, d.name] as const),
          onChange: (deviceId) => this.#filter({ deviceId }),
        })}
        <div class="field">
          <label for="f-since">Since</label>
          <input id="f-since" type="datetime-local" .value=${this._since} @change=${(e: Event) => (this._since = (e.target as HTMLInputElement).value)} />
        </div>
      </form>
      <p class="sr-only" role="status" aria-live="polite">${this._newTraps ? `${this._newTraps} new trap${this._newTraps === 1 ? '' : 's'}` : ''}</p>
      <drm-error-panel .error=${this.#events.error} retry @drm-retry=${() => this.#events.reload()}></drm-error-panel>
      ${
        events === null
          ? this.#events.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : html`<drm-event-list .events=${events} .devices=${devices} .agents=${this.#devices.value?.agents ?? []}></drm-event-list>
            ${this._cursor ? html`<p><button @click=${this.#loadMore}>Load more</button></p>` : nothing}`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-events-view': DrmEventsView;
  }
}
