import { describe, expect, it } from 'vitest';
import { Oid, oidProblem } from '../src/index.js';

/** The rules written the plain way (a pattern, then the arcs as numbers), as the oracle. */
function reference(oid: string): string | null {
  if (!/^\.?(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/.test(oid))
    return 'must be a numeric OID such as 1.3.6.1.2.1.1.1.0';
  const arcs = (oid.startsWith('.') ? oid.slice(1) : oid).split('.').map(Number);
  if (arcs.length > 128) return 'must have at most 128 sub-identifiers';
  const [first = 0, second = 0] = arcs;
  if (first > 2) return 'first sub-identifier must be 0, 1 or 2';
  if (first < 2 && second > 39) return 'second sub-identifier must be 0..39 under 0 and 1';
  if (arcs.some((arc) => arc > 2 ** 32 - 1)) return 'sub-identifiers must be at most 4294967295';
  return null;
}

describe('oidProblem', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', null],
    ['.1.3.6.1.2.1.1.1.0', null],
    ['0.0', null],
    ['2.999.4294967295', null],
    ['1.39', null],
    [`1.3${'.1'.repeat(126)}`, null],
  ])('accepts %s', (oid, expected) => {
    expect(oidProblem(oid)).toBe(expected);
  });

  it.each([
    ['', /numeric OID/],
    ['.', /numeric OID/],
    ['1', /numeric OID/],
    ['.1', /numeric OID/],
    ['1.', /numeric OID/],
    ['1..3', /numeric OID/],
    ['..1.3', /numeric OID/],
    ['01.3', /numeric OID/],
    ['1.03', /numeric OID/],
    ['1.3.x', /numeric OID/],
    ['1.3 ', /numeric OID/],
    ['-1.3', /numeric OID/],
    ['1.3.+6', /numeric OID/],
    ['1.3.６', /numeric OID/],
    ['sysDescr.0', /numeric OID/],
    [`1.3${'.1'.repeat(127)}`, /at most 128/],
    ['3.1', /first sub-identifier/],
    ['99999999999999999999.1', /first sub-identifier/],
    ['1.40', /second sub-identifier/],
    ['0.99999999999999999999', /second sub-identifier/],
    ['2.40.4294967296', /at most 4294967295/],
    [`1.3.${'9'.repeat(400)}`, /at most 4294967295/],
  ])('refuses %j', (oid, message) => {
    expect(oidProblem(oid)).toMatch(message);
  });

  it('gives the answer of the plain rules for generated strings', () => {
    // xorshift32 from a fixed seed: the same strings every run.
    let seed = 20261129;
    const next = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const arcs = ['0', '1', '2', '3', '39', '40', '7', '4294967295', '4294967296'];
    const junk = ['01', '.', '..', 'a', ' ', ''];
    let refused = 0;
    for (let round = 0; round < 20_000; round += 1) {
      const parts: string[] = [];
      for (let k = 0, n = 1 + next(8); k < n; k += 1) parts.push(arcs[next(arcs.length)] as string);
      // One in three gets a piece of junk somewhere; one in five a leading dot.
      if (next(3) === 0) parts.splice(next(parts.length + 1), next(2), junk[next(junk.length)] as string);
      const oid = (next(5) === 0 ? '.' : '') + parts.join('.');
      const expected = reference(oid);
      if (expected !== null) refused += 1;
      expect(oidProblem(oid), oid).toBe(expected);
    }
    // Both kinds of answer were exercised, not only refusals.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(19_000);
  });

  it('is what the Oid schema checks, and the schema drops a leading dot', () => {
    expect(Oid.parse('.1.3.6.1')).toBe('1.3.6.1');
    const refused = Oid.safeParse('1.40');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe(oidProblem('1.40'));
  });
});
