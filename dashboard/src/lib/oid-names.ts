import { MibNames, normalizeOid, oidProblem } from '@drm/protocol';

/**
 * OID names from the table the agent names results with (`MibNames` in @drm/protocol,
 * generated from the SNMPv2-SMI, SNMPv2-MIB, IF-MIB and RFC1213-MIB modules net-snmp bundles).
 * The agent names results itself (`SNMPv2-MIB::sysDescr.0`); this lets the dashboard accept
 * names as input and name OIDs that arrive without one. Names are shown without their module.
 */
const MIB = MibNames.shared();

/** mib-2 (1.3.6.1.2.1) and snmpModules (1.3.6.1.6.3) have 6 arcs; names below them say something. */
const MIN_NAMED_ARCS = 7;

let byName: Map<string, string> | undefined;

/** Lower-case name → OID of every named node. */
function nameIndex(): Map<string, string> {
  if (!byName) {
    byName = new Map();
    for (const [oid, name] of MIB.nodes) byName.set(withoutModule(name).toLowerCase(), oid);
  }
  return byName;
}

function withoutModule(name: string): string {
  const sep = name.indexOf('::');
  return sep < 0 ? name : name.slice(sep + 2);
}

/** What `resolveOid` made of a person's input. */
export type OidInput = { ok: true; oid: string; name?: string } | { ok: false; message: string };

/** Every name in the table, for an input's suggestion list. */
export function knownOidNames(): string[] {
  return [...new Set([...MIB.nodes.values()].map(withoutModule))];
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
  // The module is not checked: `RFC1213-MIB::sysDescr` names the same node as the table's
  // `SNMPv2-MIB::sysDescr`, and no two nodes of the table share a name (a test checks).
  const match = /^([A-Za-z][A-Za-z0-9-]*)((?:\.\d+)*)$/.exec(withoutModule(text));
  if (!match) return { ok: false, message: `"${text}" is neither an OID nor a MIB name` };
  const [, name = '', instance = ''] = match;
  const base = nameIndex().get(name.toLowerCase());
  if (!base) {
    return { ok: false, message: `Unknown MIB name "${name}": enter the numeric OID instead` };
  }
  const oid = `${base}${instance}`;
  const problem = oidProblem(oid);
  if (problem) return { ok: false, message: `Not a valid OID: ${problem}` };
  return { ok: true, oid, name: `${withoutModule(MIB.nodes.get(base)!)}${instance}` };
}

/**
 * A name for a numeric OID by longest-prefix match (`1.3.6.1.2.1.2.2.1.2.3` → `ifDescr.3`), or
 * `undefined` when no known node is above it. Only nodes below mib-2 or the SNMP modules
 * count: naming `1.3.6.1.4.1.9.1` as `enterprises.9.1` would tell nobody anything.
 */
export function nameOfOid(oid: string): string | undefined {
  const node = MIB.nearestNode(oid);
  if (!node || node.oid.split('.').length < MIN_NAMED_ARCS) return undefined;
  return `${withoutModule(node.name)}${normalizeOid(oid).slice(node.oid.length)}`;
}

/** The agent's name without its module (`SNMPv2-MIB::sysDescr.0` → `sysDescr.0`), else the table's. */
export function displayName(oid: string, agentName?: string | null): string | undefined {
  if (agentName) return withoutModule(agentName);
  return nameOfOid(oid);
}
