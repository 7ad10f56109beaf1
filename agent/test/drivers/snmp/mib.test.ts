import { describe, expect, it } from 'vitest';
import { MibNames, oidName } from '../../../src/drivers/snmp/mib.js';

describe('MibNames', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', 'SNMPv2-MIB::sysDescr.0'],
    ['.1.3.6.1.2.1.1.3.0', 'SNMPv2-MIB::sysUpTime.0'],
    ['1.3.6.1.2.1.1.9.1.2.1', 'SNMPv2-MIB::sysORID.1'],
    ['1.3.6.1.2.1.2.2.1.10.3', 'IF-MIB::ifInOctets.3'],
    ['1.3.6.1.2.1.2.2', 'IF-MIB::ifTable'],
    ['1.3.6.1.2.1.31.1.1.1.6.2', 'IF-MIB::ifHCInOctets.2'],
    ['1.3.6.1.2.1.11.1.0', 'SNMPv2-MIB::snmpInPkts.0'],
    ['1.3.6.1.2.1.4.20.1.1.10.0.0.1', 'RFC1213-MIB::ipAdEntAddr.10.0.0.1'],
    ['1.3.6.1.2.1', 'SNMPv2-SMI::mib-2'],
    ['1.3.6.1.4.1.8072.3.2.10', 'SNMPv2-SMI::enterprises.8072.3.2.10'],
    ['0.0', 'SNMPv2-SMI::zeroDotZero'],
  ])('names %s %s', (oid, name) => {
    expect(oidName(oid)).toBe(name);
  });

  it.each([['2.999.1'], ['1.2.840.10045'], ['0.1']])('leaves %s, under no known node, unnamed', (oid) => {
    expect(oidName(oid)).toBeUndefined();
  });

  it('matches whole arcs, not string prefixes', () => {
    const names = new MibNames(new Map([['1.3.6.1.2.1.1', 'X::system']]));
    expect(names.resolve('1.3.6.1.2.1.10.7')).toBeUndefined();
    expect(names.resolve('1.3.6.1.2.1.1.5.0')).toBe('X::system.5.0');
  });

  it('loads the bundled modules once', () => {
    expect(MibNames.shared()).toBe(MibNames.shared());
    expect(MibNames.shared().size).toBeGreaterThan(300);
  });
});
