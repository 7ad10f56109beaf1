import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  messageFor,
  type ResultRecord,
  type SampleRecord,
  type TrapEvent,
  uuidv7,
} from '@drm/protocol';
import { createTestHub, type TestHub } from '../../../hub/test/helpers/hub.js';
import { until } from '../../../hub/test/helpers/mqtt.js';
import { addDevice, publishRaw, removeStores, watch } from '../link/hub-side.js';
import { trapEvent } from '../store/fixtures.js';
import { type Runtime, type RuntimeOptions, runtime } from '../link/runtime.js';

/**
 * The outbox drain against a real hub: results and samples committed in the hub's database
 * and deleted from the agent's outbox only on the hub's ack; batches within the protocol's
 * bounds; re-sent when no ack comes.
 */

let hub: TestHub;
const runtimes: Runtime[] = [];
const watchers: { stop(): void }[] = [];

beforeAll(async () => {
  hub = await createTestHub();
});

afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  for (const r of runtimes.splice(0)) await r.stop();
});

afterAll(async () => {
  await hub?.close();
  removeStores();
});

async function make(on: TestHub, opts: RuntimeOptions = {}): Promise<Runtime> {
  const r = await runtime(on, `mqtt://127.0.0.1:${on.app.mqtt.port}`, opts);
  runtimes.push(r);
  return r;
}

function sample(deviceId: string, pad = 0): SampleRecord {
  return {
    kind: 'sample',
    id: uuidv7(),
    scheduleId: randomUUID(),
    deviceId,
    ts: new Date().toISOString(),
    oid: '1.3.6.1.2.1.1.3.0',
    type: 'TimeTicks',
    valueNum: 42,
    ...(pad > 0 && { valueText: 'x'.repeat(pad) }),
  };
}

function resultFor(jobId: string, deviceId: string, extra: Partial<ResultRecord> = {}): ResultRecord {
  const now = new Date().toISOString();
  return {
    kind: 'result',
    id: uuidv7(),
    jobId,
    deviceId,
    status: 'succeeded',
    startedAt: now,
    finishedAt: now,
    varbinds: [{ oid: '1.3.6.1.2.1.1.5.0', type: 'OctetString', value: 'edge-switch' }],
    ...extra,
  };
}

const rows = async (table: 'samples' | 'job_results' | 'events', ids: string[]) =>
  (
    await hub.db.asOwner((q) =>
      q.query<{ id: string; n: number }>(
        `SELECT id::text AS id, count(*)::int AS n FROM ${table} WHERE id = ANY($1::uuid[]) GROUP BY id`,
        [ids],
      ),
    )
  ).rows;

describe('OutboxDrain', () => {
  it('sends a job result, which the hub commits, acks, and the outbox then forgets', async () => {
    const r = await make(hub);
    const deviceId = await addDevice(hub, r.agent);
    await r.start();
    await until(() => r.link.connected, 5_000);
    const created = await hub.call(r.agent.admin.token, 'POST', `${r.agent.base}/jobs`, {
      kind: 'snmp.get',
      targets: [deviceId],
      params: { oids: ['1.3.6.1.2.1.1.5.0'] },
    });
    const jobId = created.json().id as string;
    await until(() => r.store.inbox.get(jobId, deviceId) !== null, 5_000);
    // What the executor does when a target finishes: done and in the outbox, in one transaction.
    const result = resultFor(jobId, deviceId);
    expect(r.store.inbox.complete(jobId, deviceId, [result])).toBe(true);
    r.drain.wake();
    expect(await until(() => r.store.outbox.stats().count === 0, 5_000)).toBe(true);
    expect(await rows('job_results', [result.id])).toEqual([{ id: result.id, n: 1 }]);
    const job = (await hub.call(r.agent.admin.token, 'GET', `${r.agent.base}/jobs/${jobId}`)).json();
    expect(job.status).toBe('succeeded');
    expect(r.drain.inFlight).toEqual({ batches: 0, events: 0 });
  });

  it('waits while offline, then drains in batches within 500 items and the message size limit', async () => {
    const r = await make(hub, { drain: { maxInFlight: 2 } });
    const deviceId = await addDevice(hub, r.agent);
    const small = Array.from({ length: 1100 }, () => sample(deviceId));
    const large = Array.from({ length: 400 }, () => sample(deviceId, 1500));
    r.store.outbox.appendMany([...small, ...large]);
    const batches = watch(hub.app, r.agent, 'results');
    watchers.push(batches);
    r.drain.wake(); // not started, not connected: nothing moves
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches.seen).toHaveLength(0);

    let maxInFlight = 0;
    const probe = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, r.drain.inFlight.batches);
    }, 1);
    try {
      await r.start();
      expect(await until(() => r.store.outbox.stats().count === 0, 20_000)).toBe(true);
    } finally {
      clearInterval(probe);
    }
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const counts = batches.seen.map((m) => m.body.items.length);
    expect(Math.max(...counts)).toBe(500);
    expect(Math.max(...batches.sizes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    // 400 items of ~1.7 KiB cannot go in one message.
    expect(counts.slice(-2).every((n) => n < 400)).toBe(true);
    const all = [...small, ...large].map((s) => s.id);
    const stored = await rows('samples', all);
    expect(stored).toHaveLength(all.length);
    expect(stored.every((row) => row.n === 1)).toBe(true);
  });

  it('deletes what the hub refuses for good, and quarantines an item too large to ever send', async () => {
    const r = await make(hub);
    const deviceId = await addDevice(hub, r.agent);
    const unknownJob = resultFor(randomUUID(), deviceId);
    const huge = resultFor(randomUUID(), deviceId, {
      varbinds: Array.from({ length: 300 }, (_, i) => ({
        oid: `1.3.6.1.4.1.99999.${i}`,
        type: 'OctetString' as const,
        value: 'y'.repeat(1000),
      })),
    });
    const fine = sample(deviceId);
    r.store.outbox.appendMany([unknownJob, huge, fine]);
    const acks = watch(hub.app, r.agent, 'results');
    watchers.push(acks);
    await r.start();
    expect(await until(() => r.store.outbox.stats().count === 0, 5_000)).toBe(true);
    expect(r.store.quarantine.count()).toBe(1);
    expect(await rows('job_results', [unknownJob.id, huge.id])).toEqual([]);
    expect(await rows('samples', [fine.id])).toEqual([{ id: fine.id, n: 1 }]);
  });

  it('sends again what the hub does not ack in time, and forgets it on a late ack', async () => {
    // A hub that stores nothing and acks nothing: its broker alone.
    const silent = await createTestHub({}, { agentLink: false });
    try {
      const r = await make(silent, { drain: { ackTimeoutMs: 300 } });
      const deviceId = randomUUID();
      const items = [sample(deviceId), sample(deviceId)];
      r.store.outbox.appendMany(items);
      const batches = watch(silent.app, r.agent, 'results');
      await r.start();
      expect(await until(() => batches.seen.length >= 3, 5_000)).toBe(true);
      for (const batch of batches.seen.slice(0, 3)) {
        expect(batch.body.items.map((i) => i.id)).toEqual(items.map((i) => i.id));
      }
      // Distinct batch ids, the same items: the hub stores by item id.
      expect(new Set(batches.seen.map((b) => b.id)).size).toBe(batches.seen.length);
      const ack = messageFor('ack', { committed: items.map((i) => i.id) });
      await publishRaw(silent.app, r.agent, 'ack', JSON.stringify(ack));
      expect(await until(() => r.store.outbox.stats().count === 0, 5_000)).toBe(true);
      expect(await until(() => r.drain.inFlight.batches === 0, 5_000)).toBe(true);
      batches.stop();
    } finally {
      for (const rt of runtimes.splice(0)) await rt.stop();
      await silent.close();
    }
  });

  it('sends trap events one message each and deletes them on the ack that names them', async () => {
    const r = await make(hub, { drain: { ackTimeoutMs: 60_000 } });
    const deviceId = await addDevice(hub, r.agent);
    const event: TrapEvent = {
      id: uuidv7(),
      receivedAt: new Date().toISOString(),
      source: { address: '192.0.2.10', port: 49152 },
      version: '2c',
      pdu: 'trap',
      trapOid: '1.3.6.1.6.3.1.1.5.3',
      uptime: 1234,
      deviceId,
      varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 }],
    };
    r.store.events.append(event);
    const sent = watch(hub.app, r.agent, 'events');
    watchers.push(sent);
    await r.start();
    expect(await until(() => sent.seen.length === 1, 5_000)).toBe(true);
    expect(sent.seen[0]?.body).toEqual(event);
    expect(await until(async () => (await rows('events', [event.id])).length === 1, 5_000)).toBe(true);
    await publishRaw(hub.app, r.agent, 'ack', JSON.stringify(messageFor('ack', { committed: [event.id] })));
    expect(await until(() => r.store.events.stats().count === 0, 5_000)).toBe(true);
    expect(r.drain.inFlight.events).toBe(0);
  });

  it('quarantines a stored event too large for a message, and sends the events behind it', async () => {
    const r = await make(hub, { drain: { ackTimeoutMs: 60_000 } });
    const deviceId = await addDevice(hub, r.agent);
    const trap = (varbinds: TrapEvent['varbinds']) => trapEvent({ deviceId, varbinds });
    // As an agent that did not yet cut events to fit a message could have stored it.
    const huge = trap(
      Array.from({ length: 400 }, (_, i) => ({
        oid: `1.3.6.1.4.1.99999.${i}`,
        type: 'OctetString' as const,
        value: 'z'.repeat(1000),
      })),
    );
    const fine = trap([{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 }]);
    r.store.events.append(huge);
    r.store.events.append(fine);
    await r.start();
    expect(await until(async () => (await rows('events', [fine.id])).length === 1, 5_000)).toBe(true);
    expect(await until(() => r.store.events.stats().count === 0, 5_000)).toBe(true);
    expect(r.store.quarantine.count()).toBe(1);
    expect(await rows('events', [huge.id])).toEqual([]);
    expect(r.drain.inFlight.events).toBe(0);
  });
});
