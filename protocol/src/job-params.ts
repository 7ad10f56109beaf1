import { z } from 'zod';
import { Oid } from './oid.js';
import { Uuid } from './primitives.js';
import { SetVarbind, SnmpVersion } from './snmp.js';
import { Tr181Path, Tr181SetValue } from './tr181.js';

/** Defaults used when neither the job nor the device's SNMP profile sets a value. */
export const SNMP_DEFAULTS = {
  port: 161,
  timeoutMs: 2000,
  retries: 1,
  maxRepetitions: 25,
  targetBudgetMs: 30_000,
  maxVarbinds: 100_000,
} as const;

/**
 * Options shared by every SNMP job kind. `credentialId` and `version` override the device's
 * profile: the hub resolves them into the dispatched target, so the agent never looks them up.
 * `timeoutMs` and `retries` left out fall back to the device's profile, then `SNMP_DEFAULTS`.
 */
export const SnmpJobOptions = z.object({
  credentialId: Uuid.optional(),
  version: SnmpVersion.optional(),
  /** Per request, before a retry. */
  timeoutMs: z.int().min(100).max(60_000).optional(),
  retries: z.int().min(0).max(5).optional(),
  /** Total time one target may take, retries and walk pages included; then `error.code = 'budget'`. */
  targetBudgetMs: z.int().min(1000).max(3_600_000).default(SNMP_DEFAULTS.targetBudgetMs),
});
export type SnmpJobOptions = z.infer<typeof SnmpJobOptions>;

/** RFC 3416 section 4.2: varbind lists of one request; 128 keeps a PDU well under 64 KiB. */
const OidList = z.array(Oid).min(1).max(128);
const MaxRepetitions = z.int().min(1).max(200);

export const SnmpGetParams = SnmpJobOptions.extend({ oids: OidList });
export type SnmpGetParams = z.infer<typeof SnmpGetParams>;

export const SnmpGetNextParams = SnmpGetParams;
export type SnmpGetNextParams = z.infer<typeof SnmpGetNextParams>;

/** GetBulk (RFC 3416 section 4.2.3); v2c and v3 only. */
export const SnmpGetBulkParams = SnmpJobOptions.extend({
  oids: OidList,
  nonRepeaters: z.int().min(0).max(128).default(0),
  /** Left out: the device's profile, then 25. */
  maxRepetitions: MaxRepetitions.optional(),
});
export type SnmpGetBulkParams = z.infer<typeof SnmpGetBulkParams>;

/**
 * Walk of one subtree. `bulk` pages with GetBulk; `next` uses GetNext, for SNMPv1 or devices
 * that mishandle GetBulk. The walk stops at the end of the subtree, at `endOfMibView`, or after
 * `maxVarbinds` (then the result is `failed` with code `limit`, carrying what was read).
 */
export const SnmpWalkParams = SnmpJobOptions.extend({
  oid: Oid,
  method: z.enum(['bulk', 'next']).default('bulk'),
  /** Left out: the device's profile, then 25. */
  maxRepetitions: MaxRepetitions.optional(),
  maxVarbinds: z.int().min(1).max(1_000_000).default(SNMP_DEFAULTS.maxVarbinds),
});
export type SnmpWalkParams = z.infer<typeof SnmpWalkParams>;

/** One SET request; all varbinds are written atomically by the device (RFC 3416 section 4.2.5). */
export const SnmpSetParams = SnmpJobOptions.extend({
  varbinds: z.array(SetVarbind).min(1).max(64),
});
export type SnmpSetParams = z.infer<typeof SnmpSetParams>;

export const Tr181GetParams = z.object({
  parameters: z.array(Tr181Path).min(1).max(256),
});
export type Tr181GetParams = z.infer<typeof Tr181GetParams>;

export const Tr181SetParams = z.object({
  values: z.array(Tr181SetValue).min(1).max(256),
  /** TR-069 Amendment 6 section A.3.2.1: ParameterKey is string(32). */
  parameterKey: z.string().max(32).optional(),
});
export type Tr181SetParams = z.infer<typeof Tr181SetParams>;

export const Tr181RebootParams = z.object({
  /** TR-069 Amendment 6 section A.3.2.8: CommandKey is string(32). */
  commandKey: z.string().max(32).optional(),
});
export type Tr181RebootParams = z.infer<typeof Tr181RebootParams>;
