import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProgressEvent, TrapEvent, uuidv7 } from '@drm/protocol';
import type { Db } from '../../src/db/types.js';
import { recomputeJobStatus } from '../../src/modules/jobs/state.js';
import { progressHandler } from '../../src/mqtt/handlers/progress.js';
import { registerIngestion } from '../../src/mqtt/ingest.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import {
  FakeMqttHub,
  jobOf,
  queueJob,
  silentLog,
  type TenantFixture,
  targetsOf,
  tenantFixture,
} from './ingest-support.js';

let hub: TestHub;
let mqtt: FakeMqttHub;
const progressSeen: { tenantId: string; event: ProgressEvent }[] = [];
const pushes: { tenantId: string; agentId: string }[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  mqtt = new FakeMqttHub();
  registerIngestion(mqtt, {
    db: hub.db,
    log: silentLog,
    onProgress: (tenantId, event) => progressSeen.push({ tenantId, event }),
    pushConfig: async (tenantId, agentId) => {
      pushes.push({ tenantId, agentId });
    },
  });
});
afterAll(async () => {
  await hub?.close();
});

const fixture = () => tenantFixture(hub.db, hub.app.secrets, (name) => hub.tenant(name));
const from = (f: TenantFixture, agentId = f.agentA) => ({ tenantId: f.tenantId, agentId });

async function rows<R>(tenantId: string, sql: string, params: unknown[] = []): Promise<R[]> {
  return hub.db.withTenant(tenantId, async (q) => (await q.query<R>(sql, params)).rows);
}

describe('receipts', () => {
  it("marks only this agent's targets receipted and dispatches queued ones", async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.otherDev]);
    await rows(
      f.tenantId,
      `UPDATE job_targets SET status = 'dispatched', attempts = 1, dispatched_at = now() - interval '1 minute'
        WHERE job_id = $1 AND device_id = $2`,
      [jobId, f.snmpDev],
    );
    const receivedAt = new Date(Date.now() - 5000);
    await mqtt.deliver('receipts', from(f), { jobIds: [jobId, randomUUID()] }, { receivedAt });

    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.snmpDev)).toMatchObject({
      status: 'dispatched',
      attempts: 1,
      receiptedAt: receivedAt,
    });
    expect(targets.get(f.snmpDev)?.dispatchedAt?.getTime()).toBeLessThan(receivedAt.getTime());
    expect(targets.get(f.v3Dev)).toMatchObject({
      status: 'dispatched',
      receiptedAt: receivedAt,
      dispatchedAt: receivedAt,
    });
    expect(targets.get(f.otherDev)).toMatchObject({ status: 'queued', receiptedAt: null });
    expect((await jobOf(hub.db, f.tenantId, jobId)).status).toBe('dispatched');
  });

  it('marks only the targets a receipt names when it names them (one part of a split job)', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.trDev]);
    await rows(
      f.tenantId,
      `UPDATE job_targets SET status = 'dispatched', dispatched_at = now() WHERE job_id = $1`,
      [jobId],
    );
    const receivedAt = new Date(Date.now() - 5000);
    await mqtt.deliver(
      'receipts',
      from(f),
      { jobIds: [jobId], targets: [{ jobId, deviceIds: [f.snmpDev.toUpperCase()] }] },
      { receivedAt },
    );
    let targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.snmpDev)).toMatchObject({ status: 'dispatched', receiptedAt: receivedAt });
    // Not stored by the agent yet: still waiting, so sent again when the agent next connects.
    expect(targets.get(f.v3Dev)).toMatchObject({ status: 'dispatched', receiptedAt: null });
    expect(targets.get(f.trDev)).toMatchObject({ status: 'dispatched', receiptedAt: null });

    // The rest arrives and is receipted; a target named twice or another agent's is no matter.
    const later = new Date(Date.now() - 1000);
    await mqtt.deliver(
      'receipts',
      from(f),
      { jobIds: [jobId], targets: [{ jobId, deviceIds: [f.v3Dev, f.trDev, f.snmpDev, f.otherDev] }] },
      { receivedAt: later },
    );
    targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.snmpDev)?.receiptedAt).toEqual(receivedAt);
    expect(targets.get(f.v3Dev)?.receiptedAt).toEqual(later);
    expect(targets.get(f.trDev)?.receiptedAt).toEqual(later);
  });

  it("ignores a receipt naming another tenant's job", async () => {
    const f = await fixture();
    const other = await fixture();
    const foreign = await queueJob(hub.db, other.tenantId, [other.snmpDev]);
    await mqtt.deliver('receipts', from(f), { jobIds: [foreign] });
    expect((await targetsOf(hub.db, other.tenantId, foreign)).get(other.snmpDev)).toMatchObject({
      status: 'queued',
      receiptedAt: null,
    });
  });
});

describe('progress', () => {
  const event = (jobId: string, deviceId: string, state: ProgressEvent['state'], varbinds: number) => ({
    jobId,
    deviceId,
    state,
    counts: { varbinds },
    ...(state === 'varbinds' && { done: varbinds, total: 100 }),
  });

  it('marks the target running once, then keeps its progress at most once a second', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    let now = 1_000_000;
    const seen: ProgressEvent[] = [];
    const local = new FakeMqttHub();
    local.handle(
      'progress',
      progressHandler({ db: hub.db, onProgress: (_t, e) => seen.push(e) }, () => now),
    );
    const progressOf = async () => (await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)?.progress;

    await local.deliver('progress', from(f), event(jobId, f.snmpDev, 'started', 0));
    const running = (await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev);
    expect(running).toMatchObject({
      status: 'running',
      progress: { state: 'started', counts: { varbinds: 0 } },
    });
    expect(running?.startedAt).toBeInstanceOf(Date);
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({
      status: 'running',
      startedAt: running?.startedAt,
    });
    // The job was moved on without a recount; one now finds nothing to change.
    const recount = () => hub.db.withTenant(f.tenantId, (q) => recomputeJobStatus(q, f.tenantId, jobId));
    expect(await recount()).toMatchObject({ status: 'running', changed: false });

    now += 400;
    await local.deliver('progress', from(f), event(jobId, f.snmpDev, 'varbinds', 10));
    expect(await progressOf()).toMatchObject({ state: 'started' });
    now += 700;
    await local.deliver('progress', from(f), event(jobId, f.snmpDev, 'varbinds', 40));
    expect(await progressOf()).toMatchObject({
      state: 'varbinds',
      counts: { varbinds: 40 },
      done: 40,
      total: 100,
    });
    now += 10;
    await local.deliver('progress', from(f), event(jobId, f.snmpDev, 'done', 90));
    expect(await progressOf()).toMatchObject({ state: 'done', counts: { varbinds: 90 } });

    expect(seen.map((e) => e.counts.varbinds)).toEqual([0, 10, 40, 90]);
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.v3Dev)?.status).toBe('queued');
    // A second target starting in a running job leaves the job as a recount would.
    await local.deliver('progress', from(f), event(jobId, f.v3Dev, 'started', 0));
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.v3Dev)?.status).toBe('running');
    expect(await recount()).toMatchObject({ status: 'running', changed: false });
  });

  it("drops progress for another agent's target and leaves finished targets alone", async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.otherDev]);
    progressSeen.length = 0;
    await mqtt.deliver('progress', from(f), event(jobId, f.otherDev, 'started', 0));
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.otherDev)).toMatchObject({
      status: 'queued',
      progress: null,
    });
    expect(progressSeen).toEqual([]);

    await rows(
      f.tenantId,
      `UPDATE job_targets SET status = 'succeeded', finished_at = now() WHERE job_id = $1 AND device_id = $2`,
      [jobId, f.snmpDev],
    );
    await mqtt.deliver('progress', from(f), event(jobId, f.snmpDev, 'varbinds', 5));
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)).toMatchObject({
      status: 'succeeded',
      progress: null,
    });

    const job = await queueJob(hub.db, f.tenantId, [f.v3Dev]);
    await mqtt.deliver('progress', from(f), event(job, f.v3Dev, 'started', 0));
    expect(progressSeen).toEqual([{ tenantId: f.tenantId, event: event(job, f.v3Dev, 'started', 0) }]);
  });
});

describe('events', () => {
  const trap = (over: Record<string, unknown> = {}) => ({
    id: uuidv7(),
    receivedAt: new Date(Date.now() - 60_000).toISOString(),
    source: { address: '192.0.2.1', port: 162 },
    version: '2c',
    pdu: 'trap',
    trapOid: '1.3.6.1.6.3.1.1.5.3',
    uptime: 12345,
    varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.2', type: 'Integer', value: 2 }],
    ...over,
  });

  interface EventRow {
    agent_id: string;
    device_id: string | null;
    kind: string;
    received_at: Date;
    source: string;
    trap_oid: string;
    summary: string;
    payload: unknown;
  }
  const eventsOf = (f: TenantFixture) =>
    rows<EventRow>(
      f.tenantId,
      `SELECT agent_id, device_id, kind, received_at, source, trap_oid, summary, payload
         FROM events WHERE kind IN ('trap', 'inform', 'trapv1') ORDER BY received_at`,
    );

  it('stores a trap once, named from the MIB catalogue, with its device, and acks it each time', async () => {
    const f = await fixture();
    const t = trap({ deviceId: f.snmpDev });
    const first = await mqtt.deliver('events', from(f), t);
    const replay = await mqtt.deliver('events', from(f), t);
    // The agent deletes the event from its queue on the ack; a replay means it lost the first one.
    expect(mqtt.sent('ack', f.agentA)).toEqual([
      { batchId: first, committed: [t.id] },
      { batchId: replay, committed: [t.id] },
    ]);
    const stored = await eventsOf(f);
    expect(stored).toEqual([
      {
        agent_id: f.agentA,
        device_id: f.snmpDev,
        kind: 'trap',
        received_at: new Date(t.receivedAt),
        source: '192.0.2.1:162',
        trap_oid: '1.3.6.1.6.3.1.1.5.3',
        summary: 'linkDown',
        payload: TrapEvent.parse(t),
      },
    ]);
  });

  it("keeps no device that is not this agent's, names unknown traps by OID, and never dates ahead", async () => {
    const f = await fixture();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const receivedAt = new Date();
    await mqtt.deliver(
      'events',
      from(f),
      trap({
        deviceId: f.otherDev,
        pdu: 'inform',
        trapOid: '1.3.6.1.4.1.99999.0.1',
        source: { address: '2001:db8::7', port: 50162 },
        receivedAt: future,
      }),
      { receivedAt },
    );
    expect(await eventsOf(f)).toMatchObject([
      {
        device_id: null,
        kind: 'inform',
        source: '[2001:db8::7]:50162',
        summary: '1.3.6.1.4.1.99999.0.1',
        received_at: receivedAt,
      },
    ]);
  });
});

describe('events when the commit fails', () => {
  it('publishes no ack, so the agent keeps the event and sends it again', async () => {
    const f = await fixture();
    const broken = new FakeMqttHub();
    const db = hub.db;
    const failing: Db = {
      engine: db.engine,
      // Runs the insert, then fails the transaction as a lost connection would.
      withTenant: (ctx, fn) =>
        db.withTenant(ctx, async (q) => {
          await fn(q);
          throw new Error('commit failed');
        }),
      asSystem: (fn) => db.asSystem(fn),
      asOwner: (fn) => db.asOwner(fn),
      ping: () => db.ping(),
      close: async () => {},
    };
    registerIngestion(broken, { db: failing, log: silentLog });
    const t = {
      id: uuidv7(),
      receivedAt: new Date().toISOString(),
      source: { address: '192.0.2.1', port: 162 },
      version: '2c',
      pdu: 'inform',
      trapOid: '1.3.6.1.6.3.1.1.5.4',
      varbinds: [],
    };
    await expect(broken.deliver('events', from(f), t)).rejects.toThrow('commit failed');
    expect(broken.published).toEqual([]);
    const stored = await rows<{ n: number }>(
      f.tenantId,
      'SELECT count(*)::int AS n FROM events WHERE id = $1',
      [t.id],
    );
    expect(stored).toEqual([{ n: 0 }]);
  });
});

describe('config-ack', () => {
  const revisions = (f: TenantFixture) =>
    rows<{ config: number; acked: number }>(
      f.tenantId,
      'SELECT config_revision AS config, acked_config_revision AS acked FROM agents WHERE id = $1',
      [f.agentA],
    ).then((r) => r[0]);

  it('stores the highest revision acked', async () => {
    const f = await fixture();
    await rows(f.tenantId, 'UPDATE agents SET config_revision = 3 WHERE id = $1', [f.agentA]);
    await mqtt.deliver('config-ack', from(f), { revision: 3, ok: true });
    expect(await revisions(f)).toEqual({ config: 3, acked: 3 });
    await mqtt.deliver('config-ack', from(f), { revision: 2, ok: true });
    expect(await revisions(f)).toEqual({ config: 3, acked: 3 });
  });

  it('records a refusal as an agent event and keeps the acked revision', async () => {
    const f = await fixture();
    await rows(f.tenantId, 'UPDATE agents SET config_revision = 4, acked_config_revision = 3 WHERE id = $1', [
      f.agentA,
    ]);
    await mqtt.deliver('config-ack', from(f), { revision: 4, ok: false, error: 'schedule 1: bad OID' });
    expect(await revisions(f)).toEqual({ config: 4, acked: 3 });
    const events = await rows<{ agent_id: string; summary: string; payload: unknown }>(
      f.tenantId,
      `SELECT agent_id, summary, payload FROM events WHERE kind = 'agent.config-refused'`,
    );
    expect(events).toEqual([
      {
        agent_id: f.agentA,
        summary: 'agent refused config revision 4',
        payload: { revision: 4, error: 'schedule 1: bad OID' },
      },
    ]);
  });

  it("moves the hub's revision past one the agent holds above it, and pushes again", async () => {
    const f = await fixture();
    await rows(f.tenantId, 'UPDATE agents SET config_revision = 3 WHERE id = $1', [f.agentA]);
    pushes.length = 0;
    await mqtt.deliver('config-ack', from(f), { revision: 7, ok: true });
    expect(await revisions(f)).toEqual({ config: 8, acked: 7 });
    expect(pushes).toEqual([{ tenantId: f.tenantId, agentId: f.agentA }]);
  });
});
