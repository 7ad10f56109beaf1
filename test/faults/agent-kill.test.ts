import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  SIM_SLOW_ROOT,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../agent/test/helpers/snmp-simulator.js';
import { addDevice } from '../../agent/test/link/hub-side.js';
import { createTestHub, type TestHub } from '../../hub/test/helpers/hub.js';
import type { TestAgent } from '../../hub/test/helpers/mqtt.js';
import {
  type AgentProcess,
  enrolledAgent,
  listen,
  readStore,
  removeDataDirs,
  spawnAgent,
  stopProcess,
  waitFor,
} from './support.js';

/**
 * `kill -9` of `drm-agent run` in the middle of a job, then a restart: the job completes, and
 * the hub holds exactly one result per target. Each target reads a scalar that the simulated
 * device answers after 700 ms, two at a time, so the kill lands with targets finished,
 * running and queued.
 */

const TARGETS = 10;
const SLOW_MS = 700;

let hub: TestHub;
let sim: SnmpSimulator;
let agent: TestAgent;
let dataDir: string;
let devices: string[];
const processes: AgentProcess[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  const hubUrl = await listen(hub.app);
  sim = await startSnmpSimulator({ slowMs: SLOW_MS });
  ({ agent, dataDir } = await enrolledAgent(hub, hubUrl));
  devices = [];
  for (let i = 0; i < TARGETS; i++) {
    devices.push(await addDevice(hub, agent, { address: sim.host, port: sim.port, name: `slow-${i}` }));
  }
}, 120_000);

afterAll(async () => {
  for (const p of processes) await stopProcess(p, 'SIGKILL');
  await sim?.close();
  await hub?.close();
  removeDataDirs();
});

function start(): AgentProcess {
  const p = spawnAgent(dataDir, ['--max-concurrency', '2', '--per-device-concurrency', '1']);
  processes.push(p);
  return p;
}

const resultsPerTarget = async (jobId: string) =>
  (
    await hub.db.asOwner((q) =>
      q.query<{ device_id: string; n: number }>(
        `SELECT device_id::text, count(*)::int AS n FROM job_results
          WHERE tenant_id = $1 AND job_id = $2 GROUP BY device_id`,
        [agent.tenantId, jobId],
      ),
    )
  ).rows;

it('completes a job interrupted by kill -9, with each result stored exactly once', async () => {
  const first = start();
  await waitFor('the agent online', async () => {
    const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`);
    return res.json().state === 'online' ? true : undefined;
  });
  const created = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs`, {
    kind: 'snmp.get',
    targets: devices,
    params: { oids: [`${SIM_SLOW_ROOT}.3.0`], timeoutMs: 5_000 },
  });
  expect(created.statusCode).toBe(202);
  const jobId = created.json().id as string;

  // Some results committed by the hub, some targets still to go: kill it there.
  const before = await waitFor('the first results in the hub', async () => {
    const rows = await resultsPerTarget(jobId);
    return rows.length >= 2 ? rows : undefined;
  });
  first.child.kill('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(before.length).toBeLessThan(TARGETS);
  const left = readStore(dataDir, (s) => s.inbox.counts());
  expect(left.queued + left.running).toBeGreaterThan(0);

  // The hub sees the connection end (the last will, or the socket closing).
  await waitFor('the agent offline', async () => {
    const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`);
    return res.json().state === 'offline' ? true : undefined;
  });

  const second = start();
  const job = await waitFor(
    'the job to finish',
    async () => {
      const res = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}`)).json();
      return ['succeeded', 'failed', 'partial'].includes(res.status) ? res : undefined;
    },
    40_000,
  );
  expect(job.status).toBe('succeeded');
  expect(job.progress).toEqual({ done: TARGETS, total: TARGETS });

  const rows = await resultsPerTarget(jobId);
  expect(rows.map((r) => r.device_id).sort()).toEqual([...devices].sort());
  expect(rows.every((r) => r.n === 1)).toBe(true);
  const results = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}/results`)).json();
  expect(results.items).toHaveLength(TARGETS);
  for (const item of results.items) expect(item.varbinds[0].value).toBe(3);

  // The restarted agent requeued what the kill left running, and reports nothing twice.
  expect(second.logs().some((l) => l.msg.includes('queued again'))).toBe(left.running > 0);
  await waitFor('the outbox drained', () =>
    readStore(dataDir, (s) => s.outbox.stats().count) === 0 ? true : undefined,
  );
  expect(await stopProcess(second)).toEqual({ code: 0, signal: null });
}, 90_000);
