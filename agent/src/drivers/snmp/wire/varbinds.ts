import type { Varbind } from '@drm/protocol';
import { counter64ToDecimal, printableText } from '../varbinds.js';
import { completeOid, decodeOid, Malformed, readInteger, Tag, Tlv } from './ber.js';

/**
 * Varbinds straight from response bytes to protocol `Varbind`s, the same objects
 * `fromRawVarbind` makes of what net-snmp decodes from the same bytes. Only what both read
 * alike is read here; anything else (a tag outside SMIv2, BITS, odd lengths net-snmp reads
 * its own way or refuses) is `Unhandled`, and that response is then left to net-snmp.
 */

/** Response content this reader leaves to net-snmp rather than guess how net-snmp reads it. */
export class Unhandled extends Error {
  override readonly name = 'Unhandled';
}

const EXCEPTIONS: Readonly<Record<number, NonNullable<Varbind['error']>>> = {
  [Tag.NoSuchObject]: 'noSuchObject',
  [Tag.NoSuchInstance]: 'noSuchInstance',
  [Tag.EndOfMibView]: 'endOfMibView',
};

/**
 * One varbind of a checked response, decoded only when asked: a walk asks for the last OID of
 * a page to send the next request, and converts the page while the device answers it.
 */
export class WireVarbind {
  constructor(
    /** The (decrypted) message the varbind lies in. */
    readonly bytes: Buffer,
    /** Offsets of the varbind's OID and value TLVs. */
    readonly oidAt: number,
    readonly valueAt: number,
    readonly end: number,
  ) {}

  oid(): string {
    const tlv = new Tlv().read(this.bytes, this.oidAt, this.valueAt);
    return decodeOid(this.bytes, tlv.start, tlv.end);
  }

  /** An RFC 3416 section 4.2.1 exception (endOfMibView, noSuchObject, noSuchInstance). */
  isException(): boolean {
    const tag = this.bytes[this.valueAt]!;
    return tag >= Tag.NoSuchObject && tag <= Tag.EndOfMibView;
  }

  toVarbind(): Varbind {
    return decodeVarbind(this.bytes, this.oidAt, this.valueAt, this.end);
  }
}

/** A checked 32-bit unsigned read, as net-snmp reads Counter32/Gauge32/TimeTicks. */
function unsigned(buf: Buffer, start: number, end: number): number {
  return readInteger(buf, start, end) >>> 0;
}

function octets(buf: Buffer, start: number, end: number): Buffer {
  return buf.subarray(start, end);
}

/**
 * Counter64 content as an exact decimal. Up to six bytes the value is an exact double, which
 * prints as BigInt would; longer values go through `counter64ToDecimal` itself.
 */
function counter64(buf: Buffer, start: number, end: number): string {
  if (end - start > 6) return counter64ToDecimal(octets(buf, start, end));
  let value = 0;
  for (let i = start; i < end; i++) value = value * 256 + buf[i]!;
  return String(value);
}

function decodeVarbind(buf: Buffer, oidAt: number, valueAt: number, end: number): Varbind {
  const tlv = new Tlv().read(buf, oidAt, valueAt);
  const oid = decodeOid(buf, tlv.start, tlv.end);
  tlv.read(buf, valueAt, end);
  const { tag, start } = tlv;
  const stop = tlv.end;
  switch (tag) {
    case Tag.Integer:
      return { oid, type: 'Integer', value: readInteger(buf, start, stop) | 0 };
    case Tag.Boolean:
      return { oid, type: 'Integer', value: readInteger(buf, start, stop) === 0 ? 0 : 1 };
    case Tag.OctetString: {
      const bytes = octets(buf, start, stop);
      const text = printableText(bytes);
      return text === undefined
        ? { oid, type: 'OctetString', value: bytes.toString('hex'), encoding: 'hex' }
        : { oid, type: 'OctetString', value: text };
    }
    case Tag.Oid:
      return { oid, type: 'ObjectIdentifier', value: decodeOid(buf, start, stop) };
    case Tag.IpAddress:
      return {
        oid,
        type: 'IpAddress',
        value: `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`,
      };
    case Tag.Counter32:
      return { oid, type: 'Counter32', value: unsigned(buf, start, stop) };
    case Tag.Gauge32:
      return { oid, type: 'Gauge32', value: unsigned(buf, start, stop) };
    case Tag.TimeTicks:
      return { oid, type: 'TimeTicks', value: unsigned(buf, start, stop) };
    case Tag.Counter64:
      return { oid, type: 'Counter64', value: counter64(buf, start, stop) };
    case Tag.Opaque:
      return { oid, type: 'Opaque', value: octets(buf, start, stop).toString('hex') };
    case Tag.NoSuchObject:
    case Tag.NoSuchInstance:
    case Tag.EndOfMibView:
      return { oid, type: 'Null', value: null, error: EXCEPTIONS[tag]! };
    default:
      // Null; `checkValue` let nothing else through.
      return { oid, type: 'Null', value: null };
  }
}

/**
 * Refuses a value this reader does not read exactly as net-snmp does. net-snmp reads Null and
 * the exceptions as two bytes whatever their length, drops a whole message for an IpAddress
 * that is not four bytes or an unknown tag, and has its own idea of BITS and empty OIDs.
 */
function checkValue(buf: Buffer, tlv: Tlv): void {
  const { tag, start, end } = tlv;
  switch (tag) {
    case Tag.Integer:
    case Tag.Boolean:
    case Tag.Counter32:
    case Tag.Gauge32:
    case Tag.TimeTicks:
      // Up to six bytes any content is a safe integer; longer ones are checked as net-snmp does.
      if (end === start || (end - start > 6 && !safeInteger(buf, start, end))) throw new Unhandled('integer');
      return;
    case Tag.OctetString:
    case Tag.Opaque:
    case Tag.Counter64:
      return;
    case Tag.Oid:
      if (!completeOid(buf, start, end)) throw new Unhandled('OID value');
      return;
    case Tag.IpAddress:
      if (end - start !== 4) throw new Unhandled('IpAddress length');
      return;
    case Tag.Null:
    case Tag.NoSuchObject:
    case Tag.NoSuchInstance:
    case Tag.EndOfMibView:
      if (end !== start) throw new Unhandled('Null with content');
      return;
    default:
      throw new Unhandled(`value tag 0x${tag.toString(16)}`);
  }
}

function safeInteger(buf: Buffer, start: number, end: number): boolean {
  try {
    readInteger(buf, start, end);
    return true;
  } catch {
    return false;
  }
}

/**
 * The varbind list at `tlv` (a SEQUENCE that must fill its PDU exactly), checked in full and
 * returned undecoded. Throws `Unhandled` for anything net-snmp might read differently.
 */
export function scanVarbinds(buf: Buffer, listStart: number, listEnd: number): WireVarbind[] {
  const out: WireVarbind[] = [];
  const tlv = new Tlv();
  let at = listStart;
  try {
    while (at < listEnd) {
      tlv.expect(buf, at, listEnd, Tag.Sequence);
      const end = tlv.end;
      const oidAt = tlv.start;
      tlv.expect(buf, oidAt, end, Tag.Oid);
      if (!completeOid(buf, tlv.start, tlv.end)) throw new Unhandled('varbind OID');
      const valueAt = tlv.end;
      tlv.read(buf, valueAt, end);
      if (tlv.end !== end) throw new Unhandled('varbind with trailing bytes');
      checkValue(buf, tlv);
      out.push(new WireVarbind(buf, oidAt, valueAt, end));
      at = end;
    }
  } catch (err) {
    if (err instanceof Malformed) throw new Unhandled(err.message);
    throw err;
  }
  return out;
}
