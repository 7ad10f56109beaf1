import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFor, type ResultAck, uuidv7 } from '@drm/protocol';
import type { Db, Queryable } from '../../src/db/types.js';
import { recomputeJobStatus } from '../../src/modules/jobs/state.js';
import { registerIngestion } from '../../src/mqtt/ingest.js';
import { gate } from '../helpers/gate.js';
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
let registry: Registry;

beforeAll(async () => {
  hub = await createTestHub();
  mqtt = new FakeMqttHub();
  registry = new Registry();
  registerIngestion(mqtt, { db: hub.db, log: silentLog, metrics: registry });
});
afterAll(async () => {
  await hub?.close();
});

const fixture = () => tenantFixture(hub.db, hub.app.secrets, (name) => hub.tenant(name));
const agentA = (f: TenantFixture) => ({ tenantId: f.tenantId, agentId: f.agentA });

const STARTED = '2025-03-01T12:00:00.000Z';
const FINISHED = '2025-03-01T12:00:01.500Z';

function result(jobId: string, deviceId: string, over: Record<string, unknown> = {}) {
  return {
    kind: 'result',
    id: uuidv7(),
    jobId,
    deviceId,
    status: 'succeeded',
    startedAt: STARTED,
    finishedAt: FINISHED,
    varbinds: [{ oid: '1.3.6.1.2.1.1.1.0', type: 'OctetString', value: 'Linux edge 6.1' }],
    ...over,
  };
}

function sample(deviceId: string, over: Record<string, unknown> = {}) {
  return {
    kind: 'sample',
    id: uuidv7(),
    scheduleId: randomUUID(),
    deviceId,
    ts: new Date().toISOString(),
    oid: '1.3.6.1.2.1.2.2.1.10.1',
    name: 'ifInOctets.1',
    type: 'Counter32',
    valueNum: 1234,
    ...over,
  };
}

async function count(db: Db, tenantId: string, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.withTenant(tenantId, (q) => q.query<{ n: number }>(sql, params));
  return rows[0]!.n;
}

const resultRows = (f: TenantFixture, jobId: string) =>
  count(hub.db, f.tenantId, 'SELECT count(*)::int AS n FROM job_results WHERE job_id = $1', [jobId]);

async function metric(name: string, label: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (
    m?.values.filter((v) => Object.values(v.labels).includes(label)).reduce((a, v) => a + v.value, 0) ?? 0
  );
}

function lastAck(agentId: string): ResultAck {
  const acks = mqtt.sent('ack', agentId);
  expect(acks.length).toBeGreaterThan(0);
  return acks.at(-1)!;
}

describe('results', () => {
  it('stores a batch once, finishes the targets, and acks every id again on replay', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    const items = [result(jobId, f.snmpDev), result(jobId, f.v3Dev)];
    const before = await metric('drm_hub_ingest_rows_total', 'job_results');
    const paths = async () => [
      await metric('drm_hub_ingest_result_batches_total', 'one-statement'),
      await metric('drm_hub_ingest_result_batches_total', 'step-by-step'),
    ];
    const [whole = 0, stepwise = 0] = await paths();

    const batchId = await mqtt.deliver('results', agentA(f), { items });
    expect(lastAck(f.agentA)).toEqual({ batchId, committed: items.map((i) => i.id) });
    expect(await resultRows(f, jobId)).toBe(2);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.snmpDev)).toMatchObject({
      status: 'succeeded',
      startedAt: new Date(STARTED),
      finishedAt: new Date(FINISHED),
    });
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'succeeded', doneTargets: 2 });
    expect(await metric('drm_hub_ingest_rows_total', 'job_results')).toBe(before + 2);

    const replayId = await mqtt.deliver('results', agentA(f), { items });
    expect(lastAck(f.agentA)).toEqual({ batchId: replayId, committed: items.map((i) => i.id) });
    expect(await resultRows(f, jobId)).toBe(2);
    expect(await metric('drm_hub_ingest_rows_total', 'job_results')).toBe(before + 2);
    expect(await metric('drm_hub_ingest_duplicates_total', 'job_results')).toBeGreaterThanOrEqual(2);
    // Fresh results of open targets in one statement; the replay (targets ended) step by step.
    expect(await paths()).toEqual([whole + 1, stepwise + 1]);
  });

  it('ends targets cancelled or expired as their results say, alone or beside a replay', async () => {
    const f = await fixture();
    const failed = (jobId: string, deviceId: string, code: string) =>
      result(jobId, deviceId, {
        status: 'failed',
        varbinds: undefined,
        error: { code, message: `${code} on the agent` },
      });
    // A batch of open targets only: stored in one statement.
    const alone = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    await mqtt.deliver('results', agentA(f), {
      items: [failed(alone, f.snmpDev, 'cancelled'), failed(alone, f.v3Dev, 'expired')],
    });
    const aloneTargets = await targetsOf(hub.db, f.tenantId, alone);
    expect([aloneTargets.get(f.snmpDev)?.status, aloneTargets.get(f.v3Dev)?.status]).toEqual([
      'cancelled',
      'expired',
    ]);
    // A replayed result whose target has ended beside fresh ones: stored step by step, alike.
    const mixed = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.trDev]);
    const first = result(mixed, f.snmpDev);
    await mqtt.deliver('results', agentA(f), { items: [first] });
    const items = [first, failed(mixed, f.v3Dev, 'cancelled'), failed(mixed, f.trDev, 'expired')];
    await mqtt.deliver('results', agentA(f), { items });
    expect(lastAck(f.agentA).committed).toEqual(items.map((i) => i.id));
    expect(await resultRows(f, mixed)).toBe(3);
    const targets = await targetsOf(hub.db, f.tenantId, mixed);
    expect([f.snmpDev, f.v3Dev, f.trDev].map((d) => targets.get(d)?.status)).toEqual([
      'succeeded',
      'cancelled',
      'expired',
    ]);
    expect(await jobOf(hub.db, f.tenantId, mixed)).toMatchObject({ doneTargets: 3 });
  });

  it('moves a job on by the targets that ended, which a full recount then confirms', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.trDev]);
    const recount = () => hub.db.withTenant(f.tenantId, (q) => recomputeJobStatus(q, f.tenantId, jobId));
    const later = '2025-03-01T12:00:05.000Z';

    await mqtt.deliver('results', agentA(f), { items: [result(jobId, f.v3Dev, { startedAt: later })] });
    expect(await jobOf(hub.db, f.tenantId, jobId)).toEqual({
      status: 'running',
      doneTargets: 1,
      startedAt: new Date(later),
      finishedAt: null,
    });
    expect(await recount()).toEqual({ status: 'running', done: 1, total: 3, changed: false });

    await mqtt.deliver('results', agentA(f), { items: [result(jobId, f.snmpDev)] });
    // The job's start stays the first one recorded, as a recount leaves it.
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'running', doneTargets: 2 });
    expect(await recount()).toMatchObject({ done: 2, changed: false });

    await mqtt.deliver('results', agentA(f), { items: [result(jobId, f.trDev, { status: 'failed' })] });
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'partial', doneTargets: 3 });
    expect((await jobOf(hub.db, f.tenantId, jobId)).finishedAt).not.toBeNull();
    expect(await recount()).toMatchObject({ status: 'partial', done: 3, changed: false });
  });

  it('stores the record fields as sent', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const error = { code: 'snmp-error', message: 'notWritable', snmpStatus: 'notWritable', snmpIndex: 1 };
    const item = result(jobId, f.snmpDev, { status: 'failed', varbinds: undefined, error });
    await mqtt.deliver('results', agentA(f), { items: [item] });
    const { rows } = await hub.db.withTenant(f.tenantId, (q) =>
      q.query('SELECT agent_id, status, varbinds, error, part_index FROM job_results WHERE id = $1', [
        item.id,
      ]),
    );
    expect(rows).toEqual([{ agent_id: f.agentA, status: 'failed', varbinds: null, error, part_index: null }]);
    const target = (await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev);
    expect(target).toMatchObject({ status: 'failed', error });
  });

  it.each([
    { outcomes: ['succeeded', 'failed'], expected: 'partial' },
    { outcomes: ['failed', 'failed'], expected: 'failed' },
    { outcomes: ['cancelled', 'cancelled'], expected: 'cancelled' },
  ])('aggregates the job from its targets: $outcomes → $expected', async ({ outcomes, expected }) => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    const items = [f.snmpDev, f.v3Dev].map((deviceId, i) => {
      const outcome = outcomes[i]!;
      if (outcome === 'succeeded') return result(jobId, deviceId);
      const code = outcome === 'cancelled' ? 'cancelled' : 'timeout';
      return result(jobId, deviceId, {
        status: 'failed',
        varbinds: undefined,
        error: { code, message: code },
      });
    });
    await mqtt.deliver('results', agentA(f), { items: [items[0]] });
    expect((await jobOf(hub.db, f.tenantId, jobId)).status).toBe('running');
    await mqtt.deliver('results', agentA(f), { items: [items[1]] });
    const job = await jobOf(hub.db, f.tenantId, jobId);
    expect(job).toMatchObject({ status: expected, doneTargets: 2 });
    expect(job.finishedAt).toBeInstanceOf(Date);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect([...targets.values()].map((t) => t.status).sort()).toEqual(
      outcomes.map((o) => (o === 'cancelled' ? 'cancelled' : o)).sort(),
    );
  });

  it('finishes a split result only when every part is stored', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev], {
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2' },
    });
    const parts = [0, 1, 2].map((index) => result(jobId, f.snmpDev, { part: { index, count: 3 } }));

    await mqtt.deliver('results', agentA(f), { items: [parts[0], parts[2]] });
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)?.status).toBe('running');
    expect((await jobOf(hub.db, f.tenantId, jobId)).status).toBe('running');

    // A replayed part does not complete anything.
    await mqtt.deliver('results', agentA(f), { items: [parts[2]] });
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)?.status).toBe('running');

    await mqtt.deliver('results', agentA(f), { items: [parts[1]] });
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)).toMatchObject({
      status: 'succeeded',
      finishedAt: new Date(FINISHED),
    });
    expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'succeeded', doneTargets: 1 });
    expect(await resultRows(f, jobId)).toBe(3);
  });

  it('keeps the error of an earlier part when the last part completes a failed result', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev], {
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2' },
    });
    const error = { code: 'limit', message: 'maxVarbinds reached' };
    const parts = [
      result(jobId, f.snmpDev, { status: 'failed', part: { index: 1, count: 2 }, error }),
      result(jobId, f.snmpDev, { status: 'failed', part: { index: 0, count: 2 } }),
    ];
    await mqtt.deliver('results', agentA(f), { items: [parts[0]] });
    await mqtt.deliver('results', agentA(f), { items: [parts[1]] });
    expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)).toMatchObject({
      status: 'failed',
      error,
    });
  });

  it("rejects results for another agent's target, another tenant's job and unknown jobs", async () => {
    const f = await fixture();
    const other = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.otherDev]);
    const foreignJob = await queueJob(hub.db, other.tenantId, [other.snmpDev]);
    const mine = result(jobId, f.snmpDev);
    const agentBs = result(jobId, f.otherDev);
    const otherTenants = result(foreignJob, other.snmpDev);
    const unknown = result(randomUUID(), f.snmpDev);
    const rejectedBefore = await metric('drm_hub_ingest_rejected_total', 'result');

    const batchId = await mqtt.deliver('results', agentA(f), {
      items: [mine, agentBs, otherTenants, unknown],
    });
    const ack = lastAck(f.agentA);
    expect(ack.batchId).toBe(batchId);
    expect(ack.committed).toEqual([mine.id]);
    expect(ack.rejected?.map((r) => r.id)).toEqual([agentBs.id, otherTenants.id, unknown.id]);
    expect(ack.rejected?.[0]?.reason).toMatch(/not assigned to this agent/);
    expect(ack.rejected?.[1]?.reason).toMatch(/in this tenant/);
    expect(await metric('drm_hub_ingest_rejected_total', 'result')).toBe(rejectedBefore + 3);

    expect(await resultRows(f, jobId)).toBe(1);
    expect(
      await count(hub.db, other.tenantId, 'SELECT count(*)::int AS n FROM job_results WHERE job_id = $1', [
        foreignJob,
      ]),
    ).toBe(0);
    const targets = await targetsOf(hub.db, f.tenantId, jobId);
    expect(targets.get(f.otherDev)?.status).toBe('queued');
    expect((await targetsOf(hub.db, other.tenantId, foreignJob)).get(other.snmpDev)?.status).toBe('queued');
  });

  it('stores samples of its own devices once and rejects the others', async () => {
    const f = await fixture();
    const counter64 = sample(f.snmpDev, {
      type: 'Counter64',
      oid: '1.3.6.1.2.1.31.1.1.1.6.1',
      valueNum: 18446744073709552000,
      valueText: '18446744073709551615',
    });
    const gauge = sample(f.v3Dev, { type: 'OctetString', valueNum: undefined, valueText: 'up\u0000' });
    const foreign = sample(f.otherDev);
    const lone = sample(f.loneDev);
    const items = [counter64, gauge, foreign, lone];
    const rejectedBefore = await metric('drm_hub_ingest_rejected_total', 'sample');

    await mqtt.deliver('results', agentA(f), { items });
    const ack = lastAck(f.agentA);
    expect(ack.committed).toEqual([counter64.id, gauge.id]);
    expect(ack.rejected?.map((r) => r.id)).toEqual([foreign.id, lone.id]);
    expect(await metric('drm_hub_ingest_rejected_total', 'sample')).toBe(rejectedBefore + 2);
    await mqtt.deliver('results', agentA(f), { items });
    expect(lastAck(f.agentA).committed).toEqual([counter64.id, gauge.id]);

    const { rows } = await hub.db.withTenant(f.tenantId, (q) =>
      q.query<Record<string, unknown>>(
        `SELECT id, device_id, schedule_id, oid, name, value_num, value_text FROM samples ORDER BY oid`,
      ),
    );
    expect(rows).toEqual([
      {
        id: gauge.id,
        device_id: f.v3Dev,
        schedule_id: gauge.scheduleId,
        oid: gauge.oid,
        name: 'ifInOctets.1',
        value_num: null,
        // U+0000 cannot be stored in text: it is replaced rather than failing the batch forever.
        value_text: 'up\uFFFD',
      },
      {
        id: counter64.id,
        device_id: f.snmpDev,
        schedule_id: counter64.scheduleId,
        oid: counter64.oid,
        name: 'ifInOctets.1',
        value_num: 18446744073709552000,
        value_text: '18446744073709551615',
      },
    ]);
  });

  it('stores the same rows from the message text as from the validated records, on either path', async () => {
    const f = await fixture();
    type Item = Record<string, unknown> & { id: string; varbinds?: Record<string, unknown>[] };
    const paths = async () => ({
      one: await metric('drm_hub_ingest_result_batches_total', 'one-statement'),
      steps: await metric('drm_hub_ingest_result_batches_total', 'step-by-step'),
    });
    // One batch sent as is (stored from its text), with a key validation strips at every level
    // and with an item repeated (both stored from the records serialised again); with refused
    // items (stored step by step) and without (in one statement).
    const store = async (change: (item: Item) => Item, repeat: boolean, refuse: boolean) => {
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.otherDev]);
      const ok = result(jobId, f.snmpDev, {
        varbinds: [
          { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 4242 },
          { oid: '1.3.6.1.2.1.1.7.0', type: 'Null', value: null, error: 'noSuchInstance' },
        ],
      });
      const failed = result(jobId, f.v3Dev, {
        status: 'failed',
        varbinds: undefined,
        error: { code: 'timeout', message: 'no answer after 2 tries' },
      });
      const refused = result(jobId, f.otherDev);
      const mine = sample(f.snmpDev, { valueNum: 77 });
      const foreign = sample(f.otherDev);
      const batch = refuse ? [ok, refused, mine, failed, foreign] : [ok, mine, failed];
      const items = batch.map((i) => change(i as Item));
      const before = await paths();
      await mqtt.deliver('results', agentA(f), { items: repeat ? [...items, items[0]] : items });
      const after = await paths();
      const ack = lastAck(f.agentA);
      expect(ack.committed).toEqual([ok.id, mine.id, failed.id]);
      expect(ack.rejected?.map((r) => r.id)).toEqual(refuse ? [refused.id, foreign.id] : undefined);
      const { rows: results } = await hub.db.withTenant(f.tenantId, (q) =>
        q.query(
          `SELECT device_id AS "deviceId", status, varbinds, error, part_index AS part FROM job_results
            WHERE job_id = $1 ORDER BY device_id`,
          [jobId],
        ),
      );
      const { rows: samples } = await hub.db.withTenant(f.tenantId, (q) =>
        q.query(
          'SELECT device_id AS "deviceId", oid, value_num AS "valueNum" FROM samples WHERE id = ANY($1)',
          [[mine.id, foreign.id]],
        ),
      );
      const targets = await targetsOf(hub.db, f.tenantId, jobId);
      const statuses = [f.snmpDev, f.v3Dev, f.otherDev].map((d) => targets.get(d)?.status);
      const path =
        after.one > before.one ? 'one-statement' : after.steps > before.steps ? 'step-by-step' : null;
      return { stored: { results, samples, statuses }, path, varbinds: ok.varbinds };
    };
    const asIs = (i: Item) => i;
    const withUnknownKeys = (i: Item) => ({
      ...i,
      future: 1,
      ...(i.varbinds && { varbinds: i.varbinds.map((v) => ({ ...v, future: 'x' })) }),
    });
    const fromText = await store(asIs, false, false);
    expect(fromText.stored.results).toEqual(
      [
        { deviceId: f.snmpDev, status: 'succeeded', varbinds: fromText.varbinds, error: null, part: null },
        {
          deviceId: f.v3Dev,
          status: 'failed',
          varbinds: null,
          error: { code: 'timeout', message: 'no answer after 2 tries' },
          part: null,
        },
      ].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)),
    );
    expect(fromText.stored.samples).toEqual([
      { deviceId: f.snmpDev, oid: '1.3.6.1.2.1.2.2.1.10.1', valueNum: 77 },
    ]);
    expect(fromText.stored.statuses).toEqual(['succeeded', 'failed', 'queued']);
    const runs = [
      fromText,
      await store(withUnknownKeys, false, false),
      await store(asIs, true, false),
      await store(asIs, false, true),
      await store(withUnknownKeys, false, true),
      await store(asIs, true, true),
    ];
    expect(runs.map((r) => r.path)).toEqual([
      'one-statement',
      'one-statement',
      'one-statement',
      'step-by-step',
      'step-by-step',
      'step-by-step',
    ]);
    for (const run of runs) expect(run.stored).toEqual(fromText.stored);
  });

  it('stores numbers written in spellings PostgreSQL would refuse as the values validation read', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const r = result(jobId, f.snmpDev, {
      varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 12345 }],
    });
    const s = sample(f.snmpDev, { valueNum: 77 });
    // No serialiser writes these, but they are JSON, and JavaScript reads both as 0.
    const text = JSON.stringify(messageFor('results', { items: [r, s] } as never))
      .replace('"value":12345', '"value":0e-20000')
      .replace('"valueNum":77', '"valueNum":1e-400');
    expect(text).toMatch(/0e-20000.*1e-400/);
    await mqtt.deliverText('results', agentA(f), text);
    expect(lastAck(f.agentA).committed).toEqual([r.id, s.id]);
    const { rows } = await hub.db.withTenant(f.tenantId, (q) =>
      q.query(
        `SELECT (SELECT varbinds FROM job_results WHERE job_id = $1) AS varbinds,
                (SELECT value_num FROM samples WHERE id = $2) AS "valueNum"`,
        [jobId, s.id],
      ),
    );
    expect(rows[0]).toEqual({
      varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 0 }],
      valueNum: 0,
    });
  });

  it('stores unpaired surrogates, which PostgreSQL refuses in JSON, as U+FFFD instead of failing the batch forever', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
    const ok = result(jobId, f.snmpDev, {
      varbinds: [{ oid: '1.3.6.1.2.1.1.5.0', type: 'OctetString', value: 'edge-HI' }],
    });
    const failed = result(jobId, f.v3Dev, {
      status: 'failed',
      varbinds: undefined,
      error: { code: 'timeout', message: 'no answer-LO' },
    });
    const s = sample(f.snmpDev, { type: 'OctetString', valueNum: undefined, valueText: 'up-LO' });
    // As JSON has them: escapes of a lone high and a lone low surrogate, and a valid pair.
    const text = JSON.stringify(messageFor('results', { items: [ok, failed, s] } as never))
      .replace('edge-HI', 'edge-\\ud800 \\ud83d\\ude00')
      .replace('no answer-LO', 'no answer-\\udfff')
      .replace('up-LO', 'up-\\udc00');
    await mqtt.deliverText('results', agentA(f), text);
    expect(lastAck(f.agentA).committed).toEqual([ok.id, failed.id, s.id]);
    const { rows } = await hub.db.withTenant(f.tenantId, (q) =>
      q.query(
        `SELECT (SELECT varbinds->0->>'value' FROM job_results WHERE id = $1) AS value,
                (SELECT error->>'message' FROM job_results WHERE id = $2) AS message,
                (SELECT error->>'message' FROM job_targets WHERE job_id = $4 AND device_id = $5) AS "targetMessage",
                (SELECT value_text FROM samples WHERE id = $3) AS "valueText"`,
        [ok.id, failed.id, s.id, jobId, f.v3Dev],
      ),
    );
    expect(rows[0]).toEqual({
      value: 'edge-\uFFFD \u{1F600}',
      message: 'no answer-\uFFFD',
      targetMessage: 'no answer-\uFFFD',
      valueText: 'up-\uFFFD',
    });
  });

  it('drops a batch with a timestamp in year 0000 as invalid, which PostgreSQL could never store', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const r = result(jobId, f.snmpDev, { startedAt: '0000-01-01T00:00:00.000Z' });
    await expect(mqtt.deliver('results', agentA(f), { items: [r] })).rejects.toThrow(/year 0000/);
    expect(await resultRows(f, jobId)).toBe(0);
  });

  it('mixes results and samples in one transaction and acks them in batch order', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const items = [sample(f.snmpDev), result(jobId, f.snmpDev), sample(f.v3Dev)];
    await mqtt.deliver('results', agentA(f), { items });
    expect(lastAck(f.agentA).committed).toEqual(items.map((i) => i.id));
  });

  // A cancel holds the targets it ends FOR UPDATE; a batch naming one of them that is not the
  // sender's must not wait for it (it would lock it out of key order, and could deadlock).
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "never waits on the lock of another agent's target that a result names (real PostgreSQL)",
    async () => {
      const f = await fixture();
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.otherDev]);
      const locked = gate();
      const released = gate();
      const holder = hub.db.withTenant(f.tenantId, async (q) => {
        await q.query('SELECT 1 FROM job_targets WHERE job_id = $1 AND device_id = $2 FOR UPDATE', [
          jobId,
          f.otherDev,
        ]);
        locked.open();
        await released.opened;
      });
      await locked.opened;
      try {
        const mine = result(jobId, f.snmpDev);
        const misrouted = result(jobId, f.otherDev);
        const delivered = mqtt.deliver('results', agentA(f), { items: [mine, misrouted] });
        const outcome = await Promise.race([
          delivered.then(() => 'stored'),
          new Promise((r) => setTimeout(() => r('waited'), 5_000)),
        ]);
        expect(outcome).toBe('stored');
        expect(lastAck(f.agentA)).toMatchObject({ committed: [mine.id], rejected: [{ id: misrouted.id }] });
      } finally {
        released.open();
        await holder;
      }
    },
  );

  // PGlite runs one transaction at a time: two batches can only overlap on a real server.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'commits two batches of one job whose transactions overlap (real PostgreSQL)',
    async () => {
      const f = await fixture();
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev]);
      const db = hub.db;
      let arrived = 0;
      const together = gate();
      // Holds each batch just before it touches the job row (to recount it, or to move it on by
      // the targets that ended), until both are there: each has then stored its result.
      const overlapping: Db = {
        ...db,
        withTenant: (ctx, fn) =>
          db.withTenant(ctx, (q) => {
            let held = false;
            return fn({
              ...q,
              async query(sql, params) {
                if (!held && /FROM jobs WHERE tenant_id = \$1 AND id = \$2|^\s*UPDATE jobs SET/.test(sql)) {
                  held = true;
                  arrived += 1;
                  if (arrived === 2) together.open();
                  await Promise.race([together.opened, new Promise((r) => setTimeout(r, 3_000))]);
                }
                return q.query(sql, params);
              },
            } as typeof q);
          }),
      };
      const both = new FakeMqttHub();
      registerIngestion(both, { db: overlapping, log: silentLog });
      await Promise.all([
        both.deliver('results', agentA(f), { items: [result(jobId, f.snmpDev)] }),
        both.deliver('results', agentA(f), { items: [result(jobId, f.v3Dev)] }),
      ]);
      expect(arrived).toBe(2);
      expect(both.sent('ack', f.agentA)).toHaveLength(2);
      expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'succeeded', doneTargets: 2 });
    },
  );

  it('publishes no ack when the transaction fails, so the agent sends the batch again', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
    const broken = new FakeMqttHub();
    const db = hub.db;
    const failing: Db = {
      engine: db.engine,
      // Runs the batch's statements, then fails the transaction as a lost connection would.
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
    await expect(broken.deliver('results', agentA(f), { items: [result(jobId, f.snmpDev)] })).rejects.toThrow(
      'commit failed',
    );
    expect(broken.published).toEqual([]);
    expect(await resultRows(f, jobId)).toBe(0);
  });
  /**
   * Runs `change` in another transaction and keeps it open while `deliver` runs, for 300 ms,
   * so the batch waits for the rows the change holds; then commits it and waits for both.
   */
  async function whileAnotherTransactionHolds(
    tenantId: string,
    change: [sql: string, params: unknown[]] | ((q: Queryable) => Promise<unknown>),
    deliver: () => Promise<unknown>,
  ): Promise<void> {
    const held = gate();
    const changed = gate();
    const other = hub.db.withTenant(tenantId, async (q) => {
      await (typeof change === 'function' ? change(q) : q.query(...change));
      changed.open();
      await held.opened;
    });
    await changed.opened;
    const delivery = deliver();
    await new Promise((r) => setTimeout(r, 300));
    held.open();
    await other;
    await delivery;
  }

  // Two connections: the embedded engine has one, so nothing can change a row under a lock wait.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'ends a target that another transaction moved while the batch waited for it',
    async () => {
      const f = await fixture();
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
      // A progress message's move to running, not yet committed when the batch arrives.
      await whileAnotherTransactionHolds(
        f.tenantId,
        ["UPDATE job_targets SET status = 'running', started_at = now() WHERE job_id = $1", [jobId]],
        () => mqtt.deliver('results', agentA(f), { items: [result(jobId, f.snmpDev)] }),
      );
      expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)?.status).toBe('succeeded');
      expect(await jobOf(hub.db, f.tenantId, jobId)).toMatchObject({ status: 'succeeded', doneTargets: 1 });
    },
  );

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'keeps a target cancelled while the batch waited for it, and still stores the result',
    async () => {
      const f = await fixture();
      const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev]);
      const item = result(jobId, f.snmpDev);
      await whileAnotherTransactionHolds(
        f.tenantId,
        ["UPDATE job_targets SET status = 'cancelled', finished_at = now() WHERE job_id = $1", [jobId]],
        () => mqtt.deliver('results', agentA(f), { items: [item] }),
      );
      expect(lastAck(f.agentA)?.committed).toEqual([item.id]);
      expect((await targetsOf(hub.db, f.tenantId, jobId)).get(f.snmpDev)?.status).toBe('cancelled');
      expect(await resultRows(f, jobId)).toBe(1);
    },
  );

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'ends a split result whose last parts are stored by two batches at once',
    async () => {
      const f = await fixture();
      const walk = await queueJob(hub.db, f.tenantId, [f.snmpDev], {
        kind: 'snmp.walk',
        params: { oid: '1.3.6.1.2.1.2' },
      });
      const [first, second, third] = [0, 1, 2].map((index) =>
        result(walk, f.snmpDev, { part: { index, count: 3 } }),
      );
      await mqtt.deliver('results', agentA(f), { items: [first] });
      // The other batch as the hub runs it: its target held, its part stored, not yet committed.
      await whileAnotherTransactionHolds(
        f.tenantId,
        async (q) => {
          await q.query('SELECT 1 FROM job_targets WHERE job_id = $1 FOR UPDATE', [walk]);
          await q.query(
            `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                                      varbinds, part_index, part_count)
             VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7, '[]', 1, 3)`,
            [f.tenantId, second!.id, walk, f.snmpDev, f.agentA, STARTED, FINISHED],
          );
        },
        () => mqtt.deliver('results', agentA(f), { items: [third] }),
      );
      expect(await resultRows(f, walk)).toBe(3);
      expect((await targetsOf(hub.db, f.tenantId, walk)).get(f.snmpDev)?.status).toBe('succeeded');
      expect(await jobOf(hub.db, f.tenantId, walk)).toMatchObject({ status: 'succeeded', doneTargets: 1 });
    },
  );
});

describe('results batches arriving at once', () => {
  const agentB = (f: TenantFixture) => ({ tenantId: f.tenantId, agentId: f.agentB });

  it('stores batches of two agents that arrive at once, each acked with its own ids', async () => {
    const f = await fixture();
    const walk = await queueJob(hub.db, f.tenantId, [f.snmpDev], {
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2' },
    });
    const get = await queueJob(hub.db, f.tenantId, [f.v3Dev, f.otherDev]);
    const parts = [0, 1, 2].map((index) => result(walk, f.snmpDev, { part: { index, count: 3 } }));
    const fromA = result(get, f.v3Dev);
    const fromB = result(get, f.otherDev);
    const stolen = result(get, f.otherDev); // agent A sending for agent B's target
    const s1 = sample(f.snmpDev);
    const bodies = [
      [agentA(f), [parts[0]]],
      [agentA(f), [parts[1], parts[0], s1]], // part 0 again: a batch re-sent before its ack
      [agentB(f), [fromB]],
      [agentA(f), [parts[2], fromA, stolen]],
    ] as const;
    // Samples of another device as well, so more transactions of the tenant overlap.
    const fillers = Array.from({ length: 4 }, () =>
      mqtt.deliver('results', agentA(f), { items: [sample(f.trDev)] }),
    );
    const ids = await Promise.all(
      bodies.map(([from, items]) => mqtt.deliver('results', from, { items: [...items] })),
    );
    await Promise.all(fillers);

    const acks = new Map(
      [...mqtt.sent('ack', f.agentA), ...mqtt.sent('ack', f.agentB)].map((a) => [a.batchId, a]),
    );
    expect(ids.map((id) => acks.get(id)?.committed)).toEqual([
      [parts[0]!.id],
      [parts[1]!.id, parts[0]!.id, s1.id],
      [fromB.id],
      [parts[2]!.id, fromA.id],
    ]);
    expect(ids.map((id) => acks.get(id)?.rejected?.map((r) => r.id))).toEqual([
      undefined,
      undefined,
      undefined,
      [stolen.id],
    ]);
    expect(await resultRows(f, walk)).toBe(3);
    expect(await resultRows(f, get)).toBe(2);
    expect((await targetsOf(hub.db, f.tenantId, walk)).get(f.snmpDev)?.status).toBe('succeeded');
    expect(await jobOf(hub.db, f.tenantId, walk)).toMatchObject({ status: 'succeeded', doneTargets: 1 });
    expect(await jobOf(hub.db, f.tenantId, get)).toMatchObject({ status: 'succeeded', doneTargets: 2 });
    expect(
      await count(hub.db, f.tenantId, 'SELECT count(*)::int AS n FROM samples WHERE id = $1', [s1.id]),
    ).toBe(1);
  });

  it('stores and acks the others when one batch cannot be stored', async () => {
    const f = await fixture();
    const jobId = await queueJob(hub.db, f.tenantId, [f.snmpDev, f.v3Dev, f.trDev]);
    const poison = result(jobId, f.v3Dev);
    const group = new FakeMqttHub();
    const db = hub.db;
    // Fails any statement carrying the poison result's id, as a constraint would.
    const failing: Db = {
      engine: db.engine,
      withTenant: (ctx, fn) => {
        return db.withTenant(ctx, (q) =>
          fn({
            query: (sql, params) =>
              JSON.stringify(params ?? []).includes(poison.id)
                ? Promise.reject(new Error('violates a constraint'))
                : q.query(sql, params),
          }),
        );
      },
      asSystem: (fn) => db.asSystem(fn),
      asOwner: (fn) => db.asOwner(fn),
      ping: () => db.ping(),
      close: async () => {},
    };
    registerIngestion(group, { db: failing, log: silentLog });
    const good = Array.from({ length: 7 }, (_, i) => result(jobId, i % 2 ? f.trDev : f.snmpDev));
    const outcomes = await Promise.allSettled([
      ...good.map((r) => group.deliver('results', agentA(f), { items: [r] })),
      group.deliver('results', agentA(f), { items: [poison] }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([...good.map(() => 'fulfilled'), 'rejected']);
    expect(group.sent('ack', f.agentA).map((a) => a.committed)).toEqual(
      expect.arrayContaining(good.map((r) => [r.id])),
    );
    expect(group.sent('ack', f.agentA)).toHaveLength(good.length);
    expect(await resultRows(f, jobId)).toBe(good.length);
  });
});
