import { z } from 'zod';
import { SNMP_DEFAULTS } from './job-params.js';
import { Host, Port, Uuid } from './primitives.js';
import { SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel } from './snmp.js';
import { checkV3Security } from './snmp-security.js';

/**
 * How an agent reaches one device, with credential material resolved by the hub.
 *
 * SECRET: these schemas carry SNMP communities, SNMPv3 keys and CWMP passwords in clear text.
 * They travel only hub→agent (`jobs`, `config`) over the agent's own authenticated topics,
 * are stored only in the agent's data folder, and must never be logged or returned by the API.
 */

/** USM key material. RFC 3414 section 11.2: passwords shorter than 8 characters are refused. */
export const UsmKey = z.string().min(8).max(256);

const SnmpTiming = {
  port: Port.default(SNMP_DEFAULTS.port),
  timeoutMs: z.int().min(100).max(60_000).optional(),
  retries: z.int().min(0).max(5).optional(),
  maxRepetitions: z.int().min(1).max(200).optional(),
};

export const SnmpCommunityAccess = z.object({
  version: z.enum(['1', '2c']),
  ...SnmpTiming,
  /** SECRET. */
  community: z.string().min(1).max(255),
});

export const SnmpV3Access = z
  .object({
    version: z.literal('3'),
    ...SnmpTiming,
    /** RFC 3414: usmUserName is SnmpAdminString (SIZE(1..32)). */
    username: z.string().min(1).max(32),
    securityLevel: SnmpSecurityLevel,
    authProtocol: SnmpAuthProtocol.optional(),
    /** SECRET. */
    authKey: UsmKey.optional(),
    privProtocol: SnmpPrivProtocol.optional(),
    /** SECRET. */
    privKey: UsmKey.optional(),
    /** SNMPv3 context name, empty by default. */
    context: z.string().max(32).optional(),
  })
  .check((ctx) => checkV3Security(ctx.value, ctx.issues));

/** SNMP access to a device, discriminated on `version`. SECRET. */
export const SnmpAccess = z.discriminatedUnion('version', [SnmpCommunityAccess, SnmpV3Access]);
export type SnmpAccess = z.infer<typeof SnmpAccess>;

/** TR-181 access through the device's CWMP/HTTP endpoint. SECRET. */
export const Tr181Access = z.object({
  url: z.url({ protocol: /^https?$/ }),
  username: z.string().max(256).optional(),
  /** SECRET. */
  password: z.string().max(256).optional(),
});
export type Tr181Access = z.infer<typeof Tr181Access>;

/** One device as the agent needs it to run jobs and polls. SECRET (see above). */
export const DeviceAccess = z.object({
  deviceId: Uuid,
  /** Host name or IP address; ports live in `snmp` and in `tr181.url`. */
  address: Host,
  snmp: SnmpAccess.optional(),
  tr181: Tr181Access.optional(),
});
export type DeviceAccess = z.infer<typeof DeviceAccess>;

export interface EffectiveSnmpOptions {
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
}

/** Job params first, then the device's profile, then `SNMP_DEFAULTS`. */
export function effectiveSnmpOptions(
  params: {
    timeoutMs?: number | undefined;
    retries?: number | undefined;
    maxRepetitions?: number | undefined;
  },
  access: SnmpAccess | undefined,
): EffectiveSnmpOptions {
  return {
    timeoutMs: params.timeoutMs ?? access?.timeoutMs ?? SNMP_DEFAULTS.timeoutMs,
    retries: params.retries ?? access?.retries ?? SNMP_DEFAULTS.retries,
    maxRepetitions: params.maxRepetitions ?? access?.maxRepetitions ?? SNMP_DEFAULTS.maxRepetitions,
  };
}
