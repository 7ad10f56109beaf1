import { z } from 'zod';
import { Oid } from './oid.js';
import { OCTET_ENCODINGS, SNMP_VALUE_TYPES, snmpValueProblem } from './snmp-values.js';

export { OCTET_ENCODINGS, SNMP_VALUE_TYPES, snmpValueProblem } from './snmp-values.js';

/** SNMP protocol versions, as strings because of `2c`. */
export const SnmpVersion = z.enum(['1', '2c', '3']);
export type SnmpVersion = z.infer<typeof SnmpVersion>;

/** RFC 3411 section 3.4.3 security levels. */
export const SnmpSecurityLevel = z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']);
export type SnmpSecurityLevel = z.infer<typeof SnmpSecurityLevel>;

/** USM authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), HMAC-SHA-2 (RFC 7860). */
export const SnmpAuthProtocol = z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']);
export type SnmpAuthProtocol = z.infer<typeof SnmpAuthProtocol>;

/**
 * USM privacy: `des` (CBC-DES, RFC 3414), `aes` (AES-128-CFB, RFC 3826), and the two
 * non-standard AES-256 key extensions: `aes256b` (Blumenthal draft) and `aes256r` (Reeder
 * draft, "AES-256 with 3DES key extension" as Cisco calls it).
 */
export const SnmpPrivProtocol = z.enum(['des', 'aes', 'aes256b', 'aes256r']);
export type SnmpPrivProtocol = z.infer<typeof SnmpPrivProtocol>;

export const SnmpValueType = z.enum(SNMP_VALUE_TYPES);
export type SnmpValueType = z.infer<typeof SnmpValueType>;

export const OctetEncoding = z.enum(OCTET_ENCODINGS);
export type OctetEncoding = z.infer<typeof OctetEncoding>;

/** RFC 3416 section 4.2.1 exceptions that stand in for a value in a response. */
export const VarbindException = z.enum(['noSuchObject', 'noSuchInstance', 'endOfMibView']);
export type VarbindException = z.infer<typeof VarbindException>;

/**
 * One variable binding in a result. `value` follows `type`: numbers for Integer, Counter32,
 * Gauge32 and TimeTicks; an exact decimal string for Counter64; a string for OctetString
 * (`encoding` says `utf8` — the default — or `hex`, used when the bytes are not printable
 * UTF-8, e.g. MAC addresses), hex for Opaque, dotted quad for IpAddress, an OID for
 * ObjectIdentifier. When `error` is set, `type` is `Null` and `value` is `null`.
 */
export const Varbind = z
  .object({
    oid: Oid,
    /** MIB name with instance, e.g. `sysDescr.0`, when the agent could resolve it. */
    name: z.string().max(512).optional(),
    type: SnmpValueType,
    value: z.union([z.string(), z.number(), z.null()]),
    encoding: OctetEncoding.optional(),
    error: VarbindException.optional(),
  })
  .check((ctx) => {
    const { type, value, encoding, error } = ctx.value;
    const problem =
      error !== undefined
        ? type === 'Null' && value === null
          ? null
          : `must be null with type Null when error is ${error}`
        : snmpValueProblem(type, value, encoding);
    if (problem) {
      ctx.issues.push({ code: 'custom', path: ['value'], message: `${type} value ${problem}`, input: value });
    }
  });
export type Varbind = z.infer<typeof Varbind>;

/**
 * One variable binding to write with SNMP SET. The value is checked against the type here, so
 * a bad value fails when the job is created rather than on the device.
 */
export const SetVarbind = z
  .object({
    oid: Oid,
    type: SnmpValueType,
    value: z.union([z.string(), z.number(), z.null()]),
    /** OctetString only: `utf8` (default) or `hex` for arbitrary bytes. */
    encoding: OctetEncoding.optional(),
  })
  .check((ctx) => {
    const { type, value, encoding } = ctx.value;
    if (encoding !== undefined && type !== 'OctetString') {
      ctx.issues.push({
        code: 'custom',
        path: ['encoding'],
        message: 'encoding applies to OctetString only',
        input: encoding,
      });
    }
    const problem = snmpValueProblem(type, value, encoding);
    if (problem) {
      ctx.issues.push({ code: 'custom', path: ['value'], message: `${type} value ${problem}`, input: value });
    }
  });
export type SetVarbind = z.infer<typeof SetVarbind>;
