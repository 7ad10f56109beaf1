import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../../src/lib/backoff.js';

const opts = (r: number) => ({ baseMs: 500, maxMs: 30_000, random: () => r });

describe('reconnectDelay', () => {
  it.each([
    [0, 0, 250],
    [0, 1, 500],
    [1, 0, 500],
    [3, 1, 4000],
    [6, 1, 30_000],
    [6, 0, 15_000],
    [50, 0.5, 22_500],
  ])('attempt %i with random %d → %i ms', (attempt, r, ms) => {
    expect(reconnectDelay(attempt, opts(r))).toBe(ms);
  });

  it('never waits less than half the step nor more than the cap', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = reconnectDelay(attempt);
      const step = Math.min(30_000, 500 * 2 ** attempt);
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    }
  });
});
