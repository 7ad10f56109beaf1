/** One polled value: when (ms since the epoch) and what (`null` when the device gave no number). */
export interface Point {
  t: number;
  v: number | null;
}

/** uPlot's aligned data for one series: x in seconds, y with `null` where there is no line. */
export type SeriesData = [xs: number[], ys: (number | null)[]];

/** A missing poll is one that did not come within this many intervals of the previous one. */
export const GAP_TOLERANCE = 1.5;

/**
 * The interval the samples were taken at, when no schedule says: the median spacing, which
 * one outage cannot move the way it moves the mean. `null` with fewer than two points.
 */
export function inferInterval(points: readonly Point[]): number | null {
  const steps: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const step = points[i]!.t - points[i - 1]!.t;
    if (step > 0) steps.push(step);
  }
  if (steps.length === 0) return null;
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)]!;
}

/**
 * Chart data with a `null` wherever polls were missed, so the line breaks there instead of
 * drawing a straight bridge across an outage: between two samples further apart than
 * `GAP_TOLERANCE` intervals, a null point goes where the next poll was due. Points are sorted
 * by time; duplicates at one instant keep the last.
 */
export function withGaps(points: readonly Point[], intervalMs: number | null): SeriesData {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const interval = intervalMs ?? inferInterval(sorted);
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  let prev: Point | undefined;
  for (const p of sorted) {
    if (prev && p.t === prev.t) {
      ys[ys.length - 1] = p.v;
      prev = p;
      continue;
    }
    if (prev && interval && p.t - prev.t > interval * GAP_TOLERANCE) {
      xs.push((prev.t + interval) / 1000);
      ys.push(null);
    }
    xs.push(p.t / 1000);
    ys.push(p.v);
    prev = p;
  }
  return [xs, ys];
}

/**
 * A counter turned into its change per second between consecutive samples. A counter that
 * went down wrapped or was reset (RFC 2578 section 7.1.6): that step has no honest rate, so
 * it is `null` rather than a huge negative spike.
 */
export function ratePoints(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const out: Point[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const seconds = (b.t - a.t) / 1000;
    if (seconds <= 0) continue;
    out.push({
      t: b.t,
      v: a.v === null || b.v === null || b.v < a.v ? null : (b.v - a.v) / seconds,
    });
  }
  return out;
}
