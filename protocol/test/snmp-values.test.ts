import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Oid, SetVarbind, Varbind, oidIsUnder, snmpValueProblem } from '../src/index.js';

const OID = '1.3.6.1.4.1.9999.1.0';

describe('Oid', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.1.0'],
    ['.1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.1.0'],
    ['0.0', '0.0'],
    ['2.999.1', '2.999.1'],
    ['1.3.6.4294967295', '1.3.6.4294967295'],
  ])('accepts %s as %s', (input, canonical) => {
    expect(Oid.parse(input)).toBe(canonical);
  });

  it.each([
    ['one arc', '1'],
    ['empty', ''],
    ['names', 'sysDescr.0'],
    ['empty arc', '1.3..6'],
    ['trailing dot', '1.3.6.'],
    ['leading zero', '1.3.06'],
    ['first arc 3', '3.1'],
    ['second arc 40 under 1', '1.40'],
    ['arc over 32 bits', '1.3.4294967296'],
    ['129 arcs', `1.3${'.1'.repeat(127)}`],
  ])('rejects %s', (_why, input) => {
    expect(Oid.safeParse(input).success).toBe(false);
  });

  it('compares subtrees arc by arc', () => {
    expect(oidIsUnder('1.3.6.1.2.1', '.1.3.6.1')).toBe(true);
    expect(oidIsUnder('1.3.6.1', '1.3.6.1')).toBe(true);
    expect(oidIsUnder('1.3.6.10', '1.3.6.1')).toBe(false);
  });
});

describe('SetVarbind value per type', () => {
  it.each([
    ['Integer', 0],
    ['Integer', -2147483648],
    ['Integer', 2147483647],
    ['Counter32', 4294967295],
    ['Gauge32', 0],
    ['TimeTicks', 123456],
    ['Counter64', '0'],
    ['Counter64', '18446744073709551615'],
    ['OctetString', ''],
    ['OctetString', 'héllo'],
    ['IpAddress', '192.168.0.1'],
    ['IpAddress', '0.0.0.0'],
    ['ObjectIdentifier', '1.3.6.1.4.1.9999'],
    ['Opaque', '9f780442'],
    ['Null', null],
  ] as const)('accepts %s %j', (type, value) => {
    expect(SetVarbind.safeParse({ oid: OID, type, value }).success).toBe(true);
  });

  it.each([
    ['Integer', 2147483648],
    ['Integer', -2147483649],
    ['Integer', 1.5],
    ['Integer', '5'],
    ['Counter32', -1],
    ['Counter32', 4294967296],
    ['Gauge32', '1'],
    ['TimeTicks', 4294967296],
    ['Counter64', 1],
    ['Counter64', '18446744073709551616'],
    ['Counter64', '-1'],
    ['Counter64', '01'],
    ['Counter64', '1e3'],
    ['OctetString', 5],
    ['OctetString', 'x'.repeat(65536)],
    ['IpAddress', '256.0.0.1'],
    ['IpAddress', '10.0.0'],
    ['IpAddress', '::1'],
    ['ObjectIdentifier', 'sysDescr'],
    ['ObjectIdentifier', 7],
    ['Opaque', 'xyz'],
    ['Opaque', 'abc'],
    ['Null', 0],
  ] as const)('rejects %s %j naming the value', (type, value) => {
    const result = SetVarbind.safeParse({ oid: OID, type, value });
    expect(result.success).toBe(false);
    if (!result.success) expect(z.prettifyError(result.error)).toContain(`${type} value`);
  });

  it('limits an OctetString to 65535 bytes of UTF-8, counting bytes, not characters', () => {
    const fits = (value: string) => snmpValueProblem('OctetString', value) === null;
    expect(fits('x'.repeat(65535))).toBe(true);
    expect(fits('x'.repeat(65536))).toBe(false);
    // Three bytes each: 21845 of them are 65535 bytes.
    expect(fits('€'.repeat(21845))).toBe(true);
    expect(fits('€'.repeat(21846))).toBe(false);
    expect(fits(`${'€'.repeat(21845)}x`)).toBe(false);
    // Four bytes each, two UTF-16 units.
    expect(fits('😀'.repeat(16383))).toBe(true);
    expect(fits('😀'.repeat(16384))).toBe(false);
    // A lone surrogate is written as U+FFFD, three bytes.
    expect(fits('\ud800'.repeat(21845))).toBe(true);
    expect(fits('\ud800'.repeat(21846))).toBe(false);
  });

  it('checks hex-encoded OctetStrings', () => {
    expect(
      SetVarbind.safeParse({ oid: OID, type: 'OctetString', value: '00ff', encoding: 'hex' }).success,
    ).toBe(true);
    expect(
      SetVarbind.safeParse({ oid: OID, type: 'OctetString', value: '0g', encoding: 'hex' }).success,
    ).toBe(false);
    expect(SetVarbind.safeParse({ oid: OID, type: 'Integer', value: 1, encoding: 'hex' }).success).toBe(
      false,
    );
  });
});

describe('Varbind (results)', () => {
  it('carries exceptions as Null values', () => {
    expect(Varbind.safeParse({ oid: OID, type: 'Null', value: null, error: 'endOfMibView' }).success).toBe(
      true,
    );
    expect(Varbind.safeParse({ oid: OID, type: 'Integer', value: 1, error: 'noSuchObject' }).success).toBe(
      false,
    );
  });
});
