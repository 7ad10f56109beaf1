import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatestSamples, type Sample } from '@drm/protocol';
import { sampleWindow } from '../../src/modules/samples/window.js';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

const UPTIME = '1.3.6.1.2.1.1.3.0';
const DESCR = '1.3.6.1.2.1.1.1.0';
const IF_IN = '1.3.6.1.2.1.2.2.1.10.2';
const IF_IN_10 = '1.3.6.1.2.1.2.2.1.10.10';
const HOUR = 3_600_000;

interface Setup {
  tenantId: string;
  viewer: TestUser;
  base: string;
  deviceId: string;
  otherDeviceId: string;
}

let seq = 0;
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Samples tenant ${seq}`);
  const viewer = await hub.user({ [tenantId]: 'viewer' });
  const [deviceId, otherDeviceId] = await hub.db.withTenant(tenantId, async (q) => {
    const site = await q.query<{ id: string }>(
      `INSERT INTO sites (tenant_id, name) VALUES ($1, 'HQ') RETURNING id`,
      [tenantId],
    );
    const ids: string[] = [];
    for (const name of ['sw1', 'sw2']) {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO devices (tenant_id, site_id, name, address) VALUES ($1, $2, $3, '192.0.2.1') RETURNING id`,
        [tenantId, site.rows[0]!.id, name],
      );
      ids.push(rows[0]!.id);
    }
    return ids;
  });
  return {
    tenantId,
    viewer,
    base: `/api/v1/tenants/${tenantId}`,
    deviceId: deviceId!,
    otherDeviceId: otherDeviceId!,
  };
}

interface Row {
  deviceId: string;
  oid: string;
  ts: string;
  num?: number;
  text?: string;
  id?: string;
}

/** Inserts samples as ingestion will: directly, inside the tenant's context. */
async function insert(tenantId: string, rows: Row[]): Promise<void> {
  await hub.db.withTenant(tenantId, async (q) => {
    for (const r of rows) {
      await q.query(
        `INSERT INTO samples (tenant_id, id, device_id, schedule_id, ts, oid, name, value_num, value_text)
         VALUES ($1, $2, $3, NULL, $4::timestamptz, $5, NULL, $6, $7)`,
        [tenantId, r.id ?? randomUUID(), r.deviceId, r.ts, r.oid, r.num ?? null, r.text ?? null],
      );
    }
  });
}

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

async function page(s: Setup, query: string) {
  const res = await hub.call(s.viewer.token, 'GET', `${s.base}/samples?${query}`);
  return res;
}

describe('GET samples', () => {
  it('reads the last 24 h of one OID of one device by default, oldest first', async () => {
    const s = await setup();
    const other = await setup();
    await insert(s.tenantId, [
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(1 * HOUR), num: 3 },
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(23 * HOUR), num: 1 },
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(2 * HOUR), num: 2 },
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(25 * HOUR), num: 0 },
      { deviceId: s.deviceId, oid: DESCR, ts: ago(1 * HOUR), text: 'Linux' },
      { deviceId: s.otherDeviceId, oid: UPTIME, ts: ago(1 * HOUR), num: 99 },
    ]);
    await insert(other.tenantId, [{ deviceId: other.deviceId, oid: UPTIME, ts: ago(HOUR), num: 42 }]);

    const res = await page(s, `deviceId=${s.deviceId}&oid=${UPTIME}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Sample[]; nextCursor: string | null };
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((x) => x.valueNum)).toEqual([1, 2, 3]);
    expect(body.items[0]).toEqual({
      deviceId: s.deviceId,
      scheduleId: null,
      oid: UPTIME,
      name: null,
      ts: body.items[0]!.ts,
      valueNum: 1,
      valueText: null,
    });
  });

  it('reads an explicit window [from, to), with a leading-dot OID', async () => {
    const s = await setup();
    await insert(s.tenantId, [
      { deviceId: s.deviceId, oid: UPTIME, ts: '2025-03-01T00:00:00Z', num: 1 },
      { deviceId: s.deviceId, oid: UPTIME, ts: '2025-03-01T12:00:00Z', num: 2 },
      { deviceId: s.deviceId, oid: UPTIME, ts: '2025-03-02T00:00:00Z', num: 3 },
    ]);
    const res = await page(
      s,
      `deviceId=${s.deviceId}&oid=.${UPTIME}&from=2025-03-01T00:00:00Z&to=2025-03-02T00:00:00Z`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((x: Sample) => [x.ts, x.valueNum])).toEqual([
      ['2025-03-01T00:00:00.000Z', 1],
      ['2025-03-01T12:00:00.000Z', 2],
    ]);
    const onlyTo = await page(s, `deviceId=${s.deviceId}&oid=${UPTIME}&to=2025-03-01T12:00:01%2B00:00`);
    expect(onlyTo.json().items.map((x: Sample) => x.valueNum)).toEqual([1, 2]);
  });

  it('pages by (ts, id) without skipping rows within the same millisecond', async () => {
    const s = await setup();
    const base = Date.parse('2025-04-01T10:00:00.123Z');
    const rows: Row[] = [
      { deviceId: s.deviceId, oid: UPTIME, ts: '2025-04-01T10:00:00.123100Z', num: 1 },
      { deviceId: s.deviceId, oid: UPTIME, ts: '2025-04-01T10:00:00.123400Z', num: 2 },
      {
        deviceId: s.deviceId,
        oid: UPTIME,
        ts: '2025-04-01T10:00:00.123400Z',
        num: 3,
        id: 'ffffffff-ffff-4fff-8fff-ffffffffffff',
      },
      { deviceId: s.deviceId, oid: UPTIME, ts: new Date(base + 1).toISOString(), num: 4 },
    ];
    rows[1]!.id = '00000000-0000-4000-8000-000000000001';
    await insert(s.tenantId, rows);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await page(
        s,
        `deviceId=${s.deviceId}&oid=${UPTIME}&from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { items: Sample[]; nextCursor: string | null };
      seen.push(...body.items.map((x) => x.valueNum!));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['to before from', 'from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z', '/to', 'must be after from'],
    [
      'a window over 93 days',
      'from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z',
      '/from',
      'is wider than 93 days',
    ],
    ['a limit over 10,000', 'limit=10001', '/limit', ''],
    ['a name instead of an OID', 'oid=sysUpTime.0', '/oid', ''],
    ['a bad cursor', 'cursor=nonsense', '', 'The cursor is not one this API issued'],
  ])('answers 400 for %s', async (_what, query, path, message) => {
    const s = await setup();
    const params = new URLSearchParams(`deviceId=${s.deviceId}&oid=${UPTIME}`);
    for (const [k, v] of new URLSearchParams(query)) params.set(k, v);
    const res = await page(s, params.toString());
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(path);
    expect(res.json().error.message).toContain(message);
  });

  it('answers 404 for a device of another tenant or no device at all', async () => {
    const s = await setup();
    const other = await setup();
    await insert(other.tenantId, [{ deviceId: other.deviceId, oid: UPTIME, ts: ago(HOUR), num: 1 }]);
    for (const id of [other.deviceId, randomUUID()]) {
      const res = await page(s, `deviceId=${id}&oid=${UPTIME}`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toEqual({ code: 'NOT_FOUND', message: 'Device not found' });
    }
  });
});

describe('the samples window', () => {
  const now = Date.parse('2025-05-10T12:00:00Z');
  it.each([
    [undefined, undefined, '2025-05-09T12:00:00.000Z', '2025-05-10T12:00:00.000Z'],
    ['2025-05-01T00:00:00Z', undefined, '2025-05-01T00:00:00.000Z', '2025-05-02T00:00:00.000Z'],
    ['2025-05-10T06:00:00Z', undefined, '2025-05-10T06:00:00.000Z', '2025-05-10T12:00:00.000Z'],
    [undefined, '2025-05-01T00:00:00Z', '2025-04-30T00:00:00.000Z', '2025-05-01T00:00:00.000Z'],
    ['2025-02-06T00:00:00Z', '2025-05-10T00:00:00Z', '2025-02-06T00:00:00.000Z', '2025-05-10T00:00:00.000Z'],
  ])('from %s to %s reads [%s, %s)', (from, to, start, end) => {
    const w = sampleWindow(from, to, now);
    expect([w.from.toISOString(), w.to.toISOString()]).toEqual([start, end]);
  });

  it('refuses a window a millisecond over the maximum', () => {
    expect(() => sampleWindow('2025-02-05T23:59:59.999Z', '2025-05-10T00:00:00Z', now)).toThrow(
      /wider than 93 days/,
    );
  });
});

describe('GET devices/:id/latest', () => {
  it('returns the newest sample of each OID of the device, in OID order', async () => {
    const s = await setup();
    await insert(s.tenantId, [
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(3 * HOUR), num: 1 },
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(1 * HOUR), num: 3 },
      { deviceId: s.deviceId, oid: UPTIME, ts: ago(2 * HOUR), num: 2 },
      { deviceId: s.deviceId, oid: DESCR, ts: ago(40 * 24 * HOUR), text: 'old but latest' },
      { deviceId: s.deviceId, oid: IF_IN_10, ts: ago(HOUR), num: 10 },
      { deviceId: s.deviceId, oid: IF_IN, ts: ago(HOUR), num: 2 },
      { deviceId: s.otherDeviceId, oid: UPTIME, ts: ago(0), num: 99 },
    ]);
    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${s.deviceId}/latest`);
    expect(res.statusCode).toBe(200);
    const body = LatestSamples.parse(res.json());
    expect(body.deviceId).toBe(s.deviceId);
    expect(body.items.map((x) => [x.oid, x.valueNum ?? x.valueText])).toEqual([
      [DESCR, 'old but latest'],
      [UPTIME, 3],
      [IF_IN, 2],
      [IF_IN_10, 10],
    ]);
  });

  it('breaks a tie on time by id, and finds each OID among a long history in several months', async () => {
    const s = await setup();
    const rows: Row[] = [];
    // Many OIDs, each sampled across three months, the newest of each in a different one.
    for (let n = 0; n < 30; n += 1) {
      const oid = `1.3.6.1.2.1.2.2.1.10.${n}`;
      const newest = (n % 3) * 31 * 24 * HOUR;
      for (let k = 0; k < 8; k += 1)
        rows.push({ deviceId: s.deviceId, oid, ts: ago(newest + k * 4 * 24 * HOUR), num: n * 100 + k });
      rows.push({ deviceId: s.otherDeviceId, oid, ts: ago(0), num: -1 });
    }
    // Two samples at the same instant: the larger (later) UUIDv7 wins.
    const at = ago(HOUR);
    rows.push({
      deviceId: s.deviceId,
      oid: UPTIME,
      ts: at,
      num: 1,
      id: '01900000-0000-7000-8000-000000000001',
    });
    rows.push({
      deviceId: s.deviceId,
      oid: UPTIME,
      ts: at,
      num: 2,
      id: '01900000-0000-7000-8000-000000000002',
    });
    await insert(s.tenantId, rows);

    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${s.deviceId}/latest`);
    expect(res.statusCode).toBe(200);
    const items = LatestSamples.parse(res.json()).items;
    expect(items).toHaveLength(31);
    expect(items[0]).toMatchObject({ oid: UPTIME, valueNum: 2 });
    expect(items.slice(1).map((x) => [x.oid, x.valueNum])).toEqual(
      Array.from({ length: 30 }, (_, n) => [`1.3.6.1.2.1.2.2.1.10.${n}`, n * 100]),
    );
  });

  it('returns no items for a device without samples, 404 for a foreign or unknown one', async () => {
    const s = await setup();
    const other = await setup();
    const empty = await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${s.deviceId}/latest`);
    expect(empty.json()).toEqual({ deviceId: s.deviceId, items: [] });
    for (const id of [other.deviceId, randomUUID()]) {
      expect((await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${id}/latest`)).statusCode).toBe(404);
    }
  });

  it('is named in the OpenAPI document', async () => {
    const doc = (await hub.call(null, 'GET', '/docs/json')).json();
    const op = doc.paths['/api/v1/tenants/{tenantId}/devices/{id}/latest']?.get;
    expect(op).toMatchObject({ operationId: 'getDeviceLatestSamples', tags: ['samples'] });
    expect(doc.paths['/api/v1/tenants/{tenantId}/samples']?.get?.summary).toMatch(/oldest first/);
  });
});
