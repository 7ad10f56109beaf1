import { describe, expect, it } from 'vitest';
import { decodeMibNodes, encodeMibNodes, type MibNodeRow } from '../../src/mib/node-rows.js';

describe('MIB node rows', () => {
  it.each<[string, MibNodeRow[], [string, string][]]>([
    [
      'consecutive arcs from 1',
      [['1.3.6.1.2.1.1', 'M', 'a b c']],
      [
        ['1.3.6.1.2.1.1.1', 'M::a'],
        ['1.3.6.1.2.1.1.2', 'M::b'],
        ['1.3.6.1.2.1.1.3', 'M::c'],
      ],
    ],
    [
      'an explicit arc, and the next one after it',
      [['1.3.6.1.2.1.11', 'M', 'a 8=b c']],
      [
        ['1.3.6.1.2.1.11.1', 'M::a'],
        ['1.3.6.1.2.1.11.8', 'M::b'],
        ['1.3.6.1.2.1.11.9', 'M::c'],
      ],
    ],
    [
      'arc 0 and a root arc',
      [
        ['0', 'SNMPv2-SMI', '0=zeroDotZero'],
        ['', 'X', '2=joint-iso-ccitt'],
      ],
      [
        ['0.0', 'SNMPv2-SMI::zeroDotZero'],
        ['2', 'X::joint-iso-ccitt'],
      ],
    ],
    [
      'two modules under one parent',
      [
        ['1.3', 'A', 'x'],
        ['1.3', 'B', '3=y'],
      ],
      [
        ['1.3.1', 'A::x'],
        ['1.3.3', 'B::y'],
      ],
    ],
  ])('decodes %s', (_, rows, nodes) => {
    expect([...decodeMibNodes(rows)]).toEqual(nodes);
  });

  it('encodes in OID order, arc by arc, grouped by parent and module', () => {
    const nodes = new Map([
      ['1.3.6.1.2.1.10', 'SNMPv2-SMI::transmission'],
      ['1.3.6.1.2.1.2', 'IF-MIB::interfaces'],
      ['1.3.6.1.2.1.1', 'SNMPv2-MIB::system'],
      ['1.3.6.1.2.1.11', 'SNMPv2-MIB::snmp'],
      ['1.3.6.1.2.1.1.9', 'SNMPv2-MIB::sysORTable'],
      ['1.3.6.1.2.1.1.1', 'SNMPv2-MIB::sysDescr'],
      ['0.0', 'SNMPv2-SMI::zeroDotZero'],
    ]);
    expect(encodeMibNodes(nodes)).toEqual([
      ['0', 'SNMPv2-SMI', '0=zeroDotZero'],
      ['1.3.6.1.2.1', 'IF-MIB', '2=interfaces'],
      ['1.3.6.1.2.1', 'SNMPv2-MIB', 'system 11=snmp'],
      ['1.3.6.1.2.1', 'SNMPv2-SMI', '10=transmission'],
      ['1.3.6.1.2.1.1', 'SNMPv2-MIB', 'sysDescr 9=sysORTable'],
    ]);
    expect(decodeMibNodes(encodeMibNodes(nodes))).toEqual(nodes);
  });

  it('splits long rows, each continuation naming its first arc, and decodes back to the same nodes', () => {
    const nodes = new Map<string, string>();
    for (let arc = 1; arc <= 40; arc++)
      nodes.set(`1.3.6.1.2.1.2.2.1.${arc}`, `IF-MIB::ifSomeLongColumn${arc}`);
    const rows = encodeMibNodes(nodes);
    expect(rows.length).toBeGreaterThan(5);
    for (const [parent, module, children] of rows) {
      expect(parent.length + module.length + children.length).toBeLessThanOrEqual(94);
    }
    expect(rows[1]![2]).toMatch(/^\d+=ifSomeLongColumn\d+ /);
    expect(decodeMibNodes(rows)).toEqual(nodes);
  });

  it.each([
    ['1.3.6.1', 'noModule'],
    ['1.3.6.1', 'M::two words'],
    ['1.3.6.1', 'M::a=b'],
    ['1.3.6.1', '::a'],
    ['.1.3.6.1', 'M::a'],
    ['1.3.x', 'M::a'],
    ['', 'M::a'],
  ])('refuses %j named %j', (oid, name) => {
    expect(() => encodeMibNodes(new Map([[oid, name]]))).toThrow(/bad/);
  });
});
