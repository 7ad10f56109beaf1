import snmp from 'net-snmp';
import {
  encodeMessage,
  MAX_TRAP_VARBINDS,
  MibNames,
  messageFor,
  normalizeOid,
  type SnmpVersion,
  TrapEvent,
  Varbind,
} from '@drm/protocol';
import { fromRawVarbind, type RawVarbind } from './varbinds.js';

/** A notification as net-snmp's receiver hands it over (with `includeAuthentication`). */
export interface RawNotification {
  pdu: {
    type: number;
    /** RFC 1157 Trap-PDU fields (SNMPv1). */
    enterprise?: string;
    agentAddr?: string;
    generic?: number;
    specific?: number;
    upTime?: number;
    varbinds: RawVarbind[];
    /** True for SNMPv3 (the PDU came inside a scopedPDU). */
    scoped?: boolean;
    /** SECRET: the community of a v1/v2c message; used to match a device, never forwarded. */
    community?: string;
    /** The USM user name of a v3 message. */
    user?: string;
  };
  rinfo: { address: string; port: number };
}

export interface TrapEventContext {
  id: string;
  receivedAt: string;
  deviceId?: string | undefined;
  mib?: MibNames | undefined;
}

export type TrapConversion = { ok: true; event: TrapEvent } | { ok: false; problem: string };

/** RFC 3418: sysUpTime.0 and snmpTrapOID.0, the first two varbinds of an SNMPv2 notification. */
export const SYS_UP_TIME_0 = '1.3.6.1.2.1.1.3.0';
export const SNMP_TRAP_OID_0 = '1.3.6.1.6.3.1.1.4.1.0';
/** RFC 3418 snmpTraps: the generic traps' OIDs are this plus `generic-trap + 1`. */
const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';
const ENTERPRISE_SPECIFIC = 6;

const { PduType, ObjectType } = snmp;

/**
 * A UDP source address (or a device's address) as the protocol's `Host`, in one spelling per
 * address so the two compare: no IPv6 zone, IPv6 in its canonical form (RFC 5952: lower case,
 * no leading zeros, the longest run of zeros as `::`, so `2001:0DB8:0:0::1` is `2001:db8::1`),
 * IPv4-mapped IPv6 as IPv4. A DNS name comes back in lower case.
 */
export function sourceAddress(address: string): string {
  const bare = (address.split('%')[0] ?? address).toLowerCase();
  if (!bare.includes(':')) return bare;
  let canonical: string;
  try {
    // The WHATWG URL parser writes an IPv6 host in its canonical form.
    canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const hi = Number.parseInt(mapped[1]!, 16);
  const lo = Number.parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The version the message was sent in: a scoped PDU only exists in SNMPv3, a Trap-PDU only in v1. */
export function notificationVersion(pdu: RawNotification['pdu']): SnmpVersion {
  if (pdu.scoped) return '3';
  return pdu.type === PduType.Trap ? '1' : '2c';
}

/** RFC 3584 section 3.1 (2): the snmpTrapOID.0 of an SNMPv1 trap. */
export function v1TrapOid(enterprise: string, generic: number, specific: number): string {
  return generic === ENTERPRISE_SPECIFIC
    ? `${normalizeOid(enterprise)}.0.${specific}`
    : `${SNMP_TRAPS}.${generic + 1}`;
}

function named(varbinds: Varbind[], mib: MibNames): Varbind[] {
  return varbinds.map((vb) => {
    const name = mib.resolve(vb.oid);
    // The protocol caps names at 512 characters; a name is a convenience, the OID is the data.
    return name === undefined || name.length > 512 ? vb : { ...vb, name };
  });
}

/** Room kept for `omittedVarbinds` when varbinds are cut to fit a message. */
const OMITTED_FIELD_BYTES = 32;

/**
 * The event as one `events` message can carry it: when the message would be over the size
 * limit (hundreds of long varbinds), varbinds are left out from the end until it fits, so
 * the notification still reaches the hub (its trap OID, source, and what fits); every left
 * out varbind, here or in `decode`, is counted in `omittedVarbinds`.
 */
function fitted(event: TrapEvent, omitted: number): TrapEvent {
  const cut = (keep: number): TrapEvent => {
    const left = omitted + (event.varbinds.length - keep);
    const varbinds = keep === event.varbinds.length ? event.varbinds : event.varbinds.slice(0, keep);
    return left > 0 ? { ...event, varbinds, omittedVarbinds: left } : { ...event, varbinds };
  };
  let keep = event.varbinds.length;
  let out = cut(keep);
  let { bytes, limit } = encodeMessage(messageFor('events', out));
  while (bytes > limit && keep > 0) {
    // Cut what is over (each varbind's JSON and the comma before it), with room for the count
    // of left out varbinds; measure again, as the count may have grown by a digit.
    let over = bytes - limit + OMITTED_FIELD_BYTES;
    while (keep > 0 && over > 0) {
      keep -= 1;
      over -= Buffer.byteLength(JSON.stringify(event.varbinds[keep])) + 1;
    }
    out = cut(keep);
    ({ bytes, limit } = encodeMessage(messageFor('events', out)));
  }
  return out;
}

interface Header {
  trapOid?: string | undefined;
  uptime?: number | undefined;
  rest: RawVarbind[];
}

/**
 * RFC 3416 section 4.2.6: the first two varbinds of an SNMPv2-Trap-PDU or InformRequest-PDU
 * are sysUpTime.0 and snmpTrapOID.0. They become `uptime` and `trapOid`; the rest are the
 * notification's own. A sender that puts them elsewhere is tolerated for snmpTrapOID.0.
 */
function v2Header(varbinds: RawVarbind[]): Header {
  const rest = [...varbinds];
  let uptime: number | undefined;
  const first = rest[0];
  if (first && normalizeOid(first.oid) === SYS_UP_TIME_0 && first.type === ObjectType.TimeTicks) {
    uptime = typeof first.value === 'number' ? first.value >>> 0 : undefined;
    rest.shift();
  }
  const at = rest.findIndex((vb) => normalizeOid(vb.oid) === SNMP_TRAP_OID_0 && vb.type === ObjectType.OID);
  if (at < 0) return { uptime, rest };
  const [found] = rest.splice(at, 1);
  return { trapOid: String(found?.value), uptime, rest };
}

function describe(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * A received notification as the protocol's `TrapEvent`, validated. Never throws: what cannot
 * become a valid event (no snmpTrapOID.0, a generic-trap out of range, too many varbinds…)
 * comes back as a problem to count and drop. The community is never copied into the event.
 */
export function toTrapEvent(notification: RawNotification, ctx: TrapEventContext): TrapConversion {
  try {
    const { pdu, rinfo } = notification;
    const version = notificationVersion(pdu);
    const mib = ctx.mib ?? MibNames.shared();
    let omitted = 0;
    /** The varbinds the protocol can carry: a value it cannot (an OID of too many arcs…) is left out. */
    const decode = (raw: RawVarbind[]) => {
      const kept = named(raw.map(fromRawVarbind), mib).filter((vb) => Varbind.safeParse(vb).success);
      omitted += raw.length - kept.length;
      if (kept.length <= MAX_TRAP_VARBINDS) return kept;
      omitted += kept.length - MAX_TRAP_VARBINDS;
      return kept.slice(0, MAX_TRAP_VARBINDS);
    };
    const common = {
      id: ctx.id,
      receivedAt: ctx.receivedAt,
      source: { address: sourceAddress(rinfo.address), port: rinfo.port },
      version,
      ...(ctx.deviceId !== undefined && { deviceId: ctx.deviceId }),
      ...(version === '3' && pdu.user !== undefined && { securityName: pdu.user }),
    };
    let candidate: unknown;
    if (pdu.type === PduType.Trap) {
      const enterprise = normalizeOid(String(pdu.enterprise ?? ''));
      const generic = pdu.generic ?? -1;
      const specific = pdu.specific ?? -1;
      candidate = {
        ...common,
        pdu: 'trapv1',
        trapOid: v1TrapOid(enterprise, generic, specific),
        enterprise,
        uptime: pdu.upTime,
        agentAddress: pdu.agentAddr,
        genericTrap: generic,
        specificTrap: specific,
        varbinds: decode(pdu.varbinds ?? []),
      };
    } else if (pdu.type === PduType.TrapV2 || pdu.type === PduType.InformRequest) {
      const header = v2Header(pdu.varbinds ?? []);
      if (header.trapOid === undefined) return { ok: false, problem: 'no snmpTrapOID.0 varbind' };
      candidate = {
        ...common,
        pdu: pdu.type === PduType.InformRequest ? 'inform' : 'trap',
        trapOid: header.trapOid,
        ...(header.uptime !== undefined && { uptime: header.uptime }),
        varbinds: decode(header.rest),
      };
    } else {
      return { ok: false, problem: `not a notification PDU (type ${pdu.type})` };
    }
    const parsed = TrapEvent.safeParse(candidate);
    if (!parsed.success) return { ok: false, problem: describe(parsed.error) };
    return { ok: true, event: fitted(parsed.data, omitted) };
  } catch (err) {
    return { ok: false, problem: `cannot decode: ${(err as Error).message}` };
  }
}
