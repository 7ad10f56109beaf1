/**
 * Full-tree GetBulk walk of one loopback snmpd: the agent's SNMP driver with a warm, reused
 * session against Net-SNMP's C `snmpbulkwalk` on the same daemon, for v2c and v3 authPriv, at
 * the C tool's default max-repetitions (10) and at the driver's usual 25. Runs alternate
 * between the two (and which goes first), and each ratio is the median of the per-round ratios,
 * so that load which drifts during the run hits both sides alike.
 *
 * The C tool starts a process for every walk (and, for v3, discovers the engine and localises
 * its keys again); the driver's session is warm. Both ratios are printed: against the tool's
 * whole run, and against the tool's run less its fixed cost, measured as a walk of a
 * single-varbind subtree.
 *
 *   node --conditions=source --import tsx bench/snmp-walk.ts [rounds]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { JobSpec, SNMP_DEFAULTS, type SnmpAccess } from '@drm/protocol';
import { runSnmpJob, SessionPool, type SnmpJobSpec } from '../agent/src/drivers/snmp/index.js';
import { parseToolOutput } from '../agent/test/helpers/net-snmp-output.js';
import {
  probeSnmpTools,
  SNMPD_SHA_USER,
  type SnmpdInstance,
  startSnmpd,
} from '../agent/test/helpers/snmpd.js';

const ROUNDS = Number(process.argv[2] ?? 9);
const WARM_UP = 5;
const REPETITIONS = [10, 25] as const;
/** The max-repetitions each side uses when none is given. */
const TOOL_DEFAULT = 10;
const DRIVER_DEFAULT = SNMP_DEFAULTS.maxRepetitions;
/** sysDescr: one varbind, so its walk is the tool's start-up, set-up and one round trip. */
const TINY_ROOT = '.1.3.6.1.2.1.1.1';
const run = promisify(execFile);

interface Figure {
  varbinds: number;
  ms: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (mid === undefined) throw new Error('no runs');
  return mid;
};

const rate = (f: Figure) => (f.varbinds / f.ms) * 1000;

async function driverWalk(
  pool: SessionPool,
  snmpd: SnmpdInstance,
  access: SnmpAccess,
  maxRepetitions: number,
): Promise<Figure> {
  const walk = JobSpec.parse({
    kind: 'snmp.walk',
    params: { oid: '1.3.6.1', maxRepetitions, maxVarbinds: 1_000_000, targetBudgetMs: 600_000 },
  }) as SnmpJobSpec;
  const start = performance.now();
  const result = await runSnmpJob(walk, { host: snmpd.host, access }, { pool });
  const ms = performance.now() - start;
  if (result.status !== 'succeeded') throw new Error(`walk failed: ${result.error?.message}`);
  return { varbinds: result.varbinds?.length ?? 0, ms };
}

interface ToolRun {
  stdout: string;
  ms: number;
}

async function toolWalk(snmpd: SnmpdInstance, auth: string[], maxRepetitions: number, root = '.1') {
  const args = [...auth, '-On', `-Cr${maxRepetitions}`, `${snmpd.host}:${snmpd.port}`, root];
  const start = performance.now();
  const { stdout } = await run(snmpd.tools.snmpbulkwalk, args, {
    env: snmpd.env,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { stdout, ms: performance.now() - start };
}

/** Parsed after the rounds: its garbage would otherwise be collected during the next driver walk. */
const toolFigure = (t: ToolRun): Figure => ({
  varbinds: parseToolOutput(t.stdout).filter((v) => v.type !== 'exception').length,
  ms: t.ms,
});

async function measure(
  label: string,
  snmpd: SnmpdInstance,
  access: SnmpAccess,
  auth: string[],
  maxRepetitions: number,
  /** The C tool's max-repetitions when it differs from the driver's (each at its default). */
  toolRepetitions = maxRepetitions,
): Promise<void> {
  const pool = new SessionPool();
  // Warm-up: SNMPv3 discovery and keys, the JIT, the MIB name cache, snmpd's table caches.
  for (let i = 0; i < WARM_UP; i++) {
    await driverWalk(pool, snmpd, access, maxRepetitions);
    await toolWalk(snmpd, auth, toolRepetitions);
  }
  const ours: Figure[] = [];
  const runs: ToolRun[] = [];
  const fixed: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Who goes first alternates: snmpd rebuilds some table caches when they expire (every few
    // seconds), and the walk that comes first after that pays for it.
    if (i % 2 === 1) runs.push(await toolWalk(snmpd, auth, toolRepetitions));
    ours.push(await driverWalk(pool, snmpd, access, maxRepetitions));
    if (i % 2 === 0) runs.push(await toolWalk(snmpd, auth, toolRepetitions));
    fixed.push((await toolWalk(snmpd, auth, toolRepetitions, TINY_ROOT)).ms);
  }
  pool.close();
  const theirs = runs.map(toolFigure);
  const ratios = ours.map((o, i) => {
    const t = theirs[i] as Figure;
    return rate(o) / rate(t);
  });
  const walkOnly = ours.map((o, i) => {
    const t = theirs[i] as Figure;
    return rate(o) / rate({ varbinds: t.varbinds, ms: Math.max(t.ms - (fixed[i] as number), 1) });
  });
  const o = { varbinds: ours[0]?.varbinds ?? 0, ms: median(ours.map((f) => f.ms)) };
  const t = { varbinds: theirs[0]?.varbinds ?? 0, ms: median(theirs.map((f) => f.ms)) };
  const reps =
    toolRepetitions === maxRepetitions
      ? `r${String(maxRepetitions).padEnd(3)}`
      : `r${maxRepetitions}/${toolRepetitions} (each at its default)`;
  console.log(
    `${label.padEnd(12)} ${reps} driver ${o.varbinds} varbinds in ` +
      `${o.ms.toFixed(1)} ms = ${rate(o).toFixed(0)}/s | snmpbulkwalk ${t.varbinds} in ${t.ms.toFixed(1)} ms ` +
      `= ${rate(t).toFixed(0)}/s (of which start-up ${median(fixed).toFixed(1)} ms) | ratio ` +
      `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), ` +
      `vs walk only ${median(walkOnly).toFixed(2)}`,
  );
}

const probe = await probeSnmpTools();
if (!probe.ok) {
  console.error(probe.reason);
  process.exit(1);
}
const snmpd = await startSnmpd(probe.tools, [SNMPD_SHA_USER]);
try {
  console.log(`snmpd on udp:${snmpd.host}:${snmpd.port}, median of ${ROUNDS} alternating rounds`);
  const v2c: SnmpAccess = { version: '2c', port: snmpd.port, community: 'public' };
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
  const v3Args = ['-v3', '-l', 'authPriv', '-u', u.name, '-a', u.netSnmpAuth, '-A', u.authKey];
  const v3Auth = [...v3Args, '-x', u.netSnmpPriv, '-X', u.privKey];
  for (const r of REPETITIONS) {
    await measure('v2c', snmpd, v2c, ['-v2c', '-c', 'public'], r);
    await measure('v3 authPriv', snmpd, v3, v3Auth, r);
  }
  // What a user gets from each with no option given: the driver's usual 25 against the C
  // tool's default of 10.
  await measure('v2c', snmpd, v2c, ['-v2c', '-c', 'public'], DRIVER_DEFAULT, TOOL_DEFAULT);
  await measure('v3 authPriv', snmpd, v3, v3Auth, DRIVER_DEFAULT, TOOL_DEFAULT);
} finally {
  await snmpd.stop();
}
