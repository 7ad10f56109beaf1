import { css, html, LitElement, type PropertyValues, unsafeCSS } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { SeriesData } from '../lib/series.js';

const HEIGHT = 180;

function summary(data: SeriesData): { count: number; last?: number; min?: number; max?: number } {
  const values = data[1].filter((v): v is number => v !== null);
  if (values.length === 0) return { count: 0 };
  return { count: values.length, last: values.at(-1)!, min: Math.min(...values), max: Math.max(...values) };
}

const COMPACT = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 2 });
const FULL = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

/** Full figures for the legend and the summary ("4,294,967,295"). */
function fmt(n: number | undefined | null): string {
  return n === undefined || n === null ? '—' : FULL.format(n);
}

/** Short figures for the axis ("4.29B"), which has little room. */
function tick(n: number): string {
  return COMPACT.format(n);
}

/**
 * A time series drawn by uPlot (canvas: thousands of points stay fast). `null` values break
 * the line, so missed polls show as gaps, never as a straight bridge. For screen readers the
 * chart is an image described by its latest, lowest and highest values.
 */
@customElement('drm-time-chart')
export class DrmTimeChart extends LitElement {
  static override styles = [
    unsafeCSS(uPlotCss),
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .plot {
        min-height: ${HEIGHT}px;
      }
      .empty {
        display: grid;
        place-items: center;
        min-height: ${HEIGHT}px;
        color: var(--drm-muted);
        font-size: 0.9rem;
        border: 1px dashed var(--drm-border);
        border-radius: var(--drm-radius);
      }
      .u-legend {
        font-size: 0.8rem;
        color: var(--drm-muted);
      }
      .stats {
        font-size: 0.8rem;
        color: var(--drm-muted);
        display: flex;
        gap: 1rem;
        flex-wrap: wrap;
      }
    `,
  ];

  /** What is plotted, e.g. "ifInOctets.2". */
  @property() label = '';
  /** Aligned data: seconds and values, with `null` for gaps (see `withGaps`). */
  @property({ attribute: false }) data: SeriesData = [[], []];
  /** Unit for the axis and the legend ("/s" for rates). */
  @property() unit = '';
  @query('.plot') private _box!: HTMLDivElement;
  #plot: uPlot | null = null;
  #resize: ResizeObserver | null = null;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize?.disconnect();
    this.#plot?.destroy();
    this.#plot = null;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const box = this._box;
    if (!box) {
      this.#plot?.destroy();
      this.#plot = null;
      return;
    }
    if (!this.#plot || changed.has('label') || changed.has('unit')) {
      this.#create(box);
    } else if (changed.has('data')) {
      this.#plot.setData(this.data);
    }
  }

  #create(box: HTMLDivElement): void {
    this.#plot?.destroy();
    const styles = getComputedStyle(this);
    const line = styles.getPropertyValue('--drm-chart-line').trim() || '#1f5eff';
    const grid = styles.getPropertyValue('--drm-chart-grid').trim() || 'rgba(0,0,0,.08)';
    const text = styles.getPropertyValue('--drm-muted').trim() || '#57606a';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const unit = this.unit;
    this.#plot = new uPlot(
      {
        width: Math.max(200, box.clientWidth),
        height: HEIGHT,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => `${tick(t)}${unit}`) }],
        series: [
          {},
          {
            label: this.label || 'value',
            stroke: line,
            width: 1.5,
            fill: `${line}1a`,
            spanGaps: false,
            points: { size: 3 },
            value: (_u, v) => (v === null ? '—' : `${fmt(v)}${unit}`),
          },
        ],
      },
      this.data,
      box,
    );
    this.#resize?.disconnect();
    this.#resize = new ResizeObserver(() => {
      if (this.#plot && box.clientWidth > 0) this.#plot.setSize({ width: box.clientWidth, height: HEIGHT });
    });
    this.#resize.observe(box);
  }

  override render() {
    const s = summary(this.data);
    if (s.count === 0) return html`<div class="empty">No samples in this period</div>`;
    const described = `${this.label}: ${s.count} samples; latest ${fmt(s.last)}${this.unit}, lowest ${fmt(s.min)}, highest ${fmt(s.max)}`;
    return html`<div class="plot" role="img" aria-label=${described}></div>
      <div class="stats" aria-hidden="true">
        <span>latest ${fmt(s.last)}${this.unit}</span><span>min ${fmt(s.min)}</span><span>max ${fmt(s.max)}</span>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-time-chart': DrmTimeChart;
  }
}
