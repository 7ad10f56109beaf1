import { describe, expect, it } from 'vitest';
import { bytes, count, duration, timeAgo, timeticks } from '../../src/lib/format.js';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe('format', () => {
  it.each([
    [null, 'never'],
    [ago(5), 'just now'],
    [ago(-30), 'just now'],
    [ago(90), '2 min ago'],
    [ago(3 * 3600), '3 h ago'],
    [ago(3 * 86400), '3 days ago'],
  ])('timeAgo(%s) → %s', (iso, text) => {
    expect(timeAgo(iso, NOW)).toBe(text);
  });

  it('far in the future or long ago, the date itself', () => {
    expect(timeAgo(ago(-3600), NOW)).not.toMatch(/ago|now/);
    expect(timeAgo(ago(40 * 86400), NOW)).not.toMatch(/ago/);
  });

  it.each([
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [3 * 3600_000 + 5 * 60_000, '3 h 5 min'],
    [50 * 3600_000, '2 days 2 h'],
  ])('duration(%i) → %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it.each([
    [512, '512 B'],
    [2048, '2.0 KiB'],
    [50 * 1024 * 1024, '50 MiB'],
  ])('bytes(%i) → %s', (n, text) => {
    expect(bytes(n)).toBe(text);
  });

  it('counts and TimeTicks', () => {
    expect(count(1, 'item')).toBe('1 item');
    expect(count(1200, 'item')).toBe('1,200 items');
    expect(timeticks(4_242_424)).toBe('11 h 47 min');
  });
});
