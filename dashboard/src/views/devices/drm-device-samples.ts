import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type LiveSample, oidIsUnder, type Sample, type ScheduleDto } from '@drm/protocol';
import { getLatestSamples, listSamples } from '../../api/inventory.js';
import { subscribeDevice } from '../../api/live.js';
import { ClockController } from '../../controllers/clock.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { formatDateTime, timeAgo, timeticks } from '../../lib/format.js';
import { displayName } from '../../lib/oid-names.js';
import { type Point, ratePoints, withGaps } from '../../lib/series.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-time-chart.js';

const RANGES = [
  ['1h', 'Last hour', 3600_000],
  ['6h', 'Last 6 hours', 6 * 3600_000],
  ['24h', 'Last 24 hours', 24 * 3600_000],
  ['7d', 'Last 7 days', 7 * 24 * 3600_000],
] as const;
type RangeKey = (typeof RANGES)[number][0];
/** More charts than this on one page helps nobody; the latest values table still lists all. */
const MAX_CHARTS = 12;

type Latest = Pick<Sample, 'oid' | 'name' | 'ts' | 'valueNum' | 'valueText'>;

/** The poll interval behind an OID: the shortest enabled schedule of this device covering it. */
export function intervalFor(oid: string, schedules: readonly ScheduleDto[]): number | null {
  let best: number | null = null;
  for (const s of schedules) {
    if (!s.enabled) continue;
    const covers =
      s.kind === 'snmp.walk' ? oidIsUnder(oid, s.params.oid) : s.params.oids.some((o) => oidIsUnder(oid, o));
    if (covers && (best === null || s.intervalSeconds * 1000 < best)) best = s.intervalSeconds * 1000;
  }
  return best;
}

function toPoint(s: { ts: string; valueNum?: number | null | undefined }): Point {
  return { t: Date.parse(s.ts), v: s.valueNum ?? null };
}

/**
 * A device's polled values: the latest of each OID, and a chart per numeric OID over a chosen
 * window with gaps where polls were missed. New samples arrive live and are appended.
 */
@customElement('drm-device-samples')
export class DrmDeviceSamples extends LitElement {
  static override styles = [
    base,
    css`
      .charts {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr));
      }
      .chart-head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      .chart-head h3 {
        margin: 0;
        font-family: var(--drm-mono);
        font-size: 0.9rem;
      }
      .range {
        max-width: 14rem;
      }
    `,
  ];

  @property() tenantId = '';
  @property() deviceId = '';
  @property({ attribute: false }) schedules: ScheduleDto[] = [];
  @state() private _range: RangeKey = '24h';
  @state() private _rate = new Set<string>();
  /** Points per OID, loaded and then appended live. */
  @state() private _series = new Map<string, Point[]>();
  @state() private _latest = new Map<string, Latest>();
  readonly #clock = new ClockController(this, 30_000);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId && this.deviceId ? [this.tenantId, this.deviceId, this._range] : null),
    task: async ([tenantId, deviceId, range], signal) => {
      const latest = await getLatestSamples(tenantId, deviceId, signal);
      const ms = RANGES.find((r) => r[0] === range)![2];
      const from = new Date(Date.now() - ms).toISOString();
      const numeric = latest.items.filter((s) => s.valueNum !== null).slice(0, MAX_CHARTS);
      const series = await Promise.all(
        numeric.map((s) => listSamples(tenantId, { deviceId, oid: s.oid, from }, signal)),
      );
      this._latest = new Map(latest.items.map((s) => [s.oid, s]));
      this._series = new Map(numeric.map((s, i) => [s.oid, series[i]!.items.map(toPoint)]));
      return { truncated: series.some((s) => s.truncated) };
    },
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => (this.tenantId && this.deviceId ? `${this.tenantId}/${this.deviceId}` : null),
      subscribe: () =>
        subscribeDevice(this.tenantId, this.deviceId, (ev) => {
          if (ev.type === 'samples') this.#append(ev.samples);
        }),
    });
  }

  #append(samples: LiveSample[]) {
    const latest = new Map(this._latest);
    const series = new Map(this._series);
    for (const s of samples) {
      const prev = latest.get(s.oid);
      if (!prev || prev.ts <= s.ts) {
        latest.set(s.oid, {
          oid: s.oid,
          name: s.name ?? prev?.name ?? null,
          ts: s.ts,
          valueNum: s.valueNum ?? null,
          valueText: s.valueText ?? null,
        });
      }
      const points = series.get(s.oid);
      if (points) series.set(s.oid, [...points, toPoint(s)]);
      else if (s.valueNum !== null && s.valueNum !== undefined && series.size < MAX_CHARTS) {
        series.set(s.oid, [toPoint(s)]);
      }
    }
    this._latest = latest;
    this._series = series;
  }

  #toggleRate(oid: string, on: boolean) {
    const next = new Set(this._rate);
    if (on) next.add(oid);
    else next.delete(oid);
    this._rate = next;
  }

  #chart(oid: string, points: Point[]) {
    const name = displayName(oid, this._latest.get(oid)?.name) ?? oid;
    const rate = this._rate.has(oid);
    const interval = intervalFor(oid, this.schedules);
    const data = withGaps(rate ? ratePoints(points) : points, interval);
    const id = `rate-${oid.replaceAll('.', '-')}`;
    return html`<section class="card">
      <div class="chart-head">
        <h3 title=${oid}>${name}</h3>
        <label class="check small" for=${id}>
          <input id=${id} type="checkbox" .checked=${rate} @change=${(e: Event) => this.#toggleRate(oid, (e.target as HTMLInputElement).checked)} />
          Change per second
        </label>
      </div>
      <drm-time-chart .label=${name} .data=${data} .unit=${rate ? '/s' : ''}></drm-time-chart>
    </section>`;
  }

  #value(s: Latest) {
    if (s.valueText !== null) return s.valueText;
    if (s.valueNum === null) return '—';
    // sysUpTime is in hundredths of a second (TimeTicks): say how long that is too.
    const name = displayName(s.oid, s.name) ?? '';
    return name.startsWith('sysUpTime')
      ? `${s.valueNum.toLocaleString()} (${timeticks(s.valueNum)})`
      : s.valueNum.toLocaleString();
  }

  #latestTable() {
    const rows = [...this._latest.values()];
    if (rows.length === 0) {
      return html`<p class="muted">No polled values yet. Values appear here once a schedule polls this device.</p>`;
    }
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">OID</th>
            <th scope="col">Value</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (s) => html`<tr>
              <th scope="row" class="mono">${displayName(s.oid, s.name) ?? '—'}</th>
              <td class="mono small">${s.oid}</td>
              <td class="mono break">${this.#value(s)}</td>
              <td class="nowrap" title=${formatDateTime(s.ts)}>${timeAgo(s.ts, this.#clock.now)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="latest-h">
        <h2 id="latest-h">Latest values</h2>
        <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
        ${this.#data.loading && this._latest.size === 0 ? html`<p class="muted" role="status">Loading…</p>` : this.#latestTable()}
      </section>
      ${
        this._series.size > 0
          ? html`<section aria-labelledby="charts-h">
            <div class="page-head">
              <h2 id="charts-h">Over time</h2>
              <div class="field range">
                <label for="range">Period</label>
                <select id="range" @change=${(e: Event) => (this._range = (e.target as HTMLSelectElement).value as RangeKey)}>
                  ${RANGES.map(([key, label]) => html`<option value=${key} ?selected=${key === this._range}>${label}</option>`)}
                </select>
              </div>
            </div>
            ${
              this.#data.value?.truncated
                ? html`<p class="notice warn small">Some series have more samples than one chart loads; choose a shorter period.</p>`
                : nothing
            }
            <div class="charts">${[...this._series].map(([oid, points]) => this.#chart(oid, points))}</div>
          </section>`
          : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-device-samples': DrmDeviceSamples;
  }
}
