import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from '@drm/protocol';
import { insertJob } from '../../src/modules/jobs/repo.js';
import { applyTargetTransition, recomputeJobStatus } from '../../src/modules/jobs/state.js';
import { gate } from '../helpers/gate.js';
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
  operator: TestUser;
  viewer: TestUser;
  base: string;
  siteId: string;
  community: string;
  v3: string;
  cwmp: string;
}

let seq = 0;
/** A tenant with a site and one credential of each kind, made directly in the database. */
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Devices tenant ${seq}`);
  const [operator, viewer] = await Promise.all([
    hub.user({ [tenantId]: 'operator' }),
    hub.user({ [tenantId]: 'viewer' }),
  ]);
  const ids = await hub.db.withTenant(tenantId, async (q) => {
    const site = await q.query<{ id: string }>(
      `INSERT INTO sites (tenant_id, name) VALUES ($1, 'HQ') RETURNING id`,
      [tenantId],
    );
    const cred = async (kind: string, version: string | null) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO credentials (tenant_id, name, kind, version, secret) VALUES ($1, $2, $3, $4, '\\x00') RETURNING id`,
        [tenantId, kind, kind, version],
      );
      return rows[0]!.id;
    };
    return {
      siteId: site.rows[0]!.id,
      community: await cred('snmp-community', '2c'),
      v3: await cred('snmp-v3', '3'),
      cwmp: await cred('cwmp', null),
    };
  });
  return { tenantId, operator, viewer, base: `/api/v1/tenants/${tenantId}`, ...ids };
}

async function addAgent(s: Setup, opts: { revoked?: boolean } = {}): Promise<string> {
  return hub.db.withTenant(s.tenantId, async (q) => {
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO agents (tenant_id, site_id, name, mqtt_username, secret_hash, revoked_at)
       VALUES ($1, $2, 'edge', $3, 'x', $4) RETURNING id`,
      [s.tenantId, s.siteId, `agent-${randomUUID()}`, opts.revoked ? new Date() : null],
    );
    return rows[0]!.id;
  });
}

async function create(s: Setup, body: Record<string, unknown>): Promise<Device> {
  const res = await hub.call(s.operator.token, 'POST', `${s.base}/devices`, { siteId: s.siteId, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return Device.parse(res.json());
}

async function deviceCount(tenantId: string): Promise<number> {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM devices WHERE tenant_id = $1', [tenantId]),
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

describe('creating devices', () => {
  it('stores a device with its SNMP profile defaults and audits it', async () => {
    const s = await setup();
    const agentId = await addAgent(s);
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/devices`, {
      siteId: s.siteId,
      agentId,
      name: 'core-sw1',
      address: '192.0.2.10',
      tags: ['core', 'floor-1'],
      snmp: { version: '2c', credentialId: s.community.toUpperCase() },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d).toEqual({
      id: d.id,
      tenantId: s.tenantId,
      siteId: s.siteId,
      agentId,
      name: 'core-sw1',
      address: '192.0.2.10',
      description: '',
      tags: ['core', 'floor-1'],
      snmp: {
        version: '2c',
        port: 161,
        credentialId: s.community,
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions: 25,
      },
      tr181: null,
      createdAt: d.createdAt,
      updatedAt: d.createdAt,
    });
    const get = await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${d.id}`);
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual(d);
    expect(await auditOf(s.tenantId, d.id)).toEqual([
      { action: 'device.create', details: { name: 'core-sw1', address: '192.0.2.10', siteId: s.siteId } },
    ]);
  });

  it.each([
    ['v3 with an SNMPv3 credential', (s: Setup) => ({ snmp: { version: '3', credentialId: s.v3 } })],
    ['v1 without a credential', () => ({ snmp: { version: '1' } })],
    [
      'TR-181 with a CWMP credential',
      (s: Setup) => ({ tr181: { url: 'https://cpe.example:7547/', credentialId: s.cwmp } }),
    ],
  ])('accepts %s', async (_what, profile) => {
    const s = await setup();
    await create(s, { name: 'ok', address: 'cpe.example', ...profile(s) });
  });

  it.each([
    [
      'a v2c profile with an SNMPv3 credential',
      (s: Setup) => ({ snmp: { version: '2c', credentialId: s.v3 } }),
      '/snmp/credentialId',
      'SNMP v2c needs a snmp-community credential, not snmp-v3',
    ],
    [
      'a v3 profile with a community',
      (s: Setup) => ({ snmp: { version: '3', credentialId: s.community } }),
      '/snmp/credentialId',
      'SNMP v3 needs a snmp-v3 credential, not snmp-community',
    ],
    [
      'a v3 profile without a credential',
      () => ({ snmp: { version: '3' } }),
      '/snmp/credentialId',
      'is required for SNMP v3',
    ],
    [
      'a TR-181 profile with an SNMP credential',
      (s: Setup) => ({ tr181: { credentialId: s.community } }),
      '/tr181/credentialId',
      'TR-181 needs a cwmp credential, not snmp-community',
    ],
    [
      'an unknown site',
      () => ({ siteId: '00000000-0000-4000-8000-000000000000' }),
      '/siteId',
      'there is no site 00000000-0000-4000-8000-000000000000 in this tenant',
    ],
    [
      'an unknown agent',
      () => ({ agentId: '00000000-0000-4000-8000-000000000000' }),
      '/agentId',
      'there is no agent 00000000-0000-4000-8000-000000000000 in this tenant',
    ],
    ['a bad address', () => ({ address: 'not an address!' }), '/address', 'must be an IPv4 address'],
  ])('answers 400 for %s, naming the field', async (_what, body, path, message) => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/devices`, {
      siteId: s.siteId,
      name: 'bad',
      address: '192.0.2.1',
      ...body(s),
    });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain(`${path} ${message}`);
    expect(await deviceCount(s.tenantId)).toBe(0);
  });

  it('creates many devices of one agent at once, each bumping its config revision', async () => {
    const s = await setup();
    const agentId = await addAgent(s);
    const revision = () =>
      hub.db.withTenant(s.tenantId, async (q) => {
        const { rows } = await q.query<{ r: number }>(
          'SELECT config_revision::int AS r FROM agents WHERE id = $1',
          [agentId],
        );
        return rows[0]!.r;
      });
    const before = await revision();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        hub.call(s.operator.token, 'POST', `${s.base}/devices`, {
          siteId: s.siteId,
          agentId,
          name: `rack-${i}`,
          address: `192.0.2.${i + 1}`,
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 201));
    expect(await revision()).toBe(before + 12);
  });

  it('refuses a revoked agent', async () => {
    const s = await setup();
    const agentId = await addAgent(s, { revoked: true });
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/devices`, {
      siteId: s.siteId,
      agentId,
      name: 'x',
      address: '192.0.2.1',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(`Invalid body: /agentId agent ${agentId} has been revoked`);
  });

  it('refuses ids of another tenant as if they did not exist, and links nothing', async () => {
    const mine = await setup();
    const theirs = await setup();
    const theirAgent = await addAgent(theirs);
    const res = await hub.call(mine.operator.token, 'POST', `${mine.base}/devices`, {
      siteId: theirs.siteId,
      agentId: theirAgent,
      name: 'cross',
      address: '192.0.2.1',
      snmp: { version: '2c', credentialId: theirs.community },
      tr181: { credentialId: theirs.cwmp },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'VALIDATION',
      message: `Invalid body: /siteId there is no site ${theirs.siteId} in this tenant`,
      details: [
        { path: '/siteId', message: `there is no site ${theirs.siteId} in this tenant` },
        { path: '/agentId', message: `there is no agent ${theirAgent} in this tenant` },
        { path: '/snmp/credentialId', message: `there is no credential ${theirs.community} in this tenant` },
        { path: '/tr181/credentialId', message: `there is no credential ${theirs.cwmp} in this tenant` },
      ],
    });
    expect(await deviceCount(mine.tenantId)).toBe(0);
    expect(await deviceCount(theirs.tenantId)).toBe(0);
  });

  it('answers 409 naming a duplicate name, case-insensitively', async () => {
    const s = await setup();
    await create(s, { name: 'Edge-1', address: '192.0.2.1' });
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/devices`, {
      siteId: s.siteId,
      name: 'edge-1',
      address: '192.0.2.2',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'CONFLICT',
      message: 'A device named "edge-1" already exists in this tenant',
    });
  });

  it('answers a viewer 404, as if the route were not there', async () => {
    const s = await setup();
    const res = await hub.call(s.viewer.token, 'POST', `${s.base}/devices`, {
      siteId: s.siteId,
      name: 'x',
      address: '192.0.2.1',
    });
    expect(res.statusCode).toBe(404);
    expect(await deviceCount(s.tenantId)).toBe(0);
  });
});

describe('listing devices', () => {
  it('filters by q, site, agent and tag, and pages without gaps', async () => {
    const s = await setup();
    const agentId = await addAgent(s);
    const site2 = await hub.db.withTenant(s.tenantId, async (q) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO sites (tenant_id, name) VALUES ($1, 'Branch') RETURNING id`,
        [s.tenantId],
      );
      return rows[0]!.id;
    });
    const a = await create(s, { name: 'core-sw1', address: '192.0.2.1', tags: ['core'], agentId });
    const b = await create(s, {
      name: 'ap-lobby',
      address: 'ap1.example.net',
      description: 'Lobby 100% coverage',
      tags: ['wifi'],
    });
    const c = await create(s, {
      siteId: site2,
      name: 'branch-rtr',
      address: '198.51.100.1',
      tags: ['core', 'wan'],
    });
    const other = await setup();
    await create(other, { name: 'core-sw1', address: '192.0.2.1', tags: ['core'] });

    const names = async (query: string) => {
      const res = await hub.call(s.viewer.token, 'GET', `${s.base}/devices${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as Device[]).map((d) => d.name);
    };
    expect(await names('')).toEqual(['branch-rtr', 'ap-lobby', 'core-sw1']);
    expect(await names('?q=CORE')).toEqual(['branch-rtr', 'core-sw1']);
    expect(await names('?q=example.net')).toEqual(['ap-lobby']);
    expect(await names('?q=100%25')).toEqual(['ap-lobby']);
    expect(await names('?q=wan')).toEqual(['branch-rtr']);
    expect(await names(`?siteId=${site2}`)).toEqual(['branch-rtr']);
    expect(await names(`?agentId=${agentId}`)).toEqual(['core-sw1']);
    expect(await names('?tag=core')).toEqual(['branch-rtr', 'core-sw1']);
    expect(await names('?tag=cor')).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hub.call(
        s.viewer.token,
        'GET',
        `${s.base}/devices?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = res.json() as { items: Device[]; nextCursor: string | null };
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([c.id, b.id, a.id]);
  });

  it('answers 404 to a user without a role in the tenant', async () => {
    const s = await setup();
    const stranger = await hub.user({});
    expect((await hub.call(stranger.token, 'GET', `${s.base}/devices`)).statusCode).toBe(404);
  });
});

describe('changing devices', () => {
  it('changes only the fields given, and clears with null', async () => {
    const s = await setup();
    const agentId = await addAgent(s);
    const d = await create(s, {
      name: 'sw',
      address: '192.0.2.1',
      description: 'old',
      tags: ['a'],
      agentId,
      snmp: { version: '2c', credentialId: s.community, port: 1161 },
    });
    let res = await hub.call(s.operator.token, 'PATCH', `${s.base}/devices/${d.id}`, { description: 'new' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...d, description: 'new', updatedAt: res.json().updatedAt });

    res = await hub.call(s.operator.token, 'PATCH', `${s.base}/devices/${d.id}`, {
      agentId: null,
      snmp: { version: '3', credentialId: s.v3 },
      tr181: { url: 'http://cpe.example/' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      agentId: null,
      description: 'new',
      tags: ['a'],
      snmp: { version: '3', port: 161, credentialId: s.v3 },
      tr181: { url: 'http://cpe.example/' },
    });
    expect((await auditOf(s.tenantId, d.id)).map((a) => [a.action, a.details.changed])).toEqual([
      ['device.create', undefined],
      ['device.update', ['description']],
      ['device.update', ['agentId', 'snmp', 'tr181']],
    ]);
  });

  it.each([
    ['a site of another tenant', (_s: Setup, o: Setup) => ({ siteId: o.siteId }), '/siteId'],
    [
      'a credential of another tenant',
      (_s: Setup, o: Setup) => ({ snmp: { version: '2c', credentialId: o.community } }),
      '/snmp/credentialId',
    ],
    [
      'a credential of the wrong kind',
      (s: Setup) => ({ snmp: { version: '3', credentialId: s.community } }),
      '/snmp/credentialId',
    ],
  ])('refuses %s and keeps the device as it was', async (_what, body, path) => {
    const s = await setup();
    const other = await setup();
    const d = await create(s, { name: 'sw', address: '192.0.2.1' });
    const res = await hub.call(s.operator.token, 'PATCH', `${s.base}/devices/${d.id}`, body(s, other));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe(path);
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${d.id}`)).json()).toEqual(d);
  });

  it('answers 409 for a duplicate name, 404 for an unknown or foreign device and for a viewer', async () => {
    const s = await setup();
    const other = await setup();
    await create(s, { name: 'one', address: '192.0.2.1' });
    const two = await create(s, { name: 'two', address: '192.0.2.2' });
    const theirs = await create(other, { name: 'theirs', address: '192.0.2.3' });
    const dup = await hub.call(s.operator.token, 'PATCH', `${s.base}/devices/${two.id}`, { name: 'ONE' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.message).toBe('A device named "ONE" already exists in this tenant');
    for (const id of [randomUUID(), theirs.id]) {
      expect(
        (await hub.call(s.operator.token, 'PATCH', `${s.base}/devices/${id}`, { name: 'x' })).statusCode,
      ).toBe(404);
    }
    expect(
      (await hub.call(s.viewer.token, 'PATCH', `${s.base}/devices/${two.id}`, { name: 'x' })).statusCode,
    ).toBe(404);
    expect(
      (await hub.call(other.viewer.token, 'GET', `${other.base}/devices/${theirs.id}`)).json().name,
    ).toBe('theirs');
  });
});

describe('deleting devices', () => {
  it('deletes with its samples, audits, and then answers 404', async () => {
    const s = await setup();
    const d = await create(s, { name: 'gone', address: '192.0.2.1' });
    await hub.db.withTenant(s.tenantId, (q) =>
      q.query(
        `INSERT INTO samples (tenant_id, id, device_id, ts, oid, value_num) VALUES ($1, $2, $3, now(), '1.3.6.1.2.1.1.3.0', 1)`,
        [s.tenantId, randomUUID(), d.id],
      ),
    );
    expect((await hub.call(s.viewer.token, 'DELETE', `${s.base}/devices/${d.id}`)).statusCode).toBe(404);
    const res = await hub.call(s.operator.token, 'DELETE', `${s.base}/devices/${d.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/devices/${d.id}`)).statusCode).toBe(404);
    expect((await hub.call(s.operator.token, 'DELETE', `${s.base}/devices/${d.id}`)).statusCode).toBe(404);
    const { rows } = await hub.db.asOwner((q) =>
      q.query('SELECT 1 FROM samples WHERE device_id = $1', [d.id]),
    );
    expect(rows).toHaveLength(0);
    expect((await auditOf(s.tenantId, d.id)).map((a) => a.action)).toEqual([
      'device.create',
      'device.delete',
    ]);
  });

  it('counts the jobs it was a target of again: one finishes without it, one left with none is cancelled', async () => {
    const s = await setup();
    const snmp = { version: '2c', credentialId: s.community };
    const kept = await create(s, { name: 'kept', address: '192.0.2.1', snmp });
    const gone = await create(s, { name: 'gone', address: '192.0.2.2', snmp });
    const job = async (targets: string[]) => {
      const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, {
        kind: 'snmp.get',
        targets,
        params: { oids: ['1.3.6.1.2.1.1.3.0'] },
      });
      expect(res.statusCode, res.body).toBe(202);
      return res.json().id as string;
    };
    const both = await job([kept.id, gone.id]);
    const only = await job([gone.id]);
    // The kept device's target has its result; the other one waits (no agent will ever run it).
    await hub.db.withTenant(s.tenantId, async (q) => {
      await applyTargetTransition(q, s.tenantId, both, kept.id, 'succeeded');
      await recomputeJobStatus(q, s.tenantId, both);
    });
    const read = async (id: string) => (await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${id}`)).json();
    expect(await read(both)).toMatchObject({ status: 'running', progress: { done: 1, total: 2 } });

    expect((await hub.call(s.operator.token, 'DELETE', `${s.base}/devices/${gone.id}`)).statusCode).toBe(204);
    const finished = await read(both);
    expect(finished).toMatchObject({ status: 'succeeded', progress: { done: 1, total: 1 } });
    expect(finished.finishedAt).not.toBeNull();
    expect(finished.targets.map((t: { deviceId: string }) => t.deviceId)).toEqual([kept.id]);
    expect(await read(only)).toMatchObject({ status: 'cancelled', progress: { done: 0, total: 0 } });
  });

  // Two transactions at once: only a real server runs them side by side.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'counts a job created with the device while the device is deleted (real PostgreSQL)',
    async () => {
      const s = await setup();
      const snmp = { version: '2c', credentialId: s.community };
      const kept = await create(s, { name: 'kept', address: '192.0.2.1', snmp });
      const gone = await create(s, { name: 'gone', address: '192.0.2.2', snmp });
      const inserted = gate();
      const committing = gate();
      // A job with both devices, inserted but not committed while the delete starts.
      const job = hub.db.withTenant(s.tenantId, async (q) => {
        const j = await insertJob(q, s.tenantId, {
          kind: 'snmp.get' as never,
          params: { oids: ['1.3.6.1.2.1.1.3.0'] },
          deviceIds: [kept.id, gone.id],
          createdBy: null,
          expiresInSeconds: 3600,
        });
        inserted.open();
        await committing.opened;
        return j.id;
      });
      await inserted.opened;
      const deleting = hub.call(s.operator.token, 'DELETE', `${s.base}/devices/${gone.id}`);
      await new Promise((r) => setTimeout(r, 300));
      committing.open();
      const jobId = await job;
      expect((await deleting).statusCode).toBe(204);
      const { total, recount } = await hub.db.withTenant(s.tenantId, async (q) => {
        const { rows } = await q.query<{ total: number }>(
          'SELECT total_targets AS total FROM jobs WHERE id = $1',
          [jobId],
        );
        return { total: rows[0]!.total, recount: await recomputeJobStatus(q, s.tenantId, jobId) };
      });
      expect(total).toBe(1);
      expect(recount).toMatchObject({ total: 1, changed: false });
    },
  );

  it("answers 404 for another tenant's device and leaves it", async () => {
    const s = await setup();
    const other = await setup();
    const theirs = await create(other, { name: 'theirs', address: '192.0.2.1' });
    expect((await hub.call(s.operator.token, 'DELETE', `${s.base}/devices/${theirs.id}`)).statusCode).toBe(
      404,
    );
    expect(await deviceCount(other.tenantId)).toBe(1);
  });
});
