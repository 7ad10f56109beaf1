/**
 * The agent's resident memory when idle: `drm-agent run` enrolled with a hub, connected, holding
 * a desired state (a device and a poll every 60 s against a simulated device), after it has
 * settled. Measured for the built agent (`agent/dist`, as installed on an edge host; run
 * `npm run build` first) and from sources through tsx (as in development). Reference, same
 * run: a bare Node.js process that only keeps a timer, the floor any Node program pays.
 *
 *   node --conditions=source --import tsx bench/agent-idle-rss.ts [settle seconds]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_ENV } from '../agent/src/config.js';
import { startSnmpSimulator } from '../agent/test/helpers/snmp-simulator.js';
import { addDevice } from '../agent/test/link/hub-side.js';
import { createTestHub } from '../hub/test/helpers/hub.js';
import { enrolledAgent, listen, removeDataDirs } from '../test/faults/support.js';

const SETTLE_S = Number(process.argv[2] ?? 20);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUILT = `${ROOT}agent/dist/cli.js`;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Median RSS over the last half of the settle time, sampled every 500 ms. */
async function idleRss(child: ChildProcess): Promise<number> {
  const pid = child.pid!;
  const seen: number[] = [];
  for (let t = 0; t < SETTLE_S * 2; t++) {
    await new Promise((r) => setTimeout(r, 500));
    if (t >= SETTLE_S) seen.push(rssMb(pid));
  }
  seen.sort((a, b) => a - b);
  return seen[Math.floor(seen.length / 2)]!;
}

function run(args: string[]): ChildProcess {
  const env = { ...process.env };
  for (const key of CONFIG_ENV) delete env[key];
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const hub = await createTestHub();
  const url = await listen(hub.app);
  const sim = await startSnmpSimulator();
  const results: [string, number][] = [];

  const bare = run(['-e', 'setInterval(() => {}, 1000)']);
  results.push(['bare Node.js process (reference)', await idleRss(bare)]);
  await stop(bare);

  const modes: [string, string[]][] = [];
  if (existsSync(BUILT)) modes.push(['drm-agent run, built (agent/dist)', [BUILT]]);
  else console.log('agent/dist not built: run `npm run build` to measure the built agent');
  modes.push([
    'drm-agent run, from sources via tsx',
    ['--conditions=source', '--import', 'tsx', 'agent/src/cli.ts'],
  ]);
  for (const [label, entry] of modes) {
    const { agent, dataDir } = await enrolledAgent(hub, url);
    const deviceId = await addDevice(hub, agent, { address: sim.host, port: sim.port });
    const sched = await hub.call(agent.admin.token, 'POST', `${agent.base}/schedules`, {
      name: 'idle poll',
      kind: 'snmp.get',
      deviceIds: [deviceId],
      params: { oids: ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.2.1.10.2'] },
      intervalSeconds: 60,
    });
    if (sched.statusCode !== 201) throw new Error(`schedule: ${sched.statusCode} ${sched.body}`);
    const child = run([...entry, 'run', '--data-dir', dataDir, '--trap-port', '0', '--log-level', 'warn']);
    results.push([label, await idleRss(child)]);
    await stop(child);
  }

  const floor = results[0]![1];
  for (const [label, mb] of results) {
    console.log(
      `${label.padEnd(40)} ${mb.toFixed(1)} MB RSS  (${(mb / floor).toFixed(2)}× the bare process)`,
    );
  }
  await sim.close();
  await hub.close();
  removeDataDirs();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
