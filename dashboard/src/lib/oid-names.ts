import { normalizeOid, oidProblem } from '@drm/protocol';

/**
 * Names of the MIB nodes people type most, from the modules the agent resolves names with
 * (SNMPv2-MIB, IF-MIB, RFC1213-MIB as bundled with net-snmp). Each row is a parent OID and the
 * names of its children 1, 2, 3…; `-` skips an arc that has no name here. The agent names
 * results itself (`SNMPv2-MIB::sysDescr.0`); this table lets the dashboard accept names as
 * input and name OIDs that arrive without one.
 */
const TREE: readonly (readonly [string, string])[] = [
  ['1.3.6', 'internet'],
  ['1.3.6.1', 'directory mgmt experimental private security snmpV2'],
  ['1.3.6.1.2', 'mib-2'],
  ['1.3.6.1.4', 'enterprises'],
  ['1.3.6.1.2.1', 'system interfaces at ip icmp tcp udp egp - transmission snmp'],
  [
    '1.3.6.1.2.1.1',
    'sysDescr sysObjectID sysUpTime sysContact sysName sysLocation sysServices sysORLastChange sysORTable',
  ],
  ['1.3.6.1.2.1.1.9', 'sysOREntry'],
  ['1.3.6.1.2.1.1.9.1', 'sysORIndex sysORID sysORDescr sysORUpTime'],
  ['1.3.6.1.2.1.2', 'ifNumber ifTable'],
  ['1.3.6.1.2.1.2.2', 'ifEntry'],
  [
    '1.3.6.1.2.1.2.2.1',
    'ifIndex ifDescr ifType ifMtu ifSpeed ifPhysAddress ifAdminStatus ifOperStatus ifLastChange ' +
      'ifInOctets ifInUcastPkts ifInNUcastPkts ifInDiscards ifInErrors ifInUnknownProtos ifOutOctets ' +
      'ifOutUcastPkts ifOutNUcastPkts ifOutDiscards ifOutErrors ifOutQLen ifSpecific',
  ],
  ['1.3.6.1.2.1.3', 'atTable'],
  ['1.3.6.1.2.1.3.1', 'atEntry'],
  ['1.3.6.1.2.1.3.1.1', 'atIfIndex atPhysAddress atNetAddress'],
  [
    '1.3.6.1.2.1.4',
    'ipForwarding ipDefaultTTL ipInReceives ipInHdrErrors ipInAddrErrors ipForwDatagrams ' +
      'ipInUnknownProtos ipInDiscards ipInDelivers ipOutRequests ipOutDiscards ipOutNoRoutes ' +
      'ipReasmTimeout ipReasmReqds ipReasmOKs ipReasmFails ipFragOKs ipFragFails ipFragCreates ' +
      'ipAddrTable ipRouteTable ipNetToMediaTable ipRoutingDiscards',
  ],
  ['1.3.6.1.2.1.4.20', 'ipAddrEntry'],
  ['1.3.6.1.2.1.4.20.1', 'ipAdEntAddr ipAdEntIfIndex ipAdEntNetMask ipAdEntBcastAddr ipAdEntReasmMaxSize'],
  ['1.3.6.1.2.1.4.21', 'ipRouteEntry'],
  [
    '1.3.6.1.2.1.4.21.1',
    'ipRouteDest ipRouteIfIndex ipRouteMetric1 ipRouteMetric2 ipRouteMetric3 ipRouteMetric4 ' +
      'ipRouteNextHop ipRouteType ipRouteProto ipRouteAge ipRouteMask ipRouteMetric5 ipRouteInfo',
  ],
  ['1.3.6.1.2.1.4.22', 'ipNetToMediaEntry'],
  [
    '1.3.6.1.2.1.4.22.1',
    'ipNetToMediaIfIndex ipNetToMediaPhysAddress ipNetToMediaNetAddress ipNetToMediaType',
  ],
  [
    '1.3.6.1.2.1.5',
    'icmpInMsgs icmpInErrors icmpInDestUnreachs icmpInTimeExcds icmpInParmProbs icmpInSrcQuenchs ' +
      'icmpInRedirects icmpInEchos icmpInEchoReps icmpInTimestamps icmpInTimestampReps icmpInAddrMasks ' +
      'icmpInAddrMaskReps icmpOutMsgs icmpOutErrors icmpOutDestUnreachs icmpOutTimeExcds ' +
      'icmpOutParmProbs icmpOutSrcQuenchs icmpOutRedirects icmpOutEchos icmpOutEchoReps ' +
      'icmpOutTimestamps icmpOutTimestampReps icmpOutAddrMasks icmpOutAddrMaskReps',
  ],
  [
    '1.3.6.1.2.1.6',
    'tcpRtoAlgorithm tcpRtoMin tcpRtoMax tcpMaxConn tcpActiveOpens tcpPassiveOpens tcpAttemptFails ' +
      'tcpEstabResets tcpCurrEstab tcpInSegs tcpOutSegs tcpRetransSegs tcpConnTable tcpInErrs tcpOutRsts',
  ],
  ['1.3.6.1.2.1.6.13', 'tcpConnEntry'],
  [
    '1.3.6.1.2.1.6.13.1',
    'tcpConnState tcpConnLocalAddress tcpConnLocalPort tcpConnRemAddress tcpConnRemPort',
  ],
  ['1.3.6.1.2.1.7', 'udpInDatagrams udpNoPorts udpInErrors udpOutDatagrams udpTable'],
  ['1.3.6.1.2.1.7.5', 'udpEntry'],
  ['1.3.6.1.2.1.7.5.1', 'udpLocalAddress udpLocalPort'],
  [
    '1.3.6.1.2.1.11',
    'snmpInPkts snmpOutPkts snmpInBadVersions snmpInBadCommunityNames snmpInBadCommunityUses ' +
      'snmpInASNParseErrs - snmpInTooBigs snmpInNoSuchNames snmpInBadValues snmpInReadOnlys ' +
      'snmpInGenErrs snmpInTotalReqVars snmpInTotalSetVars snmpInGetRequests snmpInGetNexts ' +
      'snmpInSetRequests snmpInGetResponses snmpInTraps snmpOutTooBigs snmpOutNoSuchNames ' +
      'snmpOutBadValues - snmpOutGenErrs snmpOutGetRequests snmpOutGetNexts snmpOutSetRequests ' +
      'snmpOutGetResponses snmpOutTraps snmpEnableAuthenTraps snmpSilentDrops snmpProxyDrops',
  ],
  ['1.3.6.1.2.1.31', 'ifMIBObjects'],
  [
    '1.3.6.1.2.1.31.1',
    'ifXTable ifStackTable ifTestTable ifRcvAddressTable ifTableLastChange ifStackLastChange',
  ],
  ['1.3.6.1.2.1.31.1.1', 'ifXEntry'],
  [
    '1.3.6.1.2.1.31.1.1.1',
    'ifName ifInMulticastPkts ifInBroadcastPkts ifOutMulticastPkts ifOutBroadcastPkts ifHCInOctets ' +
      'ifHCInUcastPkts ifHCInMulticastPkts ifHCInBroadcastPkts ifHCOutOctets ifHCOutUcastPkts ' +
      'ifHCOutMulticastPkts ifHCOutBroadcastPkts ifLinkUpDownTrapEnable ifHighSpeed ' +
      'ifPromiscuousMode ifConnectorPresent ifAlias ifCounterDiscontinuityTime',
  ],
  ['1.3.6.1.2.1.31.1.2', 'ifStackEntry'],
  ['1.3.6.1.2.1.31.1.2.1', 'ifStackHigherLayer ifStackLowerLayer ifStackStatus'],
  ['1.3.6.1.6.3', 'snmpMIB'],
  ['1.3.6.1.6.3.1', 'snmpMIBObjects'],
  ['1.3.6.1.6.3.1.1', '- - - snmpTrap snmpTraps snmpSet'],
  ['1.3.6.1.6.3.1.1.4', 'snmpTrapOID - snmpTrapEnterprise'],
  ['1.3.6.1.6.3.1.1.5', 'coldStart warmStart linkDown linkUp authenticationFailure'],
  ['1.3.6.1.6.3.1.1.6', 'snmpSetSerialNo'],
];

/** Nodes whose siblings have no names here. */
const SINGLES: readonly (readonly [string, string])[] = [
  ['iso', '1'],
  ['org', '1.3'],
  ['dod', '1.3.6'],
  ['ifMIB', '1.3.6.1.2.1.31'],
  ['snmpModules', '1.3.6.1.6.3'],
];

function buildTables(): { byName: Map<string, string>; byOid: Map<string, string> } {
  const byName = new Map<string, string>();
  const byOid = new Map<string, string>();
  const add = (name: string, oid: string) => {
    byName.set(name.toLowerCase(), oid);
    byOid.set(oid, name);
  };
  for (const [name, oid] of SINGLES) add(name, oid);
  for (const [parent, names] of TREE) {
    names.split(' ').forEach((name, i) => {
      if (name !== '-') add(name, `${parent}.${i + 1}`);
    });
  }
  return { byName, byOid };
}

const { byName: BY_NAME, byOid: BY_OID } = buildTables();

/** What `resolveOid` made of a person's input. */
export type OidInput = { ok: true; oid: string; name?: string } | { ok: false; message: string };

/** Every name in the table, for an input's suggestion list. */
export function knownOidNames(): string[] {
  return [...BY_OID.values()];
}

/**
 * Reads an OID as a person types it: numeric (`1.3.6.1.2.1.1.1.0`, `.1.3.6…`), a name
 * (`sysDescr`), a name with an instance (`ifDescr.2`, `sysUpTime.0`), or qualified by its module
 * (`SNMPv2-MIB::sysDescr.0`, `IF-MIB::ifTable`). Names are matched without regard to case.
 */
export function resolveOid(input: string): OidInput {
  const text = input.trim();
  if (text === '') return { ok: false, message: 'Enter an OID or a MIB name such as sysDescr.0' };
  if (/^\.?\d/.test(text)) {
    const problem = oidProblem(text);
    return problem
      ? { ok: false, message: `Not a valid OID: ${problem}` }
      : { ok: true, oid: normalizeOid(text) };
  }
  const unqualified = text.includes('::') ? text.slice(text.indexOf('::') + 2) : text;
  const match = /^([A-Za-z][A-Za-z0-9-]*)((?:\.\d+)*)$/.exec(unqualified);
  if (!match) return { ok: false, message: `"${text}" is neither an OID nor a MIB name` };
  const [, name = '', instance = ''] = match;
  const base = BY_NAME.get(name.toLowerCase());
  if (!base) {
    return { ok: false, message: `Unknown MIB name "${name}": enter the numeric OID instead` };
  }
  const oid = `${base}${instance}`;
  const problem = oidProblem(oid);
  if (problem) return { ok: false, message: `Not a valid OID: ${problem}` };
  return { ok: true, oid, name: `${BY_OID.get(base)}${instance}` };
}

/**
 * A name for a numeric OID by longest-prefix match (`1.3.6.1.2.1.2.2.1.2.3` → `ifDescr.3`), or
 * `undefined` when no known node is above it. Only nodes below mib-2 or the SNMP modules
 * count: naming `1.3.6.1.4.1.9.1` as `enterprises.9.1` would tell nobody anything.
 */
export function nameOfOid(oid: string): string | undefined {
  const canonical = normalizeOid(oid);
  let prefix = canonical;
  for (;;) {
    const name = BY_OID.get(prefix);
    if (name !== undefined && prefix.split('.').length > 6) {
      return prefix === canonical ? name : `${name}${canonical.slice(prefix.length)}`;
    }
    const cut = prefix.lastIndexOf('.');
    if (cut <= 0) return undefined;
    prefix = prefix.slice(0, cut);
  }
}

/** The agent's name without its module (`SNMPv2-MIB::sysDescr.0` → `sysDescr.0`), else the table's. */
export function displayName(oid: string, agentName?: string | null): string | undefined {
  if (agentName) return agentName.includes('::') ? agentName.slice(agentName.indexOf('::') + 2) : agentName;
  return nameOfOid(oid);
}
