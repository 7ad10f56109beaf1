import { describe, expect, it } from 'vitest';
import { MibNames, oidName } from '../../src/mib/mib-names.js';

describe('MibNames', () => {
  it.each([
    ['1.3.6.1.2.1.1.1.0', 'SNMPv2-MIB::sysDescr.0'],
    ['.1.3.6.1.2.1.1.3.0', 'SNMPv2-MIB::sysUpTime.0'],
    ['1.3.6.1.2.1.1.9.1.2.1', 'SNMPv2-MIB::sysORID.1'],
    ['1.3.6.1.2.1.2.2.1.10.3', 'IF-MIB::ifInOctets.3'],
    ['1.3.6.1.2.1.2.2', 'IF-MIB::ifTable'],
    ['1.3.6.1.2.1.31.1.1.1.6.2', 'IF-MIB::ifHCInOctets.2'],
    ['1.3.6.1.2.1.11.1.0', 'SNMPv2-MIB::snmpInPkts.0'],
    ['1.3.6.1.2.1.11.7.0', 'RFC1158-MIB::snmpInBadTypes.0'],
    ['1.3.6.1.2.1.4.20.1.1.10.0.0.1', 'RFC1213-MIB::ipAdEntAddr.10.0.0.1'],
    ['1.3.6.1.2.1', 'SNMPv2-SMI::mib-2'],
    ['1.3.6.1.4.1.8072.3.2.10', 'SNMPv2-SMI::enterprises.8072.3.2.10'],
    ['1.3.6.1.6.3.1.1.5.3', 'IF-MIB::linkDown'],
    ['1.3.6.1.6.3.1.1.4.1.0', 'SNMPv2-MIB::snmpTrapOID.0'],
    ['0.0', 'SNMPv2-SMI::zeroDotZero'],
  ])('names %s %s', (oid, name) => {
    expect(oidName(oid)).toBe(name);
  });

  it.each([['2.999.1'], ['1.2.840.10045'], ['0.1'], ['1']])(
    'leaves %s, under no known node, unnamed',
    (oid) => {
      expect(oidName(oid)).toBeUndefined();
    },
  );

  it('matches whole arcs, not string prefixes', () => {
    const names = new MibNames(new Map([['1.3.6.1.2.1.1', 'X::system']]));
    expect(names.resolve('1.3.6.1.2.1.10.7')).toBeUndefined();
    expect(names.resolve('1.3.6.1.2.1.1.5.0')).toBe('X::system.5.0');
  });

  it('answers from its cache the same as the first time, and starts the cache over when full', () => {
    const names = new MibNames(new Map([['1.3.6.1.2.1.2.2.1.2', 'IF-MIB::ifDescr']]));
    for (let i = 0; i < 50_010; i++) {
      expect(names.resolve(`1.3.6.1.2.1.2.2.1.2.${i}`)).toBe(`IF-MIB::ifDescr.${i}`);
    }
    expect(names.resolve('1.3.6.1.2.1.2.2.1.2.0')).toBe('IF-MIB::ifDescr.0');
    expect(names.resolve('1.3.6.1.9')).toBeUndefined();
    expect(names.resolve('1.3.6.1.9')).toBeUndefined();
  });

  it.each([
    ['1.3.6.1.2.1.2.2.1.10.3', { oid: '1.3.6.1.2.1.2.2.1.10', name: 'IF-MIB::ifInOctets' }],
    ['.1.3.6.1.2.1.1', { oid: '1.3.6.1.2.1.1', name: 'SNMPv2-MIB::system' }],
    ['1.3.6.1.4.1.9.1', { oid: '1.3.6.1.4.1', name: 'SNMPv2-SMI::enterprises' }],
    ['2.5', undefined],
  ])('finds the node at or nearest above %s', (oid, node) => {
    expect(MibNames.shared().nearestNode(oid)).toEqual(node);
  });

  it('decodes the generated table once', () => {
    expect(MibNames.shared()).toBe(MibNames.shared());
    expect(MibNames.shared().size).toBe(316);
    expect(MibNames.shared().nodes.get('1.3.6.1.2.1.1.1')).toBe('SNMPv2-MIB::sysDescr');
  });
});
