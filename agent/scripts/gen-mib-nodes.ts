/**
 * Writes @drm/protocol's MIB node table from the modules net-snmp bundles, so neither the agent
 * nor the dashboard parses MIB files at run time. Run after upgrading net-snmp:
 *
 *   npm run gen:mib -w @drm/agent
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { encodeMibNodes } from '@drm/protocol';
import { MIB_NODES_FILE, parseBundledMibNodes, renderMibNodesSource } from './mib-modules.js';

const nodes = parseBundledMibNodes();
const rows = encodeMibNodes(nodes);
writeFileSync(MIB_NODES_FILE, renderMibNodesSource(rows));
console.log(`${nodes.size} named nodes in ${rows.length} rows: ${relative(process.cwd(), MIB_NODES_FILE)}`);
