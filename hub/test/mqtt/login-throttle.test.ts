import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/mqtt/login-throttle.js';

describe('LoginThrottle', () => {
  it('refuses an address once its failures reach the bound within the window, until it has passed', () => {
    let now = 0;
    const t = new LoginThrottle(3, 60_000, 10_000, () => now);
    const attempt = (address: string, failed: boolean) => {
      if (!t.begin(address)) return false;
      t.end(address, failed);
      return true;
    };
    expect([attempt('a', true), attempt('a', true), attempt('a', true)]).toEqual([true, true, true]);
    expect(attempt('a', false)).toBe(false);
    expect(attempt('b', false)).toBe(true);
    now = 60_001;
    expect(attempt('a', false)).toBe(true);
    // Failures spread wider than the window never add up.
    for (let i = 0; i < 5; i++) {
      expect(attempt('c', true)).toBe(true);
      expect(attempt('c', true)).toBe(true);
      now += 61_000;
    }
  });

  it('counts logins still being checked, so a burst sent at once is held to the bound', () => {
    const t = new LoginThrottle(3, 60_000, 10_000, () => 0);
    const started = Array.from({ length: 5 }, () => t.begin('burst'));
    expect(started).toEqual([true, true, true, false, false]);
    for (let i = 0; i < 3; i++) t.end('burst', true);
    expect(t.begin('burst')).toBe(false);
  });

  it('forgets an address whose logins all succeeded, and remembers a bounded number', () => {
    const t = new LoginThrottle(1, 60_000, 2, () => 0);
    for (const address of ['a', 'b', 'c']) {
      expect(t.begin(address)).toBe(true);
      t.end(address, true);
    }
    expect([t.begin('b'), t.begin('c')]).toEqual([false, false]);
    // `a` was the oldest of three: forgotten.
    expect(t.begin('a')).toBe(true);
    t.end('a', false);
    // A login that succeeded leaves nothing behind.
    expect(t.begin('a')).toBe(true);
  });
});
