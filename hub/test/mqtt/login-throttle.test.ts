import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/mqtt/login-throttle.js';

describe('LoginThrottle', () => {
  it('throttles an address after its failures within the window, until the window has passed', () => {
    let now = 0;
    const t = new LoginThrottle(3, 60_000, 10_000, () => now);
    for (let i = 0; i < 2; i++) t.failed('192.0.2.1');
    expect(t.throttled('192.0.2.1')).toBe(false);
    t.failed('192.0.2.1');
    expect(t.throttled('192.0.2.1')).toBe(true);
    expect(t.throttled('192.0.2.2')).toBe(false);
    now = 60_001;
    expect(t.throttled('192.0.2.1')).toBe(false);
    // Failures spread wider than the window never add up.
    for (let i = 0; i < 5; i++) {
      t.failed('192.0.2.3');
      t.failed('192.0.2.3');
      now += 61_000;
    }
    expect(t.throttled('192.0.2.3')).toBe(false);
    expect(t.throttled(undefined)).toBe(false);
  });

  it('remembers a bounded number of addresses, forgetting the oldest', () => {
    const t = new LoginThrottle(1, 60_000, 2, () => 0);
    t.failed('a');
    t.failed('b');
    t.failed('c');
    expect([t.throttled('a'), t.throttled('b'), t.throttled('c')]).toEqual([false, true, true]);
  });
});
