import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, Reconnector } from '../../src/link/backoff.js';

const POLICY: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.5, stableMs: 10_000 };

describe('backoffDelay', () => {
  it.each([
    // attempt, random, expected
    [0, 0, 1_000],
    [0, 0.999_999, 500],
    [1, 0, 2_000],
    [2, 0, 4_000],
    [3, 0.5, 6_000],
    [5, 0, 32_000],
    [6, 0, 60_000],
    [6, 0.999_999, 30_000],
    [50, 0, 60_000],
    [10_000, 0.25, 52_500],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, POLICY, () => random)).toBe(expected);
  });

  it('never passes the cap nor goes below half of it once there, whatever the random draw', () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const delay = backoffDelay(attempt, DEFAULT_BACKOFF, Math.random);
      expect(delay).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
      expect(delay).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs / 2);
    }
  });

  it('without jitter is plain capped exponential growth', () => {
    const plain = { ...POLICY, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, plain, Math.random))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });
});

describe('Reconnector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries on a growing schedule while attempts fail, and starts over after a stable connection', () => {
    vi.useFakeTimers();
    const reconnector = new Reconnector({ ...POLICY, jitter: 0 }, Math.random, Date.now);
    const retries: number[] = [];
    const start = Date.now();
    const retry = () => retries.push(Date.now() - start);

    // Four failed attempts in a row: 1 s, 2 s, 4 s, 8 s apart.
    let elapsed = 0;
    for (const expected of [1_000, 2_000, 4_000, 8_000]) {
      const before = retries.length;
      expect(reconnector.schedule(retry)).toBe(expected);
      expect(reconnector.pending).toBe(true);
      vi.advanceTimersByTime(expected - 1);
      expect(retries).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(retries).toHaveLength(before + 1);
      elapsed += expected;
      expect(retries.at(-1)).toBe(elapsed);
    }
    expect(reconnector.attempt).toBe(4);

    // A connection that drops at once keeps growing the delay.
    reconnector.connected();
    vi.advanceTimersByTime(POLICY.stableMs - 1);
    expect(reconnector.schedule(retry)).toBe(16_000);
    vi.advanceTimersByTime(16_000);

    // One that held for `stableMs` starts over.
    reconnector.connected();
    vi.advanceTimersByTime(POLICY.stableMs);
    expect(reconnector.schedule(retry)).toBe(1_000);
    expect(reconnector.attempt).toBe(1);
  });

  it('keeps one retry pending and cancels it', () => {
    vi.useFakeTimers();
    const reconnector = new Reconnector(POLICY, () => 0);
    let runs = 0;
    expect(reconnector.schedule(() => runs++)).toBe(1_000);
    expect(reconnector.schedule(() => runs++)).toBeNull();
    reconnector.cancel();
    expect(reconnector.pending).toBe(false);
    vi.advanceTimersByTime(120_000);
    expect(runs).toBe(0);
  });
});
