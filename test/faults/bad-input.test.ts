import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Channel, maxMessageBytes, messageFor, PROTOCOL_VERSION, uuidv7 } from '@drm/protocol';
import {
  SIM_GOLDEN,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../agent/test/helpers/snmp-simulator.js';
import { addDevice, publishRaw } from '../../agent/test/link/hub-side.js';
import { createTestHub, type TestHub } from '../../hub/test/helpers/hub.js';
import type { TestAgent } from '../../hub/test/helpers/mqtt.js';
import {
  type AgentProcess,
  enrolledAgent,
  invalidCounts,
  listen,
  readStore,
  removeDataDirs,
  spawnAgent,
  stopProcess,
  waitFor,
} from './support.js';

/**
 * Malformed and oversized payloads on each of the agent's inbound channels, published on the
 * hub's side of the broker: `drm-agent run` drops and counts every one, keeps running, and
 * still runs a real job afterwards.
 */

let hub: TestHub;
let sim: SnmpSimulator;
let agent: TestAgent;
let dataDir: string;
let deviceId: string;
let proc: AgentProcess | undefined;

beforeAll(async () => {
  hub = await createTestHub();
  const hubUrl = await listen(hub.app);
  sim = await startSnmpSimulator();
  ({ agent, dataDir } = await enrolledAgent(hub, hubUrl));
  deviceId = await addDevice(hub, agent, { address: sim.host, port: sim.port });
}, 120_000);

afterAll(async () => {
  if (proc) await stopProcess(proc, 'SIGKILL');
  await sim?.close();
  await hub?.close();
  removeDataDirs();
});

const envelope = (type: string, body: unknown) =>
  JSON.stringify({ v: PROTOCOL_VERSION, id: uuidv7(), type, ts: new Date().toISOString(), body });
/** Over the channel's limit: 256 KiB, or 8 MiB for `config`. */
const oversized = (channel: Channel, type: string) =>
  envelope(type, { padding: 'x'.repeat(maxMessageBytes(channel) + 1024) });

/** Per channel: what a broken or hostile publisher might send. */
function payloads(): [Channel, string | Buffer][] {
  const now = new Date().toISOString();
  const job = {
    kind: 'snmp.get',
    params: { oids: ['1.3.6.1.2.1.1.1.0'] },
    jobId: randomUUID(),
    tenantId: agent.tenantId,
    targets: [{ deviceId, address: '127.0.0.1' }],
    deadline: new Date(Date.now() + 60_000).toISOString(),
    createdAt: now,
  };
  return [
    ['jobs', 'not json at all'],
    ['jobs', Buffer.from([0xc3, 0x28, 0xa0, 0xa1])],
    ['jobs', oversized('jobs', 'job.dispatch')],
    ['jobs', envelope('job.dispatch', { ...job, targets: [] })],
    ['jobs', JSON.stringify(messageFor('jobs', { ...job, tenantId: randomUUID() } as never))],
    ['jobs', JSON.stringify({ ...messageFor('jobs', job as never), v: 99 })],
    ['config', '[]'],
    ['config', oversized('config', 'config.sync')],
    ['config', envelope('config.sync', { revision: 999, devices: [], schedules: [{ id: 'nope' }] })],
    ['ack', 'null'],
    ['ack', envelope('result.ack', { committed: ['not-a-uuid'] })],
    ['ack', oversized('ack', 'result.ack')],
    ['cancel', '{"v":1'],
    ['cancel', envelope('job.cancel', { jobId: 42 })],
    ['cancel', oversized('cancel', 'job.cancel')],
  ];
}

it('drops and counts bad messages on jobs, config, ack and cancel, and still runs a job', async () => {
  proc = spawnAgent(dataDir);
  await waitFor('the agent online', async () => {
    const res = await hub.call(agent.admin.token, 'GET', `${agent.base}/agents/${agent.agentId}`);
    return res.json().state === 'online' ? true : undefined;
  });
  const revision = await waitFor('the desired state', () =>
    readStore(dataDir, (s) => {
      const r = s.desired.revision();
      return r >= 0 ? r : undefined;
    }),
  );
  const bad = payloads();
  for (const [channel, payload] of bad) await publishRaw(hub.app, agent, channel, payload);

  const counts = await waitFor('every bad message counted', () => {
    const c = invalidCounts(dataDir);
    return c && c.total >= bad.length ? c : undefined;
  });
  expect(counts.total).toBe(bad.length);
  expect(counts.byChannel).toEqual({ jobs: 6, config: 3, ack: 3, cancel: 3 });
  expect(counts.byReason).toEqual({ malformed: 5, 'too-large': 4, schema: 4, version: 1, identity: 1 });
  // Logged (rate-limited), and nothing was stored from them.
  expect(proc.logs().filter((l) => l.msg === 'invalid message from the hub dropped').length).toBeGreaterThan(
    0,
  );
  expect(proc.child.exitCode).toBeNull();
  readStore(dataDir, (s) => {
    expect(s.inbox.counts()).toEqual({ queued: 0, running: 0, done: 0, cancelled: 0 });
    expect(s.desired.revision()).toBe(revision);
  });

  const created = await hub.call(agent.admin.token, 'POST', `${agent.base}/jobs`, {
    kind: 'snmp.get',
    targets: [deviceId],
    params: { oids: ['1.3.6.1.2.1.1.1.0'] },
  });
  expect(created.statusCode).toBe(202);
  const jobId = created.json().id as string;
  const job = await waitFor('the job to finish', async () => {
    const res = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}`)).json();
    return ['succeeded', 'failed'].includes(res.status) ? res : undefined;
  });
  expect(job.status).toBe('succeeded');
  const results = (await hub.call(agent.admin.token, 'GET', `${agent.base}/jobs/${jobId}/results`)).json();
  expect(results.items[0].varbinds[0].value).toBe(SIM_GOLDEN.sysDescr);
  expect(await stopProcess(proc)).toEqual({ code: 0, signal: null });
}, 90_000);
