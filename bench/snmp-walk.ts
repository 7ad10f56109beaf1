/**
 * Full-tree GetBulk walk of one loopback snmpd: the agent's SNMP driver with a warm, reused
 * session against Net-SNMP's C `snmpbulkwalk` on the same daemon, v2c and v3 authPriv,
 * max-repetitions 25, median of 5 runs each.
 *
 *   node --conditions=source --import tsx bench/snmp-walk.ts
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { JobSpec, type SnmpAccess } from '@drm/protocol';
import { runSnmpJob, SessionPool, type SnmpJobSpec } from '../agent/src/drivers/snmp/index.js';
import { parseToolOutput } from '../agent/test/helpers/net-snmp-output.js';
import {
  probeSnmpTools,
  SNMPD_SHA_USER,
  type SnmpdInstance,
  startSnmpd,
} from '../agent/test/helpers/snmpd.js';

const RUNS = 5;
const WARM_UP = 3;
const MAX_REPETITIONS = 25;
const run = promisify(execFile);

interface Figure {
  varbinds: number;
  ms: number;
}

function median(figures: Figure[]): Figure {
  const sorted = [...figures].sort((a, b) => a.ms - b.ms);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (!mid) throw new Error('no runs');
  return mid;
}

const rate = (f: Figure) => (f.varbinds / f.ms) * 1000;

async function driverWalk(pool: SessionPool, snmpd: SnmpdInstance, access: SnmpAccess): Promise<Figure> {
  const walk = JobSpec.parse({
    kind: 'snmp.walk',
    params: {
      oid: '1.3.6.1',
      maxRepetitions: MAX_REPETITIONS,
      maxVarbinds: 1_000_000,
      targetBudgetMs: 600_000,
    },
  }) as SnmpJobSpec;
  const start = performance.now();
  const result = await runSnmpJob(walk, { host: snmpd.host, access }, { pool });
  const ms = performance.now() - start;
  if (result.status !== 'succeeded') throw new Error(`walk failed: ${result.error?.message}`);
  return { varbinds: result.varbinds?.length ?? 0, ms };
}

async function toolWalk(snmpd: SnmpdInstance, auth: string[]): Promise<Figure> {
  const args = [...auth, '-On', `-Cr${MAX_REPETITIONS}`, `${snmpd.host}:${snmpd.port}`, '.1'];
  const start = performance.now();
  const { stdout } = await run(snmpd.tools.snmpbulkwalk, args, {
    env: snmpd.env,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  return { varbinds: parseToolOutput(stdout).filter((v) => v.type !== 'exception').length, ms };
}

async function measure(
  label: string,
  snmpd: SnmpdInstance,
  access: SnmpAccess,
  auth: string[],
): Promise<void> {
  const pool = new SessionPool();
  // Warm-up: SNMPv3 discovery and keys, the JIT, the MIB name cache, snmpd's table caches.
  for (let i = 0; i < WARM_UP; i++) {
    await driverWalk(pool, snmpd, access);
    await toolWalk(snmpd, auth);
  }
  const ours: Figure[] = [];
  const theirs: Figure[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await driverWalk(pool, snmpd, access));
    theirs.push(await toolWalk(snmpd, auth));
  }
  pool.close();
  const o = median(ours);
  const t = median(theirs);
  console.log(
    `${label.padEnd(14)} driver ${o.varbinds} varbinds in ${o.ms.toFixed(1)} ms = ${rate(o).toFixed(0)}/s | ` +
      `snmpbulkwalk ${t.varbinds} in ${t.ms.toFixed(1)} ms = ${rate(t).toFixed(0)}/s | ` +
      `ratio ${(rate(o) / rate(t)).toFixed(2)}`,
  );
}

const probe = await probeSnmpTools();
if (!probe.ok) {
  console.error(probe.reason);
  process.exit(1);
}
const snmpd = await startSnmpd(probe.tools, [SNMPD_SHA_USER]);
try {
  console.log(
    `snmpd on udp:${snmpd.host}:${snmpd.port}, max-repetitions ${MAX_REPETITIONS}, median of ${RUNS}`,
  );
  const v2c: SnmpAccess = { version: '2c', port: snmpd.port, community: 'public' };
  await measure('v2c', snmpd, v2c, ['-v2c', '-c', 'public']);
  const u = SNMPD_SHA_USER;
  const v3: SnmpAccess = {
    version: '3',
    port: snmpd.port,
    username: u.name,
    securityLevel: 'authPriv',
    authProtocol: u.authProtocol,
    authKey: u.authKey,
    privProtocol: u.privProtocol,
    privKey: u.privKey,
  };
  const v3Args = [
    '-v3',
    '-l',
    'authPriv',
    '-u',
    u.name,
    '-a',
    u.netSnmpAuth,
    '-A',
    u.authKey,
    '-x',
    u.netSnmpPriv,
  ];
  await measure('v3 authPriv', snmpd, v3, [...v3Args, '-X', u.privKey]);
} finally {
  await snmpd.stop();
}
