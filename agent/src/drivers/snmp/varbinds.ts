import { isUtf8 } from 'node:buffer';
import snmp from 'net-snmp';
import { normalizeOid, type SetVarbind, type SnmpValueType, type Varbind } from '@drm/protocol';

/** A varbind as net-snmp reads it off the wire or writes it into a request. */
export interface RawVarbind {
  oid: string;
  type?: number | undefined;
  value?: unknown;
}

const { ObjectType } = snmp;

/** RFC 3416 section 4.2.1 exceptions, by their BER tag. */
const EXCEPTIONS: ReadonlyMap<number, NonNullable<Varbind['error']>> = new Map([
  [ObjectType.NoSuchObject, 'noSuchObject'],
  [ObjectType.NoSuchInstance, 'noSuchInstance'],
  [ObjectType.EndOfMibView, 'endOfMibView'],
]);

/** The net-snmp tag used to send each protocol type. */
const SET_TAGS: Readonly<Record<SnmpValueType, number>> = {
  Integer: ObjectType.Integer,
  OctetString: ObjectType.OctetString,
  ObjectIdentifier: ObjectType.OID,
  IpAddress: ObjectType.IpAddress,
  Counter32: ObjectType.Counter32,
  Gauge32: ObjectType.Gauge32,
  TimeTicks: ObjectType.TimeTicks,
  Counter64: ObjectType.Counter64,
  Opaque: ObjectType.Opaque,
  Null: ObjectType.Null,
};

/** C0 controls other than tab, LF and CR, DEL, and C1 controls: bytes a person cannot read. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.alloc(0);
}

/** True when every byte is printable ASCII, tab, LF or CR: text that needs no decoder. */
function printableAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x20 ? b > 0x7e : b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

/** The text of `bytes` when it is printable UTF-8, else `undefined` (then it travels as hex). */
export function printableText(bytes: Buffer): string | undefined {
  // Most device strings are plain ASCII; a full-tree walk has thousands, and the strict
  // decoder's cost per call was a tenth of such a walk's time in the agent.
  if (printableAscii(bytes)) return bytes.toString('latin1');
  // Binary values (MAC addresses, dates, keys) are common in a walk: checking first costs no
  // exception per value, which the strict decoder throws (a fifth of a walk's CPU went there).
  if (!isUtf8(bytes)) return undefined;
  let text = bytes.toString('utf8');
  // As a TextDecoder does by default: a leading byte order mark is not part of the text.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return UNPRINTABLE.test(text) ? undefined : text;
}

/**
 * Counter64 arrives as the BER content octets, 1 to 9 bytes (a ninth, leading zero byte keeps
 * values of 2^63 and above positive). Read them as unsigned and keep the low 64 bits, so a
 * malformed longer value still yields a valid Counter64 rather than a result the hub rejects.
 */
export function counter64ToDecimal(value: unknown): string {
  if (typeof value === 'bigint') return BigInt.asUintN(64, value).toString();
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  const bytes = toBuffer(value);
  if (bytes.length === 0) return '0';
  return BigInt.asUintN(64, BigInt(`0x${bytes.toString('hex')}`)).toString();
}

/** A decimal Counter64 as the 8-byte big-endian buffer net-snmp writes (its Agent refuses other lengths). */
export function counter64ToBuffer(decimal: string): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(decimal));
  return bytes;
}

function unsigned32(value: unknown): number {
  return typeof value === 'number' ? value >>> 0 : 0;
}

function octetString(oid: string, value: unknown): Varbind {
  const bytes = toBuffer(value);
  const text = printableText(bytes);
  return text === undefined
    ? { oid, type: 'OctetString', value: bytes.toString('hex'), encoding: 'hex' }
    : { oid, type: 'OctetString', value: text };
}

/**
 * One net-snmp varbind as the protocol's `Varbind`. Never throws: an exception (RFC 3416
 * section 4.2.1) becomes `error` with a null value, and a tag outside SMIv2 is kept as bytes.
 */
export function fromRawVarbind(raw: RawVarbind): Varbind {
  const oid = normalizeOid(raw.oid);
  const { type, value } = raw;
  const exception = type === undefined ? undefined : EXCEPTIONS.get(type);
  if (exception) return { oid, type: 'Null', value: null, error: exception };
  switch (type) {
    case ObjectType.Integer:
      // A device that sends an INTEGER outside 32 bits is wrong; wrap it as a 32-bit decoder
      // would, so the result still validates.
      return { oid, type: 'Integer', value: typeof value === 'number' ? value | 0 : 0 };
    case ObjectType.Boolean:
      return { oid, type: 'Integer', value: value ? 1 : 0 };
    case ObjectType.OctetString:
    case ObjectType.BitString:
      return octetString(oid, value);
    case ObjectType.OID:
      return { oid, type: 'ObjectIdentifier', value: normalizeOid(String(value)) };
    case ObjectType.IpAddress:
      return { oid, type: 'IpAddress', value: String(value) };
    case ObjectType.Counter32:
      return { oid, type: 'Counter32', value: unsigned32(value) };
    case ObjectType.Gauge32:
      return { oid, type: 'Gauge32', value: unsigned32(value) };
    case ObjectType.TimeTicks:
      return { oid, type: 'TimeTicks', value: unsigned32(value) };
    case ObjectType.Counter64:
      return { oid, type: 'Counter64', value: counter64ToDecimal(value) };
    case ObjectType.Opaque:
      return { oid, type: 'Opaque', value: toBuffer(value).toString('hex') };
    default:
      return { oid, type: 'Null', value: null };
  }
}

/** A protocol `SetVarbind` (already validated by its schema) as a net-snmp request varbind. */
export function toRawVarbind(varbind: SetVarbind): RawVarbind {
  const { type, value } = varbind;
  const oid = normalizeOid(varbind.oid);
  const tag = SET_TAGS[type];
  switch (type) {
    case 'OctetString':
      return {
        oid,
        type: tag,
        value: Buffer.from(String(value), varbind.encoding === 'hex' ? 'hex' : 'utf8'),
      };
    case 'Opaque':
      return { oid, type: tag, value: Buffer.from(String(value), 'hex') };
    case 'Counter64':
      return { oid, type: tag, value: counter64ToBuffer(String(value)) };
    case 'ObjectIdentifier':
      return { oid, type: tag, value: normalizeOid(String(value)) };
    case 'Null':
      return { oid, type: tag, value: null };
    default:
      return { oid, type: tag, value };
  }
}
