import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub } from '../../../hub/test/helpers/hub.js';
import { until } from '../../../hub/test/helpers/mqtt.js';
import { publishRaw, removeStores, watchStatuses } from '../link/hub-side.js';
import { type Runtime, runtime } from '../link/runtime.js';

/** The agent's `status` as the hub receives it and shows it on the agents page. */

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

describe('Heartbeat', () => {
  it('announces online with the store’s figures on connect and on every beat, and offline on stop', async () => {
    const r = await runtime(hub, url, { heartbeatMs: 150, drain: { pollMs: 60_000 } });
    runtimes.push(r);
    const statuses = watchStatuses(hub.app, r.agent);
    watchers.push(statuses);
    // Unsent samples for a device the hub does not know (they wait: the drain is not started yet).
    const deviceId = randomUUID();
    const at = new Date(Date.now() - 60_000).toISOString();
    r.store.outbox.appendMany(
      [1, 2, 3].map(() => ({
        kind: 'sample' as const,
        id: uuidv7(),
        scheduleId: randomUUID(),
        deviceId,
        ts: at,
        oid: '1.3.6.1.2.1.1.3.0',
        valueNum: 1,
      })),
    );
    const outbox = r.store.outbox.stats();
    const { link, heartbeat, store } = r;
    // Only the heartbeat and the link: the figures stay put while we look.
    await heartbeat.start();
    await link.start();
    expect(await until(() => statuses.seen.length >= 3, 5_000)).toBe(true);
    const first = statuses.seen[0]!;
    expect(first).toMatchObject({
      agentId: r.agent.agentId,
      state: 'online',
      version: '0.0.0-test',
      configRevision: expect.any(Number),
      outbox: { count: 3, bytes: outbox.bytes, oldestAt: outbox.oldestAt, dropped: 0 },
      inbox: { queued: 0 },
      invalidMessages: 0,
    });
    expect(
      statuses.seen.slice(0, 3).every((s) => s.state === 'online' && s.startedAt === first.startedAt),
    ).toBe(true);

    const agentPage = async () =>
      (await hub.call(r.agent.admin.token, 'GET', `${r.agent.base}/agents/${r.agent.agentId}`)).json();
    expect(await until(async () => (await agentPage()).outbox?.count === 3, 5_000)).toBe(true);

    // The next beat carries what changed: the config the hub pushed, a dropped message.
    await publishRaw(hub.app, r.agent, 'cancel', '{"broken":');
    expect(
      await until(() => statuses.seen.some((s) => s.invalidMessages === 1 && s.lastContactAt), 5_000),
    ).toBe(true);

    await link.stop();
    const last = statuses.seen.at(-1)!;
    expect(last.state).toBe('offline');
    expect(last.outbox?.count).toBe(3);
    expect(await until(async () => (await agentPage()).state === 'offline', 5_000)).toBe(true);
    expect(store.meta.link()?.state).toBe('disconnected');
  });

  it('leaves the figures that would be stale out of the last will the broker sends', async () => {
    const r = await runtime(hub, url, { heartbeatMs: 60_000 });
    runtimes.push(r);
    const statuses = watchStatuses(hub.app, r.agent);
    watchers.push(statuses);
    await r.start();
    await until(() => statuses.seen.length === 1, 5_000);
    hub.app.mqtt.disconnectAgent(r.agent.tenantId, r.agent.agentId);
    expect(await until(() => statuses.seen.some((s) => s.state === 'offline'), 5_000)).toBe(true);
    const will = statuses.seen.find((s) => s.state === 'offline')!;
    expect(Object.keys(will).sort()).toEqual(['agentId', 'configRevision', 'startedAt', 'state', 'version']);
    expect(will.startedAt).toBe(statuses.seen[0]?.startedAt);
  });
});
