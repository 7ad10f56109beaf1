import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeMibNodes, MibNames } from '@drm/protocol';
import { MIB_NODES_FILE, parseBundledMibNodes, renderMibNodesSource } from '../../scripts/mib-modules.js';

// The table in @drm/protocol is generated from net-snmp's bundled modules. When an upgrade of
// net-snmp changes them, these fail until `npm run gen:mib -w @drm/agent` is run.
describe('the generated MIB node table', () => {
  const fresh = parseBundledMibNodes();

  it('names every node the bundled modules name, with the same module and name', () => {
    expect(new Map(MibNames.shared().nodes)).toEqual(fresh);
  });

  it('is the file the generator writes', () => {
    expect(readFileSync(MIB_NODES_FILE, 'utf8')).toBe(renderMibNodesSource(encodeMibNodes(fresh)));
  });

  it.each([
    ['1.3.6.1.2.1.1.1', 'SNMPv2-MIB::sysDescr'],
    ['1.3.6.1.2.1.2.2.1.2', 'IF-MIB::ifDescr'],
    ['1.3.6.1.2.1.4.20.1.1', 'RFC1213-MIB::ipAdEntAddr'],
    ['1.3.6.1.2.1.30', 'IANAifType-MIB::ianaifType'],
    ['1.3.6.1.4.1', 'SNMPv2-SMI::enterprises'],
  ])('gives %s to the module that comes last in the priority list: %s', (oid, name) => {
    expect(fresh.get(oid)).toBe(name);
  });
});
