import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { SetVarbind, Varbind } from '@drm/protocol';
import {
  counter64ToBuffer,
  counter64ToDecimal,
  fromRawVarbind,
  printableText,
  toRawVarbind,
} from '../../../src/drivers/snmp/varbinds.js';

const { ObjectType } = snmp;
const OID = '1.3.6.1.4.1.99999.1.0';
const hex = (s: string) => Buffer.from(s, 'hex');

describe('fromRawVarbind', () => {
  it.each([
    ['Integer', { type: ObjectType.Integer, value: -5 }, { type: 'Integer', value: -5 }],
    [
      'Integer beyond 32 bits wraps',
      { type: ObjectType.Integer, value: 2 ** 31 },
      { type: 'Integer', value: -(2 ** 31) },
    ],
    [
      'text',
      { type: ObjectType.OctetString, value: Buffer.from('Linux sw-01') },
      { type: 'OctetString', value: 'Linux sw-01' },
    ],
    [
      'UTF-8 text',
      { type: ObjectType.OctetString, value: Buffer.from('café\tbar\n') },
      { type: 'OctetString', value: 'café\tbar\n' },
    ],
    [
      'empty string',
      { type: ObjectType.OctetString, value: Buffer.alloc(0) },
      { type: 'OctetString', value: '' },
    ],
    [
      'MAC address as hex',
      { type: ObjectType.OctetString, value: hex('00155d01ff02') },
      { type: 'OctetString', value: '00155d01ff02', encoding: 'hex' },
    ],
    [
      'control bytes as hex',
      { type: ObjectType.OctetString, value: Buffer.from('abc\u0000') },
      { type: 'OctetString', value: '61626300', encoding: 'hex' },
    ],
    [
      'invalid UTF-8 as hex',
      { type: ObjectType.OctetString, value: hex('c328') },
      { type: 'OctetString', value: 'c328', encoding: 'hex' },
    ],
    [
      'OID',
      { type: ObjectType.OID, value: '1.3.6.1.4.1.8072.3.2.10' },
      { type: 'ObjectIdentifier', value: '1.3.6.1.4.1.8072.3.2.10' },
    ],
    [
      'IpAddress',
      { type: ObjectType.IpAddress, value: '10.0.0.1' },
      { type: 'IpAddress', value: '10.0.0.1' },
    ],
    [
      'Counter32',
      { type: ObjectType.Counter32, value: 4294967295 },
      { type: 'Counter32', value: 4294967295 },
    ],
    ['Gauge32', { type: ObjectType.Gauge32, value: 0 }, { type: 'Gauge32', value: 0 }],
    ['TimeTicks', { type: ObjectType.TimeTicks, value: 123456 }, { type: 'TimeTicks', value: 123456 }],
    [
      'Counter64, 1 byte',
      { type: ObjectType.Counter64, value: hex('05') },
      { type: 'Counter64', value: '5' },
    ],
    [
      'Counter64 above 2^53',
      { type: ObjectType.Counter64, value: hex('0020000000000001') },
      { type: 'Counter64', value: '9007199254740993' },
    ],
    [
      'Counter64, 9 bytes with a leading zero',
      { type: ObjectType.Counter64, value: hex('00ffffffffffffffff') },
      { type: 'Counter64', value: '18446744073709551615' },
    ],
    [
      'Opaque',
      { type: ObjectType.Opaque, value: hex('9f780441a3d70a') },
      { type: 'Opaque', value: '9f780441a3d70a' },
    ],
    ['Null', { type: ObjectType.Null, value: null }, { type: 'Null', value: null }],
    [
      'noSuchObject',
      { type: ObjectType.NoSuchObject, value: null },
      { type: 'Null', value: null, error: 'noSuchObject' },
    ],
    [
      'noSuchInstance',
      { type: ObjectType.NoSuchInstance, value: null },
      { type: 'Null', value: null, error: 'noSuchInstance' },
    ],
    [
      'endOfMibView',
      { type: ObjectType.EndOfMibView, value: null },
      { type: 'Null', value: null, error: 'endOfMibView' },
    ],
    ['an unknown tag', { type: 99, value: 'x' }, { type: 'Null', value: null }],
  ])('%s', (_name, raw, expected) => {
    const vb = fromRawVarbind({ oid: `.${OID}`, ...raw });
    expect(vb).toEqual({ oid: OID, ...expected });
    // Whatever arrives, the result must pass the protocol's own schema.
    expect(Varbind.safeParse(vb).success).toBe(true);
  });
});

describe('printableText', () => {
  it.each([
    ['plain ASCII', 'hello', 'hello'],
    ['tab, LF and CR', 'a\tb\r\n', 'a\tb\r\n'],
    ['DEL', 'a\u007f', undefined],
    ['C1 control', 'a\u0085', undefined],
    ['other C0 control', 'a\u0001b', undefined],
    ['NUL', 'a\u0000', undefined],
    ['empty', '', ''],
    ['UTF-8 beyond ASCII', 'Zürich café ✓', 'Zürich café ✓'],
  ])('%s', (_name, text, expected) => {
    expect(printableText(Buffer.from(text, 'utf8'))).toBe(expected);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(printableText(Buffer.from([0x61, 0xff, 0x62]))).toBeUndefined();
    expect(printableText(Buffer.from([0xc3]))).toBeUndefined();
  });

  it('reads byte strings as the strict decoder and the printable check would', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const oracle = (bytes: Buffer) => {
      try {
        const text = strict.decode(bytes);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the same rule as the driver's
        return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text) ? undefined : text;
      } catch {
        return undefined;
      }
    };
    // Bytes that make valid, broken and overlong sequences, a byte order mark, surrogates.
    const pieces = [
      [0x41],
      [0x09],
      [0x01],
      [0xc3, 0xa9],
      [0xc3],
      [0xa9],
      [0xe2, 0x9c, 0x93],
      [0xef, 0xbb, 0xbf],
      [0xed, 0xa0, 0x80],
      [0xc0, 0x80],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xff],
      [0xc2, 0x85],
    ];
    let seed = 7;
    const next = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let texts = 0;
    for (let round = 0; round < 5_000; round++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + next(4) }, () => pieces[next(pieces.length)] as number[]).flat(),
      );
      const expected = oracle(bytes);
      if (expected !== undefined) texts++;
      expect(printableText(bytes), bytes.toString('hex')).toBe(expected);
    }
    expect(texts).toBeGreaterThan(200);
    expect(printableText(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
  });

  it('reads every single byte as the strict decoder and the printable check would', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let b = 0; b < 256; b++) {
      let expected: string | undefined;
      try {
        const text = strict.decode(Buffer.from([0x41, b]));
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the same rule as the driver's
        expected = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text) ? undefined : text;
      } catch {
        expected = undefined;
      }
      expect(printableText(Buffer.from([0x41, b])), `byte ${b}`).toBe(expected);
    }
  });
});

describe('Counter64', () => {
  it.each([
    ['0', '0000000000000000'],
    ['9007199254740993', '0020000000000001'],
    ['18446744073709551615', 'ffffffffffffffff'],
  ])('%s round-trips through an 8-byte buffer', (decimal, bytes) => {
    expect(counter64ToBuffer(decimal).toString('hex')).toBe(bytes);
    expect(counter64ToDecimal(hex(bytes))).toBe(decimal);
  });

  it('reads an empty buffer as zero', () => {
    expect(counter64ToDecimal(Buffer.alloc(0))).toBe('0');
  });
});

describe('toRawVarbind', () => {
  it.each([
    [{ type: 'Integer', value: -1 }, ObjectType.Integer, -1],
    [{ type: 'OctetString', value: 'héllo' }, ObjectType.OctetString, Buffer.from('héllo', 'utf8')],
    [{ type: 'OctetString', value: '00ff10', encoding: 'hex' }, ObjectType.OctetString, hex('00ff10')],
    [{ type: 'ObjectIdentifier', value: '.1.3.6.1.4.1' }, ObjectType.OID, '1.3.6.1.4.1'],
    [{ type: 'IpAddress', value: '192.0.2.7' }, ObjectType.IpAddress, '192.0.2.7'],
    [{ type: 'Counter32', value: 4294967295 }, ObjectType.Counter32, 4294967295],
    [{ type: 'Gauge32', value: 7 }, ObjectType.Gauge32, 7],
    [{ type: 'TimeTicks', value: 100 }, ObjectType.TimeTicks, 100],
    [{ type: 'Counter64', value: '18446744073709551615' }, ObjectType.Counter64, hex('ffffffffffffffff')],
    [{ type: 'Opaque', value: '9f7804' }, ObjectType.Opaque, hex('9f7804')],
    [{ type: 'Null', value: null }, ObjectType.Null, null],
  ])('%o', (fields, tag, value) => {
    const set = SetVarbind.parse({ oid: OID, ...fields });
    expect(toRawVarbind(set)).toEqual({ oid: OID, type: tag, value });
  });
});
