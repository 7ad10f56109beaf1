import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Varbind } from '@drm/protocol';
import type { SnmpError } from '../../../src/drivers/snmp/errors.js';
import { SnmpSession } from '../../../src/drivers/snmp/session.js';
import { fromRawVarbind, type RawVarbind } from '../../../src/drivers/snmp/varbinds.js';
import { decodeOid, encodeOid, Tag } from '../../../src/drivers/snmp/wire/ber.js';
import { parseCommunityMessage, parsePdu } from '../../../src/drivers/snmp/wire/message.js';
import { scanVarbinds, Unhandled } from '../../../src/drivers/snmp/wire/varbinds.js';
import { quickV2cSession } from '../../helpers/snmpd.js';

/**
 * The own decoder against net-snmp's on the same bytes: a scripted agent answers every request
 * with a crafted response, net-snmp decodes it (then `fromRawVarbind`), and the wire decoder
 * reads the same datagram. Both must give the same `Varbind`s, or the wire decoder must decline
 * (`Unhandled`, the response then goes to net-snmp).
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

const tlv = (tag: number, content: Uint8Array | number[]) =>
  Buffer.concat([Buffer.of(tag), length(content.length), Buffer.from(content)]);
const seq = (...parts: Buffer[]) => tlv(Tag.Sequence, Buffer.concat(parts));
const int = (content: number[]) => tlv(Tag.Integer, content);

function oidBytes(oid: string): Buffer {
  const bytes = encodeOid(oid);
  if (!bytes) throw new Error(`test OID ${oid} not encodable`);
  return bytes;
}

const NAME = '1.3.6.1.4.1.99999.5';
const vb = (value: Buffer, name = `${NAME}.1`) => seq(tlv(Tag.Oid, oidBytes(name)), value);

/** A v2c GetResponse carrying `varbinds`, for the request with `requestId`. */
function response(requestId: Buffer, varbinds: Buffer[], status = 0, index = 0): Buffer {
  const pdu = tlv(Tag.Response, Buffer.concat([requestId, int([status]), int([index]), seq(...varbinds)]));
  return seq(int([1]), tlv(Tag.OctetString, Buffer.from('public')), pdu);
}

/** The request-id TLV of a v2c request, copied as it came. */
function requestIdOf(request: Buffer): Buffer {
  const msg = parseCommunityMessage(request);
  const pduHeader = request[msg.pduAt + 1]!;
  const at = msg.pduAt + 2 + (pduHeader & 0x80 ? pduHeader & 0x7f : 0);
  return request.subarray(at, at + 2 + request[at + 1]!);
}

let agent: dgram.Socket;
let port: number;
let nextVarbinds: Buffer[] = [];
/** error-status and error-index of the next responses. */
let nextError: [number, number] = [0, 0];
let lastResponse: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  agent = dgram.createSocket('udp4');
  agent.on('message', (request, rinfo) => {
    lastResponse = response(requestIdOf(request), nextVarbinds, ...nextError);
    agent.send(lastResponse, rinfo.port, rinfo.address);
  });
  agent.bind(0, '127.0.0.1');
  await once(agent, 'listening');
  port = agent.address().port;
});

afterAll(() => {
  agent.close();
});

type Outcome = { varbinds: Varbind[] } | { failed: string };

/** net-snmp's reading of the scripted response, as the session converts it. */
function netSnmpReads(varbinds: Buffer[]): Promise<Outcome> {
  nextVarbinds = varbinds;
  const session = quickV2cSession(port);
  return new Promise((resolve) => {
    session.getBulk([NAME], 0, 10, (error, result) => {
      session.close();
      if (error) return resolve({ failed: error.name });
      const column = (result?.[0] ?? []) as RawVarbind[];
      resolve({ varbinds: column.map(fromRawVarbind) });
    });
  });
}

/** The wire decoder's reading of the same datagram: `Unhandled` means it declines. */
function wireReads(datagram: Buffer): Varbind[] | 'unhandled' {
  const msg = parseCommunityMessage(datagram);
  const pdu = parsePdu(datagram, msg.pduAt, datagram.length);
  try {
    return scanVarbinds(datagram, pdu.listStart, pdu.listEnd).map((v) => v.toVarbind());
  } catch (err) {
    if (err instanceof Unhandled) return 'unhandled';
    throw err;
  }
}

async function compare(varbinds: Buffer[]): Promise<{ ours: Varbind[] | 'unhandled'; theirs: Outcome }> {
  const theirs = await netSnmpReads(varbinds);
  return { ours: wireReads(lastResponse), theirs };
}

const HANDLED: [string, Buffer][] = [
  ['Integer 0', int([0])],
  ['Integer -1', int([0xff])],
  ['Integer 128', int([0x00, 0x80])],
  ['Integer -129', int([0xff, 0x7f])],
  ['Integer max', int([0x7f, 0xff, 0xff, 0xff])],
  ['Integer min', int([0x80, 0x00, 0x00, 0x00])],
  ['Integer past 32 bits (wraps)', int([0x01, 0x00, 0x00, 0x00, 0x05])],
  ['Integer of 8 bytes, small', int([0, 0, 0, 0, 0, 0, 0, 5])],
  ['Integer of 7 bytes', int([0x00, 0x10, 0, 0, 0, 0, 1])],
  ['Boolean true', tlv(Tag.Boolean, [0xff])],
  ['Boolean false', tlv(Tag.Boolean, [0x00])],
  ['empty OctetString', tlv(Tag.OctetString, [])],
  ['ASCII text', tlv(Tag.OctetString, Buffer.from('Linux host 6.1 #1 SMP'))],
  ['tab, CR and LF', tlv(Tag.OctetString, Buffer.from('a\tb\r\nc'))],
  ['UTF-8 text', tlv(Tag.OctetString, Buffer.from('héllo ✓ 日本'))],
  ['UTF-8 with a byte order mark', tlv(Tag.OctetString, Buffer.from('\ufeffbom'))],
  ['a control character', tlv(Tag.OctetString, Buffer.from('a\u0001b'))],
  ['DEL', tlv(Tag.OctetString, [0x41, 0x7f])],
  ['a MAC address', tlv(Tag.OctetString, [0x00, 0x15, 0x5d, 0x01, 0xff, 0x02])],
  ['Latin-1 bytes that are not UTF-8', tlv(Tag.OctetString, [0x63, 0x61, 0x66, 0xe9])],
  ['a C1 control in UTF-8', tlv(Tag.OctetString, Buffer.from('x\u0085y'))],
  ['a long string (long-form length)', tlv(Tag.OctetString, Buffer.alloc(300, 0x61))],
  ['OID value', tlv(Tag.Oid, oidBytes('1.3.6.1.4.1.8072.3.2.10'))],
  ['OID value with a 32-bit arc', tlv(Tag.Oid, oidBytes('1.3.6.1.4.1.4294967295'))],
  ['OID value 0.0', tlv(Tag.Oid, [0x00])],
  ['OID value with a first sub-identifier past 127', tlv(Tag.Oid, [0x88, 0x37, 0x01])],
  ['OID value with a sub-identifier past 32 bits', tlv(Tag.Oid, [0x2b, 0x90, 0x80, 0x80, 0x80, 0x00])],
  ['IpAddress', tlv(Tag.IpAddress, [192, 0, 2, 254])],
  ['Counter32 0', tlv(Tag.Counter32, [0])],
  ['Counter32 max', tlv(Tag.Counter32, [0x00, 0xff, 0xff, 0xff, 0xff])],
  ['Counter32 as a negative INTEGER', tlv(Tag.Counter32, [0xff])],
  ['Gauge32', tlv(Tag.Gauge32, [0x3b, 0x9a, 0xca, 0x00])],
  ['TimeTicks', tlv(Tag.TimeTicks, [0x40, 0xbb, 0xf8])],
  ['Counter64 empty', tlv(Tag.Counter64, [])],
  ['Counter64 one byte', tlv(Tag.Counter64, [7])],
  ['Counter64 six bytes', tlv(Tag.Counter64, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ['Counter64 seven bytes', tlv(Tag.Counter64, [0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ['Counter64 above 2^53', tlv(Tag.Counter64, [0x00, 0x20, 0, 0, 0, 0, 0, 1])],
  ['Counter64 max (nine bytes)', tlv(Tag.Counter64, [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ['Counter64 ten bytes (low 64 bits kept)', tlv(Tag.Counter64, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])],
  ['Opaque', tlv(Tag.Opaque, [0x9f, 0x78, 0x04, 0x41, 0xa3, 0xd7, 0x0a])],
  ['empty Opaque', tlv(Tag.Opaque, [])],
  ['Null', tlv(Tag.Null, [])],
  ['noSuchObject', tlv(Tag.NoSuchObject, [])],
  ['noSuchInstance', tlv(Tag.NoSuchInstance, [])],
  ['endOfMibView', tlv(Tag.EndOfMibView, [])],
];

describe('the wire decoder against net-snmp on the same bytes', () => {
  it.each(HANDLED)('reads %s as net-snmp does', async (_name, value) => {
    const { ours, theirs } = await compare([vb(value)]);
    expect(theirs).toHaveProperty('varbinds');
    expect(ours).toEqual((theirs as { varbinds: Varbind[] }).varbinds);
    // Same keys in the same order: the JSON the agent sends is the same too.
    expect(JSON.stringify(ours)).toBe(JSON.stringify((theirs as { varbinds: Varbind[] }).varbinds));
  });

  it('reports an error-status with the varbind it names, as net-snmp does', async () => {
    // An error response carries the request's varbinds (RFC 3416 section 4.2.3).
    nextVarbinds = [vb(tlv(Tag.Null, []), NAME)];
    nextError = [5, 1]; // genErr on varbind 1
    const session = new SnmpSession(
      { host: '127.0.0.1', access: { version: '2c', port, community: 'public' } },
      { timeoutMs: 1_000, retries: 0 },
    );
    try {
      const walked = await session.walk(NAME, { method: 'bulk', maxRepetitions: 10, maxVarbinds: 100 });
      const direct = await session.getBulk([NAME], 0, 10).then(
        () => undefined,
        (err: SnmpError) => err.result,
      );
      expect(walked.error).toMatchObject({ snmpStatus: 'genErr', snmpIndex: 1 });
      expect(walked.error).toEqual(direct);
      expect(session.walkStats).toMatchObject({ fallbacks: 0 });
    } finally {
      nextError = [0, 0];
      session.close();
    }
  });

  it('reads varbind names with long and large arcs as net-snmp does', async () => {
    const names = [
      '1.3.6.1.2.1.4.22.1.2.3.192.0.2.1',
      '1.3.6.1.4.1.2021.10.1.3.1',
      '1.3.6.1.4.1.99999.268435456.2097152.16384.128.127.0',
      `1.3.6.1.${Array.from({ length: 100 }, (_, i) => i * 1000).join('.')}`,
    ];
    const { ours, theirs } = await compare(names.map((n) => vb(int([1]), n)));
    expect(ours).toEqual((theirs as { varbinds: Varbind[] }).varbinds);
    expect((ours as Varbind[]).map((v) => v.oid)).toEqual(names);
  });

  it('reads an empty varbind list as net-snmp does', async () => {
    const { ours, theirs } = await compare([]);
    expect(ours).toEqual([]);
    expect(theirs).toEqual({ varbinds: [] });
  });

  it.each([
    ['BITS', tlv(Tag.BitString, [0x00, 0xa0])],
    ['an unknown tag', tlv(0x47, [1])],
    ['an IpAddress of three bytes', tlv(Tag.IpAddress, [10, 0, 0])],
    ['a Null with content', tlv(Tag.Null, [0])],
    ['an exception with content', tlv(Tag.EndOfMibView, [0])],
    ['an empty INTEGER', tlv(Tag.Integer, [])],
    ['an INTEGER past 2^53', int([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['an empty OID value', tlv(Tag.Oid, [])],
    ['an unfinished OID value', tlv(Tag.Oid, [0x2b, 0x86])],
  ])('leaves %s to net-snmp', async (_name, value) => {
    const { ours } = await compare([vb(int([1]), `${NAME}.0`), vb(value)]);
    expect(ours).toBe('unhandled');
  });

  it('agrees with net-snmp over random pages of every type', async () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const bytes = (n: number) => Array.from({ length: n }, () => random(256));
    const tags = [Tag.Integer, Tag.OctetString, Tag.Oid, Tag.IpAddress, Tag.Counter32, Tag.Gauge32];
    const more = [Tag.TimeTicks, Tag.Counter64, Tag.Opaque, Tag.Null, Tag.EndOfMibView, Tag.NoSuchInstance];
    const all = [...tags, ...more];
    const value = (): Buffer => {
      const tag = all[random(all.length)]!;
      switch (tag) {
        case Tag.Integer:
        case Tag.Counter32:
        case Tag.Gauge32:
        case Tag.TimeTicks:
          return tlv(tag, bytes(1 + random(5)));
        case Tag.Oid:
          return tlv(tag, oidBytes(`1.3.6.${bytes(1 + random(12)).join('.')}`));
        case Tag.IpAddress:
          return tlv(tag, bytes(4));
        case Tag.Counter64:
          return tlv(tag, bytes(random(10)));
        case Tag.Null:
        case Tag.EndOfMibView:
        case Tag.NoSuchInstance:
          return tlv(tag, []);
        default:
          return random(3) === 0
            ? tlv(tag, bytes(random(40)))
            : tlv(tag, Buffer.from(`text ${random(1e6)} ✓`.slice(0, random(12))));
      }
    };
    for (let page = 0; page < 60; page++) {
      const varbinds = Array.from({ length: 1 + random(25) }, (_, i) => vb(value(), `${NAME}.${page}.${i}`));
      const { ours, theirs } = await compare(varbinds);
      expect(ours, `page ${page}`).toEqual((theirs as { varbinds: Varbind[] }).varbinds);
    }
  });
});

describe('OID encoding', () => {
  it('writes the BER content of an OID and reads it back', () => {
    expect(encodeOid('1.3.6.1.2.1')?.toString('hex')).toBe('2b06010201');
    expect(encodeOid('1.3.6.1.4.1.2021.128')?.toString('hex')).toBe('2b060104018f658100');
    for (const oid of ['0.0', '1.3.6.1.4.1.4294967295.0', '1.39.268435455.2097151.16383.127']) {
      const bytes = encodeOid(oid)!;
      expect(decodeOid(bytes, 0, bytes.length)).toBe(oid);
    }
    // As net-snmp reads it: a first sub-identifier of 80 or more is not split as 2.x.
    expect(decodeOid(encodeOid('2.47')!, 0, 1)).toBe('3.7');
  });

  it('leaves to net-snmp what it does not write as net-snmp does', () => {
    expect(encodeOid('1')).toBeUndefined();
    expect(encodeOid('2.48')).toBeUndefined();
    expect(encodeOid('1.3.6.4294967296')).toBeUndefined();
    expect(encodeOid('1..3')).toBeUndefined();
    expect(encodeOid('.1.3')).toBeUndefined();
    expect(encodeOid('1.3.x')).toBeUndefined();
  });
});
