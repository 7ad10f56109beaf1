import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleDto } from '@drm/protocol';
import { affectedAgentIds } from '../../src/modules/schedules/repo.js';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

const UPTIME = '1.3.6.1.2.1.1.3.0';

interface Setup {
  tenantId: string;
  operator: TestUser;
  viewer: TestUser;
  base: string;
  siteId: string;
  devices: string[];
  community: string;
  v3: string;
}

let seq = 0;
/** A tenant with three devices and an SNMP credential of each kind, made directly. */
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Schedules tenant ${seq}`);
  const [operator, viewer] = await Promise.all([
    hub.user({ [tenantId]: 'operator' }),
    hub.user({ [tenantId]: 'viewer' }),
  ]);
  const made = await hub.db.withTenant(tenantId, async (q) => {
    const site = await q.query<{ id: string }>(
      `INSERT INTO sites (tenant_id, name) VALUES ($1, 'HQ') RETURNING id`,
      [tenantId],
    );
    const siteId = site.rows[0]!.id;
    const devices: string[] = [];
    for (const name of ['d1', 'd2', 'd3']) {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO devices (tenant_id, site_id, name, address) VALUES ($1, $2, $3, '192.0.2.1') RETURNING id`,
        [tenantId, siteId, name],
      );
      devices.push(rows[0]!.id);
    }
    const cred = async (kind: string) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO credentials (tenant_id, name, kind, secret) VALUES ($1, $2, $2, '\\x00') RETURNING id`,
        [tenantId, kind],
      );
      return rows[0]!.id;
    };
    return { siteId, devices, community: await cred('snmp-community'), v3: await cred('snmp-v3') };
  });
  return { tenantId, operator, viewer, base: `/api/v1/tenants/${tenantId}`, ...made };
}

async function create(s: Setup, body: Record<string, unknown>): Promise<ScheduleDto> {
  const res = await hub.call(s.operator.token, 'POST', `${s.base}/schedules`, body);
  expect(res.statusCode, res.body).toBe(201);
  return ScheduleDto.parse(res.json());
}

async function scheduleCount(tenantId: string): Promise<number> {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM schedules WHERE tenant_id = $1', [tenantId]),
  );
  return rows[0]!.n;
}

async function auditOf(tenantId: string, id: string) {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ action: string; details: Record<string, unknown> }>(
      'SELECT action, details FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY at, id',
      [tenantId, id],
    ),
  );
  return rows;
}

describe('creating schedules', () => {
  it('stores a schedule with the defaults of its kind and audits it', async () => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/schedules`, {
      name: 'uptime',
      kind: 'snmp.get',
      deviceIds: [s.devices[0], s.devices[1]!.toUpperCase()],
      params: { oids: [`.${UPTIME}`] },
      intervalSeconds: 60,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: body.id,
      tenantId: s.tenantId,
      name: 'uptime',
      kind: 'snmp.get',
      deviceIds: [s.devices[0], s.devices[1]],
      params: { oids: [UPTIME], targetBudgetMs: 30_000 },
      intervalSeconds: 60,
      jitterPct: 10,
      enabled: true,
      createdAt: body.createdAt,
      updatedAt: body.createdAt,
    });
    const get = await hub.call(s.viewer.token, 'GET', `${s.base}/schedules/${body.id}`);
    expect(get.json()).toEqual(body);
    expect(await auditOf(s.tenantId, body.id)).toEqual([
      { action: 'schedule.create', details: { name: 'uptime', kind: 'snmp.get', devices: 2 } },
    ]);
  });

  it('accepts a walk with a credential override that fits its version', async () => {
    const s = await setup();
    const sch = await create(s, {
      name: 'ifTable',
      kind: 'snmp.walk',
      deviceIds: [s.devices[2]],
      params: { oid: '1.3.6.1.2.1.2.2', version: '3', credentialId: s.v3 },
      intervalSeconds: 86_400,
      jitterPct: 0,
      enabled: false,
    });
    expect(sch).toMatchObject({
      kind: 'snmp.walk',
      params: { method: 'bulk', maxVarbinds: 100_000 },
      enabled: false,
    });
  });

  it.each([
    ['an interval under 10 s', { intervalSeconds: 9 }, '/intervalSeconds'],
    ['an interval over a day', { intervalSeconds: 86_401 }, '/intervalSeconds'],
    ['jitter over 50 %', { jitterPct: 51 }, '/jitterPct'],
    ['walk params on a get', { params: { oid: UPTIME } }, '/params/oids'],
    ['an unknown kind', { kind: 'snmp.set' }, '/kind'],
    ['no devices', { deviceIds: [] }, '/deviceIds'],
  ])('answers 400 for %s', async (_what, patch, path) => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/schedules`, {
      name: 'bad',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
      ...patch,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION');
    expect(res.json().error.message).toContain(path);
    expect(await scheduleCount(s.tenantId)).toBe(0);
  });

  it('refuses devices and credentials of another tenant as if they did not exist', async () => {
    const s = await setup();
    const other = await setup();
    const unknown = randomUUID();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/schedules`, {
      name: 'cross',
      kind: 'snmp.get',
      deviceIds: [s.devices[0], other.devices[0], unknown],
      params: { oids: [UPTIME], credentialId: other.community },
      intervalSeconds: 60,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'VALIDATION',
      message: `Invalid body: /deviceIds no device ${other.devices[0]}, ${unknown} in this tenant`,
      details: [
        { path: '/deviceIds', message: `no device ${other.devices[0]}, ${unknown} in this tenant` },
        { path: '/params/credentialId', message: `there is no credential ${other.community} in this tenant` },
      ],
    });
    expect(await scheduleCount(s.tenantId)).toBe(0);
    expect(await scheduleCount(other.tenantId)).toBe(0);
  });

  it('refuses a credential override that does not fit the version', async () => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/schedules`, {
      name: 'misfit',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME], version: '2c', credentialId: s.v3 },
      intervalSeconds: 60,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(
      'Invalid body: /params/credentialId SNMP v2c needs a snmp-community credential, not snmp-v3',
    );
  });

  it('answers a viewer 404, as if the route were not there', async () => {
    const s = await setup();
    const res = await hub.call(s.viewer.token, 'POST', `${s.base}/schedules`, {
      name: 'x',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
    });
    expect(res.statusCode).toBe(404);
    expect(await scheduleCount(s.tenantId)).toBe(0);
  });
});

describe('listing schedules', () => {
  it('filters by kind and device and pages without gaps', async () => {
    const s = await setup();
    const base = { params: { oids: [UPTIME] }, kind: 'snmp.get', intervalSeconds: 60 };
    const a = await create(s, { ...base, name: 'a', deviceIds: [s.devices[0]] });
    const b = await create(s, { ...base, name: 'b', deviceIds: [s.devices[0], s.devices[1]] });
    const c = await create(s, {
      name: 'c',
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2' },
      intervalSeconds: 300,
      deviceIds: [s.devices[1]],
    });
    const names = async (query: string) => {
      const res = await hub.call(s.viewer.token, 'GET', `${s.base}/schedules${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as ScheduleDto[]).map((x) => x.name);
    };
    expect(await names('')).toEqual(['c', 'b', 'a']);
    expect(await names('?kind=snmp.walk')).toEqual(['c']);
    expect(await names(`?deviceId=${s.devices[0]}`)).toEqual(['b', 'a']);
    expect(await names(`?deviceId=${s.devices[2]}`)).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hub.call(
        s.viewer.token,
        'GET',
        `${s.base}/schedules?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = res.json() as { items: ScheduleDto[]; nextCursor: string | null };
      seen.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([c.id, b.id, a.id]);
  });
});

describe('changing and deleting schedules', () => {
  it('changes the fields given, kind and params together, and audits the field names', async () => {
    const s = await setup();
    const sch = await create(s, {
      name: 'p',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
    });
    let res = await hub.call(s.operator.token, 'PATCH', `${s.base}/schedules/${sch.id}`, {
      enabled: false,
      jitterPct: 0,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...sch, enabled: false, jitterPct: 0, updatedAt: res.json().updatedAt });

    res = await hub.call(s.operator.token, 'PATCH', `${s.base}/schedules/${sch.id}`, {
      deviceIds: [s.devices[1], s.devices[2]],
      spec: { kind: 'snmp.walk', params: { oid: '1.3.6.1.2.1.31', method: 'next' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'p',
      kind: 'snmp.walk',
      deviceIds: [s.devices[1], s.devices[2]],
      params: { oid: '1.3.6.1.2.1.31', method: 'next', maxVarbinds: 100_000, targetBudgetMs: 30_000 },
      intervalSeconds: 60,
      enabled: false,
    });
    expect((await auditOf(s.tenantId, sch.id)).map((a) => [a.action, a.details.changed])).toEqual([
      ['schedule.create', undefined],
      ['schedule.update', ['jitterPct', 'enabled']],
      ['schedule.update', ['deviceIds', 'spec']],
    ]);
  });

  it('refuses devices of another tenant on update and keeps the schedule', async () => {
    const s = await setup();
    const other = await setup();
    const sch = await create(s, {
      name: 'p',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
    });
    const res = await hub.call(s.operator.token, 'PATCH', `${s.base}/schedules/${sch.id}`, {
      deviceIds: [other.devices[0]],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/deviceIds', message: `no device ${other.devices[0]} in this tenant` },
    ]);
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/schedules/${sch.id}`)).json()).toEqual(sch);
    const bad = await hub.call(s.operator.token, 'PATCH', `${s.base}/schedules/${sch.id}`, {
      spec: { kind: 'snmp.walk', params: { oids: [UPTIME] } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('/spec/params/oid');
  });

  it('deletes (operators), then answers 404; 404 for foreign ids and for viewers', async () => {
    const s = await setup();
    const other = await setup();
    const sch = await create(s, {
      name: 'p',
      kind: 'snmp.get',
      deviceIds: [s.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
    });
    const theirs = await create(other, {
      name: 't',
      kind: 'snmp.get',
      deviceIds: [other.devices[0]],
      params: { oids: [UPTIME] },
      intervalSeconds: 60,
    });
    expect((await hub.call(s.viewer.token, 'DELETE', `${s.base}/schedules/${sch.id}`)).statusCode).toBe(404);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { enabled: false }],
      ['DELETE', undefined],
    ] as const) {
      expect(
        (await hub.call(s.operator.token, method, `${s.base}/schedules/${theirs.id}`, body)).statusCode,
      ).toBe(404);
    }
    expect((await hub.call(s.operator.token, 'DELETE', `${s.base}/schedules/${sch.id}`)).statusCode).toBe(
      204,
    );
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/schedules/${sch.id}`)).statusCode).toBe(404);
    expect((await hub.call(s.operator.token, 'DELETE', `${s.base}/schedules/${sch.id}`)).statusCode).toBe(
      404,
    );
    expect(await scheduleCount(other.tenantId)).toBe(1);
    expect((await auditOf(s.tenantId, sch.id)).map((a) => a.action)).toEqual([
      'schedule.create',
      'schedule.delete',
    ]);
  });
});

describe('affectedAgentIds', () => {
  it("returns the distinct agents of the tenant's devices, sorted, ignoring other tenants and agentless devices", async () => {
    const s = await setup();
    const other = await setup();
    const agent = async (t: Setup) =>
      hub.db.withTenant(t.tenantId, async (q) => {
        const { rows } = await q.query<{ id: string }>(
          `INSERT INTO agents (tenant_id, site_id, name, mqtt_username, secret_hash) VALUES ($1, $2, 'a', $3, 'x') RETURNING id`,
          [t.tenantId, t.siteId, `agent-${randomUUID()}`],
        );
        return rows[0]!.id;
      });
    const [a1, a2, theirs] = [await agent(s), await agent(s), await agent(other)];
    await hub.db.withTenant(s.tenantId, async (q) => {
      await q.query('UPDATE devices SET agent_id = $1 WHERE id = ANY ($2::uuid[])', [
        a1,
        [s.devices[0], s.devices[1]],
      ]);
    });
    await hub.db.withTenant(other.tenantId, (q) =>
      q.query('UPDATE devices SET agent_id = $1 WHERE id = $2', [theirs, other.devices[0]]),
    );
    const ids = [s.devices[0]!, s.devices[1]!, s.devices[2]!, other.devices[0]!, randomUUID()];
    expect(await hub.db.withTenant(s.tenantId, (q) => affectedAgentIds(q, ids))).toEqual([a1]);
    await hub.db.withTenant(s.tenantId, (q) =>
      q.query('UPDATE devices SET agent_id = $1 WHERE id = $2', [a2, s.devices[2]]),
    );
    expect(await hub.db.withTenant(s.tenantId, (q) => affectedAgentIds(q, ids))).toEqual([a1, a2].sort());
    expect(await hub.db.withTenant(s.tenantId, (q) => affectedAgentIds(q, []))).toEqual([]);
  });
});
