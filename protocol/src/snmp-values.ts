import { oidProblem } from './oid.js';

/**
 * SMIv2 value types (RFC 2578 section 7.1). Unsigned32 shares Gauge32's tag and is carried as
 * Gauge32; Integer32 is Integer.
 */
export const SNMP_VALUE_TYPES = [
  'Integer',
  'OctetString',
  'ObjectIdentifier',
  'IpAddress',
  'Counter32',
  'Gauge32',
  'TimeTicks',
  'Counter64',
  'Opaque',
  'Null',
] as const;
export type SnmpValueType = (typeof SNMP_VALUE_TYPES)[number];

/** How an OctetString value is written in JSON: text as is, or bytes as lower-case hex. */
export const OCTET_ENCODINGS = ['utf8', 'hex'] as const;
export type OctetEncoding = (typeof OCTET_ENCODINGS)[number];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const UINT64_MAX = 2n ** 64n - 1n;
/** RFC 2578 section 7.1.2: OCTET STRING (SIZE (0..65535)). */
const MAX_OCTETS = 65535;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const DECIMAL_RE = /^(0|[1-9]\d{0,19})$/;
const DOTTED_QUAD_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

function checkInteger(value: unknown, min: number, max: number): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `must be an integer in ${min}..${max}`;
  }
  return null;
}

function checkOctets(value: unknown, encoding: OctetEncoding): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (encoding === 'hex') {
    if (!HEX_RE.test(value)) return 'must be hex with two digits per byte';
    return value.length / 2 > MAX_OCTETS ? `must be at most ${MAX_OCTETS} bytes` : null;
  }
  // A UTF-16 unit is one to three bytes of UTF-8 (a surrogate pair, two units, is four; a lone
  // one is written as U+FFFD, three): most strings are decided by their length alone.
  const tooLong =
    value.length * 3 <= MAX_OCTETS ? false : value.length > MAX_OCTETS || utf8Length(value) > MAX_OCTETS;
  return tooLong ? `must be at most ${MAX_OCTETS} bytes of UTF-8` : null;
}

/**
 * Why `value` cannot be a value of SNMP `type`, or `null` if it can. Numbers are JSON numbers
 * except Counter64, which is an exact decimal string because it does not fit in a double.
 */
export function snmpValueProblem(
  type: SnmpValueType,
  value: unknown,
  encoding: OctetEncoding = 'utf8',
): string | null {
  switch (type) {
    case 'Integer':
      return checkInteger(value, INT32_MIN, INT32_MAX);
    case 'Counter32':
    case 'Gauge32':
    case 'TimeTicks':
      return checkInteger(value, 0, UINT32_MAX);
    case 'Counter64':
      if (typeof value !== 'string' || !DECIMAL_RE.test(value) || BigInt(value) > UINT64_MAX) {
        return 'must be a decimal string in 0..18446744073709551615';
      }
      return null;
    case 'OctetString':
      return checkOctets(value, encoding);
    case 'Opaque':
      return checkOctets(value, 'hex');
    case 'IpAddress':
      return typeof value === 'string' && DOTTED_QUAD_RE.test(value)
        ? null
        : 'must be a dotted-quad IPv4 address';
    case 'ObjectIdentifier':
      return typeof value === 'string' ? oidProblem(value) : 'must be an OID string';
    case 'Null':
      return value === null ? null : 'must be null';
  }
}
