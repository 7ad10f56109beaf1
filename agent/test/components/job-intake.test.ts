import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JobDispatch, messageFor } from '@drm/protocol';
import { createTestHub, type TestHub } from '../../../hub/test/helpers/hub.js';
import { until } from '../../../hub/test/helpers/mqtt.js';
import { addDevice, publishRaw, removeStores, watch } from '../link/hub-side.js';
import { type Runtime, runtime } from '../link/runtime.js';

/**
 * Jobs, cancels and desired state from a real hub (jobs created through the API) into the
 * agent's SQLite store, with receipts and config acks back to the hub.
 */

let hub: TestHub;
let url: string;
const runtimes: Runtime[] = [];
const watchers: { stop(): void }[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  url = `mqtt://127.0.0.1:${hub.app.mqtt.port}`;
});

afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  for (const r of runtimes.splice(0)) await r.stop();
});

afterAll(async () => {
  await hub?.close();
  removeStores();
});

async function started(): Promise<Runtime> {
  const r = await runtime(hub, url);
  runtimes.push(r);
  return r;
}

async function createJob(r: Runtime, deviceIds: string[]): Promise<string> {
  const res = await hub.call(r.agent.admin.token, 'POST', `${r.agent.base}/jobs`, {
    kind: 'snmp.get',
    targets: deviceIds,
    params: { oids: ['1.3.6.1.2.1.1.5.0'] },
  });
  expect(res.statusCode).toBe(202);
  return res.json().id;
}

const getJob = async (r: Runtime, id: string) =>
  (await hub.call(r.agent.admin.token, 'GET', `${r.agent.base}/jobs/${id}`)).json();

describe('JobIntake', () => {
  it('stores a dispatched job, then receipts it, and wakes the executor', async () => {
    const r = await started();
    const devices = [await addDevice(hub, r.agent), await addDevice(hub, r.agent)];
    const receipts = watch(hub.app, r.agent, 'receipts');
    watchers.push(receipts);
    await r.start();
    await until(() => r.link.connected, 5_000);
    const jobId = await createJob(r, devices);
    expect(await until(() => receipts.seen.some((m) => m.body.jobIds.includes(jobId)), 5_000)).toBe(true);
    // The receipt came after the commit: both targets are in the inbox.
    for (const deviceId of devices) expect(r.store.inbox.get(jobId, deviceId)?.state).toBe('queued');
    expect(await until(() => r.store.inbox.pendingReceipts().length === 0, 5_000)).toBe(true);
    expect(r.calls.jobs).toBe(1);
    const job = await getJob(r, jobId);
    expect(job.targets.map((t: { status: string }) => t.status)).toEqual(['dispatched', 'dispatched']);
  });

  it('receipts a re-delivered job again without storing it twice', async () => {
    const r = await started();
    const deviceId = await addDevice(hub, r.agent);
    const receipts = watch(hub.app, r.agent, 'receipts');
    watchers.push(receipts);
    await r.start();
    await until(() => r.link.connected, 5_000);
    const jobId = await createJob(r, [deviceId]);
    await until(() => r.store.inbox.get(jobId, deviceId)?.receipted === true, 5_000);
    const stored = r.store.inbox.get(jobId, deviceId);
    expect(receipts.seen).toHaveLength(1);
    const again: JobDispatch = {
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.5.0'], targetBudgetMs: 30_000 },
      jobId,
      tenantId: r.agent.tenantId,
      targets: [{ deviceId, address: '192.0.2.10', snmp: { version: '2c', port: 161, community: 'public' } }],
      deadline: new Date(Date.now() + 60_000).toISOString(),
      createdAt: new Date().toISOString(),
    };
    await publishRaw(hub.app, r.agent, 'jobs', JSON.stringify(messageFor('jobs', again)));
    expect(await until(() => receipts.seen.length === 2, 5_000)).toBe(true);
    expect(receipts.seen[1]?.body.jobIds).toEqual([jobId]);
    expect(r.store.inbox.get(jobId, deviceId)).toEqual(stored);
    expect(r.store.inbox.counts().queued).toBe(1);
    // Nothing new to run.
    expect(r.calls.jobs).toBe(1);
  });

  it('drops a job that names another tenant: not stored, not receipted, counted', async () => {
    const r = await started();
    const receipts = watch(hub.app, r.agent, 'receipts');
    watchers.push(receipts);
    await r.start();
    await until(() => r.link.connected, 5_000);
    const foreign: JobDispatch = {
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.5.0'], targetBudgetMs: 30_000 },
      jobId: randomUUID(),
      tenantId: randomUUID(),
      targets: [{ deviceId: randomUUID(), address: '192.0.2.1' }],
      deadline: new Date(Date.now() + 60_000).toISOString(),
      createdAt: new Date().toISOString(),
    };
    await publishRaw(hub.app, r.agent, 'jobs', JSON.stringify(messageFor('jobs', foreign)));
    expect(await until(() => r.link.invalidMessages.total === 1, 5_000)).toBe(true);
    expect(r.link.invalidMessages.byReason).toEqual({ identity: 1 });
    expect(r.store.inbox.get(foreign.jobId, foreign.targets[0]!.deviceId)).toBeNull();
    expect(receipts.seen).toEqual([]);
    expect(r.calls.jobs).toBe(0);
  });

  it('sends the receipts it still owes when it connects', async () => {
    const r = await started();
    const deviceId = await addDevice(hub, r.agent);
    const jobId = randomUUID();
    // Stored by an earlier run that stopped before its receipt went out.
    r.store.inbox.put({
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.5.0'], targetBudgetMs: 30_000 },
      jobId,
      tenantId: r.agent.tenantId,
      targets: [{ deviceId, address: '192.0.2.10' }],
      deadline: new Date(Date.now() + 60_000).toISOString(),
      createdAt: new Date().toISOString(),
    });
    expect(r.store.inbox.pendingReceipts()).toEqual([{ jobId, deviceIds: [deviceId] }]);
    const receipts = watch(hub.app, r.agent, 'receipts');
    watchers.push(receipts);
    await r.start();
    expect(await until(() => receipts.seen.some((m) => m.body.jobIds.includes(jobId)), 5_000)).toBe(true);
    const sent = receipts.seen.find((m) => m.body.jobIds.includes(jobId));
    expect(sent?.body.targets).toEqual([{ jobId, deviceIds: [deviceId] }]);
    expect(await until(() => r.store.inbox.pendingReceipts().length === 0, 5_000)).toBe(true);
  });

  it('hands a cancel from the hub to the executor', async () => {
    const r = await started();
    const deviceId = await addDevice(hub, r.agent);
    await r.start();
    await until(() => r.link.connected, 5_000);
    const jobId = await createJob(r, [deviceId]);
    await until(() => r.store.inbox.get(jobId, deviceId) !== null, 5_000);
    const res = await hub.call(r.agent.admin.token, 'POST', `${r.agent.base}/jobs/${jobId}/cancel`);
    expect(res.statusCode).toBeLessThan(300);
    expect(await until(() => r.calls.cancels.length === 1, 5_000)).toBe(true);
    expect(r.calls.cancels[0]).toEqual({ jobId, targetIds: [deviceId] });
  });

  it('stores the desired state, acks its revision, reloads, and ignores a stale one', async () => {
    const r = await started();
    const deviceId = await addDevice(hub, r.agent);
    const acks = watch(hub.app, r.agent, 'config-ack');
    watchers.push(acks);
    await r.start();
    // Pushed on connect, with the device.
    expect(await until(() => r.store.desired.current()?.config.devices.length === 1, 5_000)).toBe(true);
    const schedule = await hub.call(r.agent.admin.token, 'POST', `${r.agent.base}/schedules`, {
      name: 'uptime',
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.3.0'] },
      deviceIds: [deviceId],
      intervalSeconds: 60,
    });
    expect(schedule.statusCode).toBe(201);
    expect(await until(() => r.store.desired.current()?.config.schedules.length === 1, 5_000)).toBe(true);
    const held = r.store.desired.revision();
    expect(await until(() => acks.seen.some((m) => m.body.revision === held), 5_000)).toBe(true);
    expect(acks.seen.every((m) => m.body.ok)).toBe(true);
    expect(await until(() => r.calls.configs >= 2, 5_000)).toBe(true);
    const agent = await hub.call(r.agent.admin.token, 'GET', `${r.agent.base}/agents/${r.agent.agentId}`);
    expect(agent.json().configRevision).toBe(held);

    // An older revision (a late re-delivery) changes nothing; the ack tells the hub what is held.
    const configs = r.calls.configs;
    const stale = messageFor('config', { revision: 0, devices: [], schedules: [] });
    await publishRaw(hub.app, r.agent, 'config', JSON.stringify(stale));
    expect(await until(() => acks.seen.length >= 3, 5_000)).toBe(true);
    expect(acks.seen.at(-1)?.body).toEqual({ revision: held, ok: true });
    expect(r.store.desired.current()?.config.schedules).toHaveLength(1);
    expect(r.calls.configs).toBe(configs);
  });
});
