import { describe, expect, it } from 'vitest';
import { displayName, knownOidNames, nameOfOid, resolveOid } from '../../src/lib/oid-names.js';

describe('resolveOid', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.1.0', undefined],
    ['.1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.1.0', undefined],
    ['  1.3.6.1.2.1.2.2  ', '1.3.6.1.2.1.2.2', undefined],
    ['sysDescr', '1.3.6.1.2.1.1.1', 'sysDescr'],
    ['sysDescr.0', '1.3.6.1.2.1.1.1.0', 'sysDescr.0'],
    ['sysdescr.0', '1.3.6.1.2.1.1.1.0', 'sysDescr.0'],
    ['SNMPv2-MIB::sysUpTime.0', '1.3.6.1.2.1.1.3.0', 'sysUpTime.0'],
    ['SNMPv2-MIB::sysDescr.0', '1.3.6.1.2.1.1.1.0', 'sysDescr.0'],
    ['RFC1213-MIB::sysDescr.0', '1.3.6.1.2.1.1.1.0', 'sysDescr.0'],
    ['IF-MIB::ifTable', '1.3.6.1.2.1.2.2', 'ifTable'],
    ['ifDescr.2', '1.3.6.1.2.1.2.2.1.2.2', 'ifDescr.2'],
    ['ifHCInOctets.1', '1.3.6.1.2.1.31.1.1.1.6.1', 'ifHCInOctets.1'],
    ['ifXTable', '1.3.6.1.2.1.31.1.1', 'ifXTable'],
    ['ifMIB', '1.3.6.1.2.1.31', 'ifMIB'],
    ['system', '1.3.6.1.2.1.1', 'system'],
    ['mib-2', '1.3.6.1.2.1', 'mib-2'],
    ['snmpOutTraps', '1.3.6.1.2.1.11.29', 'snmpOutTraps'],
    ['snmpInTooBigs', '1.3.6.1.2.1.11.8', 'snmpInTooBigs'],
    ['snmpTrapOID.0', '1.3.6.1.6.3.1.1.4.1.0', 'snmpTrapOID.0'],
    ['linkDown', '1.3.6.1.6.3.1.1.5.3', 'linkDown'],
    ['tcpConnState', '1.3.6.1.2.1.6.13.1.1', 'tcpConnState'],
    ['enterprises', '1.3.6.1.4.1', 'enterprises'],
    ['snmpInBadTypes', '1.3.6.1.2.1.11.7', 'snmpInBadTypes'],
    ['ifTestOwner.1', '1.3.6.1.2.1.31.1.3.1.6.1', 'ifTestOwner.1'],
    ['ianaifType', '1.3.6.1.2.1.30', 'ianaifType'],
  ])('%s → %s', (input, oid, name) => {
    const r = resolveOid(input);
    expect(r).toEqual(name ? { ok: true, oid, name } : { ok: true, oid });
  });

  it.each([
    ['', /Enter an OID/],
    ['   ', /Enter an OID/],
    ['sysDescrr.0', /Unknown MIB name "sysDescrr"/],
    ['3.1.2', /first sub-identifier/],
    ['1.3.6.1.x', /neither an OID nor a MIB name|Not a valid OID/],
    ['sys Descr', /neither an OID nor a MIB name/],
    ['ifDescr.a', /neither an OID nor a MIB name/],
  ])('%j is refused with a reason', (input, message) => {
    const r = resolveOid(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('nameOfOid', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', 'sysDescr.0'],
    ['.1.3.6.1.2.1.1.5.0', 'sysName.0'],
    ['1.3.6.1.2.1.2.2.1.10.3', 'ifInOctets.3'],
    ['1.3.6.1.2.1.31.1.1.1.1.2', 'ifName.2'],
    ['1.3.6.1.2.1.2.2', 'ifTable'],
    ['1.3.6.1.6.3.1.1.5.4', 'linkUp'],
    ['1.3.6.1.2.1.4.20.1.1.192.0.2.1', 'ipAdEntAddr.192.0.2.1'],
    // Nothing useful to say above mib-2, nor for private enterprise arcs.
    ['1.3.6.1.4.1.99999.1.1.0', undefined],
    ['1.3.6.1.2.1', undefined],
    ['1.3.6.1.2.1.99.1', undefined],
  ])('%s → %s', (oid, name) => {
    expect(nameOfOid(oid)).toBe(name);
  });

  it('every name below mib-2 or the SNMP modules maps back to the same name', () => {
    let below = 0;
    for (const input of knownOidNames()) {
      const r = resolveOid(input);
      if (!r.ok) throw new Error(`${input}: ${r.message}`);
      if (r.oid.split('.').length < 7) continue;
      below++;
      expect(nameOfOid(r.oid)).toBe(input);
      expect(nameOfOid(`${r.oid}.999999.0`)).toBe(`${input}.999999.0`);
    }
    expect(below).toBeGreaterThan(290);
  });
});

describe('displayName', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', 'SNMPv2-MIB::sysDescr.0', 'sysDescr.0'],
    ['1.3.6.1.2.1.1.1.0', 'sysDescr.0', 'sysDescr.0'],
    ['1.3.6.1.2.1.1.1.0', undefined, 'sysDescr.0'],
    ['1.3.6.1.2.1.1.1.0', null, 'sysDescr.0'],
    ['1.3.6.1.4.1.9.1', undefined, undefined],
  ])('%s named %s → %s', (oid, agentName, expected) => {
    expect(displayName(oid, agentName)).toBe(expected);
  });
});

describe('knownOidNames', () => {
  it('lists the names of the table the agent uses, without modules, each naming one node', () => {
    const names = knownOidNames();
    expect(names).toEqual(expect.arrayContaining(['sysDescr', 'ifHCInOctets', 'ipAdEntAddr', 'linkUp']));
    expect(names.filter((n) => n.includes('::'))).toEqual([]);
    // resolveOid matches names without case; two nodes with one name would make it guess.
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(names.length).toBe(316);
  });
});
