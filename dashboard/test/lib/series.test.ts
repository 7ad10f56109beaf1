import { describe, expect, it } from 'vitest';
import { inferInterval, type Point, ratePoints, withGaps } from '../../src/lib/series.js';

const S = 1000;
const at = (seconds: number, v: number | null = seconds): Point => ({ t: seconds * S, v });

describe('withGaps', () => {
  it('regular polls draw one unbroken line', () => {
    expect(withGaps([at(0), at(60), at(120)], 60 * S)).toEqual([
      [0, 60, 120],
      [0, 60, 120],
    ]);
  });

  it('a missed poll leaves a null where the next one was due', () => {
    expect(withGaps([at(0), at(60), at(240), at(300)], 60 * S)).toEqual([
      [0, 60, 120, 240, 300],
      [0, 60, null, 240, 300],
    ]);
  });

  it.each([
    [89, false],
    [90, false],
    [91, true],
  ])('a step of %i s at a 60 s interval is a gap: %s', (step, gap) => {
    const [xs] = withGaps([at(0), at(step)], 60 * S);
    expect(xs.length).toBe(gap ? 3 : 2);
  });

  it('sorts points and keeps the last of two at one instant', () => {
    expect(withGaps([at(60, 2), at(0, 1), at(60, 3)], 60 * S)).toEqual([
      [0, 60],
      [1, 3],
    ]);
  });

  it('infers the interval from the median spacing when none is given', () => {
    const points = [at(0), at(10), at(20), at(30), at(100), at(110)];
    expect(inferInterval(points)).toBe(10 * S);
    expect(withGaps(points, null)).toEqual([
      [0, 10, 20, 30, 40, 100, 110],
      [0, 10, 20, 30, null, 100, 110],
    ]);
  });

  it('keeps a null value the device reported as a break too', () => {
    expect(withGaps([at(0), at(60, null), at(120)], 60 * S)[1]).toEqual([0, null, 120]);
  });

  it('handles no points and one point', () => {
    expect(withGaps([], 60 * S)).toEqual([[], []]);
    expect(withGaps([at(5)], null)).toEqual([[5], [5]]);
    expect(inferInterval([at(5)])).toBeNull();
  });
});

describe('ratePoints', () => {
  it('gives the change per second between samples', () => {
    expect(ratePoints([at(0, 0), at(10, 100), at(20, 300)])).toEqual([at(10, 10), at(20, 20)]);
  });

  it('a counter that went down (wrapped or reset) has no rate for that step', () => {
    expect(ratePoints([at(0, 4_294_967_000), at(10, 200), at(20, 400)])).toEqual([at(10, null), at(20, 20)]);
  });

  it('a missing value has no rate on either side', () => {
    expect(ratePoints([at(0, 0), at(10, null), at(20, 50)])).toEqual([at(10, null), at(20, null)]);
  });
});
