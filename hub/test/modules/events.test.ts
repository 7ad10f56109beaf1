import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Event, type TrapEvent, uuidv7 } from '@drm/protocol';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

interface Setup {
  tenantId: string;
  base: string;
  viewer: TestUser;
  agentA: string;
  agentB: string;
  device: string;
}

let seq = 0;
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Events tenant ${seq}`);
  const viewer = await hub.user({ [tenantId]: 'viewer' });
  const [siteId, agentA, agentB, device] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await hub.db.withTenant(tenantId, async (q) => {
    await q.query('INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, $3)', [tenantId, siteId, 'HQ']);
    for (const agentId of [agentA, agentB]) {
      await q.query(
        `INSERT INTO agents (tenant_id, id, site_id, name, mqtt_username, secret_hash)
         VALUES ($1, $2, $3, 'edge', $4, 'x')`,
        [tenantId, agentId, siteId, `agent-${agentId}`],
      );
    }
    await q.query(
      `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address) VALUES ($1, $2, $3, $4, 'sw', '192.0.2.1')`,
      [tenantId, device, siteId, agentA],
    );
  });
  return { tenantId, base: `/api/v1/tenants/${tenantId}`, viewer, agentA, agentB, device };
}

function trapOf(id: string, deviceId: string, pdu: TrapEvent['pdu']): TrapEvent {
  return {
    id,
    receivedAt: '2030-01-01T00:00:00.000Z',
    source: { address: '192.0.2.1', port: 162 },
    version: '2c',
    pdu,
    trapOid: '1.3.6.1.6.3.1.1.5.3',
    varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.2', type: 'Integer', value: 2 }],
    deviceId,
  };
}

interface EventInput {
  kind: string;
  agentId: string | null;
  deviceId?: string | null;
  ageMinutes: number;
  payload?: object;
}

/** Inserts events as an agent's ingestion would, returning their ids. */
async function addEvents(s: Setup, events: EventInput[]): Promise<string[]> {
  const ids = events.map(() => uuidv7());
  await hub.db.withTenant(s.tenantId, async (q) => {
    for (const [i, e] of events.entries()) {
      await q.query(
        `INSERT INTO events (tenant_id, id, agent_id, device_id, kind, received_at, summary, payload)
         VALUES ($1, $2, $3, $4, $5, now() - make_interval(mins => $6), $7, $8::jsonb)`,
        [
          s.tenantId,
          ids[i],
          e.agentId,
          e.deviceId ?? null,
          e.kind,
          e.ageMinutes,
          `event ${i}`,
          JSON.stringify(e.payload ?? {}),
        ],
      );
    }
  });
  return ids;
}

async function listIds(s: Setup, query: string): Promise<string[]> {
  const res = await hub.call(s.viewer.token, 'GET', `${s.base}/events?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((e: Event) => e.id);
}

describe('GET /events', () => {
  it('filters by kind, agent, device and time, newest first', async () => {
    const s = await setup();
    const trapId = uuidv7();
    const [trap, inform, online, offline, , newest] = await addEvents(s, [
      {
        kind: 'trap',
        agentId: s.agentA,
        deviceId: s.device,
        ageMinutes: 50,
        payload: trapOf(trapId, s.device, 'trap'),
      },
      { kind: 'inform', agentId: s.agentA, deviceId: s.device, ageMinutes: 40 },
      { kind: 'agent.online', agentId: s.agentB, ageMinutes: 30 },
      { kind: 'agent.offline', agentId: s.agentA, ageMinutes: 120 },
      // A kind this API does not know yet stays out of the list.
      { kind: 'agent.upgraded', agentId: s.agentA, ageMinutes: 10 },
      { kind: 'agent.online', agentId: null, ageMinutes: 5 },
    ]);
    expect(await listIds(s, '')).toEqual([newest, online, inform, trap, offline]);
    expect(await listIds(s, 'kind=trap')).toEqual([inform, trap]);
    expect(await listIds(s, 'kind=agent.online')).toEqual([newest, online]);
    expect(await listIds(s, `agentId=${s.agentA}`)).toEqual([inform, trap, offline]);
    expect(await listIds(s, `deviceId=${s.device}`)).toEqual([inform, trap]);
    const since = new Date(Date.now() - 60 * 60_000).toISOString();
    expect(await listIds(s, `since=${encodeURIComponent(since)}&agentId=${s.agentA}`)).toEqual([
      inform,
      trap,
    ]);

    const items: Event[] = (await hub.call(s.viewer.token, 'GET', `${s.base}/events?kind=trap`)).json().items;
    expect(items[1]).toEqual({
      id: trap,
      tenantId: s.tenantId,
      kind: 'trap',
      at: expect.any(String),
      agentId: s.agentA,
      deviceId: s.device,
      summary: 'event 0',
      trap: trapOf(trapId, s.device, 'trap'),
    });
    // An inform without a parseable payload still lists, as kind trap without details.
    expect(items[0]).toMatchObject({ id: inform, kind: 'trap', trap: null });
  });

  it('pages through every event exactly once and rejects bad paging', async () => {
    const s = await setup();
    const ids = await addEvents(
      s,
      Array.from({ length: 5 }, (_, i) => ({ kind: 'agent.online', agentId: s.agentA, ageMinutes: 10 - i })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
      const body = (await hub.call(s.viewer.token, 'GET', `${s.base}/events?${q}`)).json();
      seen.push(...body.items.map((e: Event) => e.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const bad = await hub.call(s.viewer.token, 'GET', `${s.base}/events?cursor=zzz`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_CURSOR');
    const big = await hub.call(s.viewer.token, 'GET', `${s.base}/events?limit=500`);
    expect(big.statusCode).toBe(400);
    expect(big.json().error.code).toBe('VALIDATION');
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/events?kind=agent.exploded`)).statusCode).toBe(
      400,
    );
  });
});

describe('GET /events/:id', () => {
  it('gives one event, and 404 for an unknown id or another tenant’s event', async () => {
    const s = await setup();
    const other = await setup();
    const [mine] = await addEvents(s, [{ kind: 'agent.enrolled', agentId: s.agentB, ageMinutes: 1 }]);
    const [theirs] = await addEvents(other, [
      { kind: 'agent.enrolled', agentId: other.agentB, ageMinutes: 1 },
    ]);
    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/events/${mine}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: mine,
      kind: 'agent.enrolled',
      agentId: s.agentB,
      deviceId: null,
      trap: null,
    });
    for (const id of [theirs, randomUUID()]) {
      const missing = await hub.call(s.viewer.token, 'GET', `${s.base}/events/${id}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('NOT_FOUND');
    }
  });
});
