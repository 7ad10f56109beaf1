import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isUuid, isUuidv7, uuidv7, uuidv7Generator, uuidv7Timestamp } from '../src/index.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10xx, lower case', () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidv7();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(z.uuidv7().safeParse(id).success).toBe(true);
    }
  });

  it.each([0, 1, T0, 2 ** 48 - 1])('encodes the timestamp %d', (ms) => {
    expect(uuidv7Timestamp(uuidv7Generator()(ms))).toBe(ms);
  });

  it('rejects timestamps outside 48 bits', () => {
    const next = uuidv7Generator();
    expect(() => next(-1)).toThrow(RangeError);
    expect(() => next(2 ** 48)).toThrow(RangeError);
    expect(() => next(Number.NaN)).toThrow(RangeError);
  });

  it('increases strictly within one millisecond, past the 12-bit counter', () => {
    const next = uuidv7Generator();
    const ids = Array.from({ length: 10_000 }, () => next(T0));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // 10,000 ids overflow rand_a at least once; the time is carried forward, never back.
    const last = ids.at(-1) ?? '';
    expect(uuidv7Timestamp(last)).toBeGreaterThan(T0);
    expect(uuidv7Timestamp(last)).toBeLessThan(T0 + 10);
  });

  it('never goes backwards when the clock does', () => {
    const next = uuidv7Generator();
    const a = next(T0 + 1000);
    const b = next(T0);
    expect(b > a).toBe(true);
    expect(uuidv7Timestamp(b)).toBe(T0 + 1000);
  });

  it('sorts by time across milliseconds', () => {
    const next = uuidv7Generator();
    const ids = [T0, T0 + 1, T0 + 2, T0 + 1000, T0 + 86_400_000].map((t) => next(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it.each([
    ['uuid v4', '85541af2-f74a-4210-b7a9-ff6a6ede9503', true, false],
    ['uuid v7', '01955193-de00-7254-874b-0b92c369f078', true, true],
    ['upper case', '01955193-DE00-7254-874B-0B92C369F078', true, true],
    ['bad variant', '01955193-de00-7254-c74b-0b92c369f078', false, false],
    ['version 0', '01955193-de00-0254-874b-0b92c369f078', false, false],
    ['no dashes', '01955193de007254874b0b92c369f078', false, false],
    ['empty', '', false, false],
    ['number', 42, false, false],
  ])('classifies %s', (_why, value, uuid, v7) => {
    expect(isUuid(value)).toBe(uuid);
    expect(isUuidv7(value)).toBe(v7);
    if (typeof value === 'string' && !v7) expect(uuidv7Timestamp(value)).toBeNull();
  });
});
