import { z } from 'zod';
import { Oid } from './oid.js';
import { Host, Port, Timestamp, Uuid, Uuidv7 } from './primitives.js';
import { SnmpVersion, Varbind } from './snmp.js';

/** The most varbinds one trap event carries. */
export const MAX_TRAP_VARBINDS = 1000;

/**
 * `events` (agent→hub): a trap or inform the agent received. The community string is never
 * forwarded: it is a credential, and the agent has already checked it.
 */
export const TrapEvent = z.object({
  id: Uuidv7,
  receivedAt: Timestamp,
  source: z.object({ address: Host, port: Port }),
  version: SnmpVersion,
  /** `trapv1` is an RFC 1157 Trap-PDU; `trap` and `inform` are RFC 3416 PDUs. */
  pdu: z.enum(['trap', 'inform', 'trapv1']),
  /** snmpTrapOID.0; for v1 traps, derived per RFC 3584 section 3.1. */
  trapOid: Oid,
  /** v1 only: the enterprise field. */
  enterprise: Oid.optional(),
  /** sysUpTime.0 (v2c, v3) or time-stamp (v1), in hundredths of a second. */
  uptime: z.int().min(0).max(4_294_967_295).optional(),
  /** v1 only: agent-addr, generic-trap and specific-trap. */
  agentAddress: z.ipv4().optional(),
  genericTrap: z.int().min(0).max(6).optional(),
  specificTrap: z.int().min(0).optional(),
  /** v3 only: the USM user that sent it. */
  securityName: z.string().max(32).optional(),
  varbinds: z.array(Varbind).max(MAX_TRAP_VARBINDS),
  /**
   * Varbinds the agent left out: past the first 1000, past what fits one message, or with a
   * value the protocol cannot carry (an OID of more than 128 arcs…). Absent when none was.
   */
  omittedVarbinds: z.int().min(1).optional(),
  /** The device the agent matched by source address, when it found one. */
  deviceId: Uuid.optional(),
});
export type TrapEvent = z.infer<typeof TrapEvent>;
