import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from '../../src/modules/auth/rate-limit.js';

function limiter(limit = 3, windowMs = 10_000) {
  const clock = { now: 1_000_000 };
  return { clock, l: new AttemptLimiter(limit, windowMs, () => clock.now) };
}

describe('AttemptLimiter', () => {
  it('lets a key try until it has failed `limit` times', () => {
    const { l } = limiter(3);
    expect(l.retryAfter('k')).toBe(0);
    l.fail('k');
    l.fail('k');
    expect(l.retryAfter('k')).toBe(0);
    l.fail('k');
    expect(l.retryAfter('k')).toBe(10);
  });

  it('counts the window from the first failure and rounds the wait up to whole seconds', () => {
    const { clock, l } = limiter(3, 10_000);
    l.fail('k');
    clock.now += 4_000;
    l.fail('k');
    clock.now += 1_500;
    l.fail('k');
    expect(l.retryAfter('k')).toBe(5); // 4.5 s left
    clock.now += 4_499;
    expect(l.retryAfter('k')).toBe(1);
    clock.now += 1;
    expect(l.retryAfter('k')).toBe(0);
  });

  it('starts a new window after the old one ends', () => {
    const { clock, l } = limiter(2, 1_000);
    l.fail('k');
    l.fail('k');
    expect(l.retryAfter('k')).toBe(1);
    clock.now += 1_000;
    l.fail('k');
    expect(l.retryAfter('k')).toBe(0);
    l.fail('k');
    expect(l.retryAfter('k')).toBe(1);
  });

  it('keeps keys apart', () => {
    const { l } = limiter(1);
    l.fail('a');
    expect(l.retryAfter('a')).toBeGreaterThan(0);
    expect(l.retryAfter('b')).toBe(0);
  });

  it('forgets a key on reset (a successful login)', () => {
    const { l } = limiter(2);
    l.fail('k');
    l.fail('k');
    l.reset('k');
    expect(l.retryAfter('k')).toBe(0);
    l.fail('k');
    expect(l.retryAfter('k')).toBe(0);
  });

  it('still limits correctly after sweeping a spray of expired keys', () => {
    const { clock, l } = limiter(2, 1_000);
    for (let i = 0; i < 10_050; i++) l.fail(`spray-${i}`);
    clock.now += 1_000;
    l.fail('k');
    l.fail('k');
    expect(l.retryAfter('k')).toBe(1);
    expect(l.retryAfter('spray-1')).toBe(0);
  });
});
