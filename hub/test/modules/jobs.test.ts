import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Job, type JobStatus, type TargetStatus, uuidv7 } from '@drm/protocol';
import {
  aggregateJobStatus,
  applyTargetTransition,
  canTransition,
  createJobService,
  type JobDispatcher,
  recomputeJobStatus,
} from '../../src/modules/jobs/service.js';
import type { StatusCounts } from '../../src/modules/jobs/transitions.js';
import { createTestHub, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  // The REST side of jobs alone: with no dispatcher wired, jobs stay queued (dispatch over
  // MQTT has its own tests).
  hub = await createTestHub({}, { agentLink: false });
});
afterAll(async () => {
  await hub?.close();
});

interface Setup {
  tenantId: string;
  base: string;
  operator: TestUser;
  viewer: TestUser;
  agentId: string;
  /** SNMP profile and an agent. */
  snmpDev: string;
  /** SNMP profile, no agent yet. */
  loneDev: string;
  /** TR-181 profile only. */
  trDev: string;
  /** No profile at all. */
  bareDev: string;
  credentialId: string;
}

let seq = 0;
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Jobs tenant ${seq}`);
  const [operator, viewer] = await Promise.all([
    hub.user({ [tenantId]: 'operator' }),
    hub.user({ [tenantId]: 'viewer' }),
  ]);
  const [siteId, agentId, snmpDev, loneDev, trDev, bareDev, credentialId] = Array.from({ length: 7 }, () =>
    randomUUID(),
  ) as [string, string, string, string, string, string, string];
  await hub.db.withTenant(tenantId, async (q) => {
    await q.query('INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, $3)', [tenantId, siteId, 'HQ']);
    await q.query(
      `INSERT INTO agents (tenant_id, id, site_id, name, mqtt_username, secret_hash)
       VALUES ($1, $2, $3, 'edge', $4, 'x')`,
      [tenantId, agentId, siteId, `agent-${agentId}`],
    );
    await q.query(
      `INSERT INTO credentials (tenant_id, id, name, kind, version, secret)
       VALUES ($1, $2, 'ro', 'snmp-community', '2c', $3)`,
      [tenantId, credentialId, randomBytes(16)],
    );
    const snmp = JSON.stringify({ version: '2c', port: 161, credentialId });
    for (const [id, name, agent, sp, tr] of [
      [snmpDev, 'a-switch', agentId, snmp, null],
      [loneDev, 'b-router', null, snmp, null],
      [trDev, 'c-cpe', agentId, null, JSON.stringify({ url: 'http://192.0.2.1:7547/' })],
      [bareDev, 'd-bare', agentId, null, null],
    ]) {
      await q.query(
        `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, snmp, tr181)
         VALUES ($1, $2, $3, $4, $5, '192.0.2.10', $6::jsonb, $7::jsonb)`,
        [tenantId, id, siteId, agent, name, sp, tr],
      );
    }
  });
  return {
    tenantId,
    base: `/api/v1/tenants/${tenantId}`,
    operator,
    viewer,
    agentId,
    snmpDev,
    loneDev,
    trDev,
    bareDev,
    credentialId,
  };
}

const GET_SYSDESCR = { kind: 'snmp.get', params: { oids: ['1.3.6.1.2.1.1.1.0'] } };

async function createJob(s: Setup, targets: string[], body: object = GET_SYSDESCR): Promise<string> {
  const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, { ...body, targets });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id;
}

function rowsOf<R>(s: Setup, sql: string, params: unknown[]): Promise<R[]> {
  return hub.db.withTenant(s.tenantId, async (q) => (await q.query<R>(sql, params)).rows);
}

describe('target transitions', () => {
  const cases: [TargetStatus, TargetStatus, boolean][] = [
    ['queued', 'dispatched', true],
    ['dispatched', 'running', true],
    ['running', 'succeeded', true],
    ['running', 'failed', true],
    ['running', 'partial', true],
    ['running', 'cancelled', true],
    ['running', 'expired', true],
    ['queued', 'cancelled', true],
    ['queued', 'expired', true],
    ['dispatched', 'cancelled', true],
    ['dispatched', 'expired', true],
    // A result may arrive before the progress that says running, a receipt before the dispatch is stored.
    ['dispatched', 'succeeded', true],
    ['queued', 'running', true],
    ['running', 'dispatched', false],
    ['dispatched', 'queued', false],
    ['running', 'running', false],
    ['succeeded', 'running', false],
    ['succeeded', 'failed', false],
    ['failed', 'succeeded', false],
    ['cancelled', 'running', false],
    ['expired', 'succeeded', false],
    ['partial', 'succeeded', false],
  ];
  it.each(cases)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});

describe('job status from target statuses', () => {
  const cases: [string, StatusCounts, JobStatus][] = [
    ['all queued', { queued: 3 }, 'queued'],
    ['some dispatched', { queued: 1, dispatched: 2 }, 'dispatched'],
    ['one running', { queued: 1, dispatched: 1, running: 1 }, 'running'],
    ['one done, others waiting', { succeeded: 1, queued: 2 }, 'running'],
    ['all succeeded', { succeeded: 3 }, 'succeeded'],
    ['all failed', { failed: 2 }, 'failed'],
    ['succeeded and failed', { succeeded: 1, failed: 2 }, 'partial'],
    ['a partial target', { succeeded: 1, partial: 1 }, 'partial'],
    ['succeeded and cancelled', { succeeded: 1, cancelled: 1 }, 'partial'],
    ['all cancelled', { cancelled: 2 }, 'cancelled'],
    ['all expired', { expired: 2 }, 'expired'],
    ['failed and expired', { failed: 1, expired: 1 }, 'failed'],
    ['cancelled and expired', { cancelled: 1, expired: 1 }, 'cancelled'],
    ['no targets', {}, 'queued'],
  ];
  it.each(cases)('%s → %s', (_name, counts, status) => {
    expect(aggregateJobStatus(counts)).toBe(status);
  });
});

describe('POST /jobs', () => {
  it('queues the job with one target per device and audits it', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev, s.loneDev]);
    const [job] = await rowsOf<{
      status: string;
      kind: string;
      total_targets: number;
      created_by: string;
      ttl: number;
    }>(
      s,
      `SELECT status, kind, total_targets, created_by, extract(epoch FROM expires_at - created_at)::int AS ttl
         FROM jobs WHERE id = $1`,
      [id],
    );
    expect(job).toEqual({
      status: 'queued',
      kind: 'snmp.get',
      total_targets: 2,
      created_by: s.operator.id,
      ttl: 3600,
    });
    const targets = await rowsOf(
      s,
      'SELECT device_id, agent_id, status FROM job_targets WHERE job_id = $1 ORDER BY device_id',
      [id],
    );
    expect(targets).toEqual(
      [
        { device_id: s.snmpDev, agent_id: s.agentId, status: 'queued' },
        { device_id: s.loneDev, agent_id: null, status: 'queued' },
      ].sort((a, b) => a.device_id.localeCompare(b.device_id)),
    );
    const audit = await rowsOf(
      s,
      'SELECT action, actor_user_id, details FROM audit_log WHERE target_id = $1',
      [id],
    );
    expect(audit).toEqual([
      {
        action: 'job.create',
        actor_user_id: s.operator.id,
        details: { kind: 'snmp.get', targetCount: 2, expiresInSeconds: 3600 },
      },
    ]);
  });

  it('takes the deadline from expiresInSeconds', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev], { ...GET_SYSDESCR, expiresInSeconds: 120 });
    const [row] = await rowsOf<{ ttl: number }>(
      s,
      'SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM jobs WHERE id = $1',
      [id],
    );
    expect(row?.ttl).toBe(120);
  });

  it('names unknown and other tenants’ device ids alike, and stores nothing', async () => {
    const s = await setup();
    const other = await setup();
    const unknown = randomUUID();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, {
      ...GET_SYSDESCR,
      targets: [s.snmpDev, other.snmpDev, unknown],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'VALIDATION',
      message: `Unknown device ids: ${other.snmpDev}, ${unknown}`,
      details: { unknownDeviceIds: [other.snmpDev, unknown] },
    });
    expect(await rowsOf(s, 'SELECT id FROM jobs', [])).toEqual([]);
  });

  it.each([
    ['SNMP job on a device without an SNMP profile', 400, GET_SYSDESCR, 'bareDev'],
    ['SNMP job on a TR-181 device', 400, GET_SYSDESCR, 'trDev'],
    [
      'TR-181 job on an SNMP device',
      400,
      { kind: 'tr181.get', params: { parameters: ['Device.DeviceInfo.'] } },
      'snmpDev',
    ],
    ['TR-181 job on a TR-181 device', 202, { kind: 'tr181.reboot', params: {} }, 'trDev'],
  ] as const)('%s → %i', async (_name, status, body, device) => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, { ...body, targets: [s[device]] });
    expect(res.statusCode, res.body).toBe(status);
    if (status === 400) expect(res.json().error.details).toEqual({ devicesWithoutProfile: [s[device]] });
  });

  it('accepts a device without an SNMP profile when the job names a credential of the tenant', async () => {
    const s = await setup();
    const other = await setup();
    const job = (credentialId: string) => ({
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.1.0'], credentialId },
    });
    expect(
      (
        await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, {
          ...job(s.credentialId),
          targets: [s.bareDev],
        })
      ).statusCode,
    ).toBe(202);
    const foreign = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, {
      ...job(other.credentialId),
      targets: [s.snmpDev],
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error.message).toBe(
      `params.credentialId ${other.credentialId} is not an SNMP credential of this tenant`,
    );
  });

  it.each([
    ['params of another kind', { kind: 'snmp.walk', params: { oids: ['1.3.6.1'] } }],
    ['an unknown kind', { kind: 'snmp.trap', params: {} }],
    ['a repeated target', { ...GET_SYSDESCR, repeat: true }],
    ['a deadline too long', { ...GET_SYSDESCR, expiresInSeconds: 8 * 86_400 }],
  ])('refuses %s with 400', async (_name, body) => {
    const s = await setup();
    const targets = 'repeat' in body ? [s.snmpDev, s.snmpDev] : [s.snmpDev];
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs`, { ...body, targets });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION');
  });

  it('answers viewers as it answers strangers and unknown routes: 404', async () => {
    const s = await setup();
    const stranger = await hub.user({});
    const body = { ...GET_SYSDESCR, targets: [s.snmpDev] };
    const res = await hub.call(s.viewer.token, 'POST', `${s.base}/jobs`, body);
    expect(res.statusCode).toBe(404);
    const unknownRoute = await hub.call(s.viewer.token, 'POST', `${s.base}/jobz`, body);
    expect(res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: unknownRoute.json().error.message.replace('/jobz', '/jobs') },
    });
    expect((await hub.call(stranger.token, 'POST', `${s.base}/jobs`, body)).statusCode).toBe(404);
    expect(await rowsOf(s, 'SELECT id FROM jobs', [])).toEqual([]);
  });
});

describe('GET /jobs', () => {
  async function listIds(s: Setup, query: string): Promise<string[]> {
    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items.map((j: Job) => j.id);
  }

  it('filters by status, kind, device, agent and time, newest first', async () => {
    const s = await setup();
    const j1 = await createJob(s, [s.snmpDev]);
    const j2 = await createJob(s, [s.loneDev], { kind: 'snmp.walk', params: { oid: '1.3.6.1.2.1.2' } });
    const j3 = await createJob(s, [s.trDev], { kind: 'tr181.reboot', params: {} });
    await rowsOf(
      s,
      `UPDATE jobs SET status = 'running', created_at = now() - interval '2 days' WHERE id = $1`,
      [j1],
    );
    expect(await listIds(s, '')).toEqual([j3, j2, j1]);
    expect(await listIds(s, 'status=running')).toEqual([j1]);
    expect(await listIds(s, 'status=queued')).toEqual([j3, j2]);
    expect(await listIds(s, 'kind=snmp.walk')).toEqual([j2]);
    expect(await listIds(s, `deviceId=${s.loneDev}`)).toEqual([j2]);
    expect(await listIds(s, `agentId=${s.agentId}`)).toEqual([j3, j1]);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    expect(await listIds(s, `since=${encodeURIComponent(since)}`)).toEqual([j3, j2]);
    const [item] = (await hub.call(s.viewer.token, 'GET', `${s.base}/jobs?kind=snmp.walk`)).json().items;
    expect(item).toMatchObject({
      id: j2,
      kind: 'snmp.walk',
      status: 'queued',
      progress: { done: 0, total: 1 },
    });
    expect(item.targets).toBeUndefined();
  });

  it('pages through every job exactly once', async () => {
    const s = await setup();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push(await createJob(s, [s.snmpDev]));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
      const res = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs?${q}`);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((j: Job) => j.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created.reverse());
  });

  it.each([
    ['cursor=not-a-cursor', 'BAD_CURSOR'],
    ['limit=500', 'VALIDATION'],
    ['status=done', 'VALIDATION'],
    ['deviceId=42', 'VALIDATION'],
  ])('answers %s with 400 %s', async (query, code) => {
    const s = await setup();
    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
  });
});

describe('GET /api/v1/jobs (every tenant of the caller)', () => {
  /** Two tenants with jobs made in turns (so that their times interleave), and a third one. */
  async function twoTenants() {
    const [a, b, other] = [await setup(), await setup(), await setup()];
    const user = await hub.user({ [a.tenantId]: 'viewer', [b.tenantId]: 'operator' });
    const made: { id: string; tenantId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      for (const s of [a, b]) made.push({ id: await createJob(s, [s.snmpDev]), tenantId: s.tenantId });
    }
    const walk = await createJob(b, [b.loneDev], { kind: 'snmp.walk', params: { oid: '1.3.6.1.2.1.2' } });
    made.push({ id: walk, tenantId: b.tenantId });
    const hidden = await createJob(other, [other.snmpDev]);
    return { a, b, user, newestFirst: made.reverse(), hidden };
  }

  async function list(token: string, query = '') {
    const res = await hub.call(token, 'GET', `/api/v1/jobs${query ? `?${query}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Job[]; nextCursor: string | null };
  }

  it('merges the tenants where the caller has a role, newest first, each job naming its tenant', async () => {
    const { a, b, user, newestFirst, hidden } = await twoTenants();
    const page = await list(user.token, 'limit=200');
    const mine = page.items.filter((j) => j.tenantId === a.tenantId || j.tenantId === b.tenantId);
    expect(mine.map((j) => ({ id: j.id, tenantId: j.tenantId }))).toEqual(newestFirst);
    // Only those two tenants: not the third one's job, nor any other test's.
    expect(page.items).toHaveLength(newestFirst.length);
    expect(page.items.map((j) => j.id)).not.toContain(hidden);
    expect(page.items[0]).toMatchObject({
      kind: 'snmp.walk',
      status: 'queued',
      progress: { done: 0, total: 1 },
    });
  });

  it('applies the filters of a tenant’s list in every tenant', async () => {
    const { a, b, user, newestFirst } = await twoTenants();
    await rowsOf(a, `UPDATE jobs SET status = 'running' WHERE id = $1`, [newestFirst.at(-1)!.id]);
    expect((await list(user.token, 'kind=snmp.walk')).items.map((j) => j.id)).toEqual([newestFirst[0]!.id]);
    expect((await list(user.token, 'status=running')).items.map((j) => j.id)).toEqual([
      newestFirst.at(-1)!.id,
    ]);
    const onA = (await list(user.token, `deviceId=${a.snmpDev}`)).items;
    expect(onA.map((j) => j.id)).toEqual(
      newestFirst.filter((j) => j.tenantId === a.tenantId).map((j) => j.id),
    );
    expect(
      (await list(user.token, `agentId=${b.agentId}`)).items.every((j) => j.tenantId === b.tenantId),
    ).toBe(true);
  });

  it('pages across tenants with one cursor, every job exactly once', async () => {
    const { user, newestFirst } = await twoTenants();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(user.token, cursor ? `limit=3&cursor=${cursor}` : 'limit=3');
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst.map((j) => j.id));
  });

  it('gives a user without any role an empty list, and refuses no login and a bad cursor', async () => {
    await twoTenants();
    const nobody = await hub.user({});
    expect(await list(nobody.token)).toEqual({ items: [], nextCursor: null });
    expect((await hub.call(null, 'GET', '/api/v1/jobs')).statusCode).toBe(401);
    const bad = await hub.call(nobody.token, 'GET', '/api/v1/jobs?cursor=not-a-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_CURSOR');
  });
});

describe('GET /jobs/:id', () => {
  it('gives progress and each target with its device name', async () => {
    const s = await setup();
    const id = await createJob(s, [s.loneDev, s.snmpDev]);
    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${id}`);
    expect(res.statusCode).toBe(200);
    const job = res.json();
    expect(job).toMatchObject({
      id,
      tenantId: s.tenantId,
      status: 'queued',
      progress: { done: 0, total: 2 },
    });
    expect(job.params).toEqual({ oids: ['1.3.6.1.2.1.1.1.0'], targetBudgetMs: 30_000 });
    expect(job.targets).toEqual([
      {
        deviceId: s.snmpDev,
        deviceName: 'a-switch',
        agentId: s.agentId,
        status: 'queued',
        startedAt: null,
        finishedAt: null,
        error: null,
      },
      {
        deviceId: s.loneDev,
        deviceName: 'b-router',
        agentId: null,
        status: 'queued',
        startedAt: null,
        finishedAt: null,
        error: null,
      },
    ]);
  });

  it('answers 404 for an unknown job and for another tenant’s', async () => {
    const s = await setup();
    const other = await setup();
    const theirs = await createJob(other, [other.snmpDev]);
    for (const id of [randomUUID(), theirs]) {
      expect((await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${id}`)).statusCode).toBe(404);
      expect((await hub.call(s.operator.token, 'POST', `${s.base}/jobs/${id}/cancel`)).statusCode).toBe(404);
    }
  });
});

describe('POST /jobs/:id/cancel', () => {
  it('cancels queued targets at once and refuses a finished job with 409', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev, s.loneDev]);
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs/${id}/cancel`);
    expect(res.statusCode).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({ status: 'cancelled', progress: { done: 2, total: 2 } });
    expect(job.cancelRequestedAt).toEqual(expect.any(String));
    expect(job.finishedAt).toEqual(expect.any(String));
    expect(job.startedAt).toBeNull();
    expect(
      job.targets.map((t: { status: string; error: { code: string } }) => [t.status, t.error.code]),
    ).toEqual([
      ['cancelled', 'cancelled'],
      ['cancelled', 'cancelled'],
    ]);
    const again = await hub.call(s.operator.token, 'POST', `${s.base}/jobs/${id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
    const audit = await rowsOf(
      s,
      `SELECT details FROM audit_log WHERE action = 'job.cancel' AND target_id = $1`,
      [id],
    );
    expect(audit).toEqual([{ details: { cancelledTargets: 2, activeTargets: 0 } }]);
  });

  it('leaves targets on an agent running and may be asked again', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev, s.loneDev]);
    await hub.db.withTenant(s.tenantId, async (q) => {
      await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'running');
      await recomputeJobStatus(q, s.tenantId, id);
    });
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/jobs/${id}/cancel`);
    expect(res.statusCode).toBe(202);
    const byDevice = Object.fromEntries(
      res.json().targets.map((t: { deviceId: string; status: string }) => [t.deviceId, t.status]),
    );
    expect(byDevice).toEqual({ [s.snmpDev]: 'running', [s.loneDev]: 'cancelled' });
    expect(res.json()).toMatchObject({ status: 'running', progress: { done: 1, total: 2 } });
    expect((await hub.call(s.operator.token, 'POST', `${s.base}/jobs/${id}/cancel`)).statusCode).toBe(202);
  });

  it('answers viewers 404', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev]);
    expect((await hub.call(s.viewer.token, 'POST', `${s.base}/jobs/${id}/cancel`)).statusCode).toBe(404);
    const [job] = await rowsOf(s, 'SELECT status, cancel_requested_at FROM jobs WHERE id = $1', [id]);
    expect(job).toEqual({ status: 'queued', cancel_requested_at: null });
  });
});

describe('job state in the database', () => {
  it('moves targets forward only and aggregates the job', async () => {
    const s = await setup();
    const id = await createJob(s, [s.snmpDev, s.loneDev]);
    const started = '2030-01-01T00:00:00.000Z';
    const results = await hub.db.withTenant(s.tenantId, async (q) => {
      const out = [
        await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'dispatched'),
        await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'running', {
          startedAt: started,
          progress: { done: 1 },
        }),
        await recomputeJobStatus(q, s.tenantId, id),
        await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'succeeded'),
        await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'running'),
        await applyTargetTransition(q, s.tenantId, id, s.snmpDev, 'succeeded'),
        await applyTargetTransition(q, s.tenantId, id, randomUUID(), 'running'),
        await applyTargetTransition(q, s.tenantId, id, s.loneDev, 'failed', {
          error: { code: 'timeout', message: 'no answer' },
        }),
        await recomputeJobStatus(q, s.tenantId, id),
        await recomputeJobStatus(q, s.tenantId, id),
      ];
      return out;
    });
    expect(results).toEqual([
      { kind: 'applied', from: 'queued', to: 'dispatched' },
      { kind: 'applied', from: 'dispatched', to: 'running' },
      { status: 'running', done: 0, total: 2, changed: true },
      { kind: 'applied', from: 'running', to: 'succeeded' },
      { kind: 'rejected', status: 'succeeded' },
      { kind: 'unchanged', status: 'succeeded' },
      { kind: 'missing' },
      { kind: 'applied', from: 'queued', to: 'failed' },
      { status: 'partial', done: 2, total: 2, changed: true },
      { status: 'partial', done: 2, total: 2, changed: false },
    ]);
    const [target] = await rowsOf<Record<string, unknown>>(
      s,
      'SELECT attempts, dispatched_at IS NOT NULL AS d, started_at, finished_at IS NOT NULL AS f, progress FROM job_targets WHERE device_id = $1',
      [s.snmpDev],
    );
    expect(target).toEqual({
      attempts: 1,
      d: true,
      started_at: new Date(started),
      f: true,
      progress: { done: 1 },
    });
    const [job] = await rowsOf<Record<string, unknown>>(
      s,
      'SELECT status, done_targets, started_at, finished_at IS NOT NULL AS f FROM jobs WHERE id = $1',
      [id],
    );
    expect(job).toEqual({ status: 'partial', done_targets: 2, started_at: new Date(started), f: true });
  });
});

describe('job service and its dispatcher', () => {
  function recorder(fail = false) {
    const calls: string[] = [];
    const dispatcher: JobDispatcher = {
      async dispatch(tenantId, jobId) {
        // Called after commit: the job must be visible from another transaction.
        const { rows } = await hub.db.withTenant(tenantId, (q) =>
          q.query('SELECT 1 FROM jobs WHERE id = $1', [jobId]),
        );
        calls.push(`dispatch ${rows.length}`);
        if (fail) throw new Error('broker down');
      },
      async cancel(_tenantId, jobId) {
        calls.push(`cancel ${jobId}`);
      },
    };
    return { calls, dispatcher };
  }
  const log = pino({ level: 'silent' });

  it('dispatches after commit and sends a cancel only while targets are on agents', async () => {
    const s = await setup();
    const { calls, dispatcher } = recorder();
    const service = createJobService({ db: hub.db, log, dispatcher });
    const actor = {
      tenantId: s.tenantId,
      userId: s.operator.id,
      audit: { actorUserId: s.operator.id, actorKind: 'user' as const },
    };
    const a = await service.create(actor, { kind: 'tr181.reboot', params: {}, targets: [s.trDev] });
    expect(a.status).toBe('queued');
    await service.cancel(actor, a.id);
    const b = await service.create(actor, { kind: 'tr181.reboot', params: {}, targets: [s.trDev] });
    await hub.db.withTenant(s.tenantId, (q) =>
      applyTargetTransition(q, s.tenantId, b.id, s.trDev, 'dispatched'),
    );
    await service.cancel(actor, b.id);
    expect(calls).toEqual(['dispatch 1', 'dispatch 1', `cancel ${b.id}`]);
  });

  it('keeps the job queued when dispatch fails', async () => {
    const s = await setup();
    const { dispatcher } = recorder(true);
    const service = createJobService({ db: hub.db, log, dispatcher });
    const actor = {
      tenantId: s.tenantId,
      userId: s.operator.id,
      audit: { actorUserId: s.operator.id, actorKind: 'user' as const },
    };
    const { id } = await service.create(actor, { kind: 'tr181.reboot', params: {}, targets: [s.trDev] });
    expect(await rowsOf(s, 'SELECT status FROM jobs WHERE id = $1', [id])).toEqual([{ status: 'queued' }]);
  });
});

describe('GET /jobs/:id/results', () => {
  type Part = [deviceId: string, index: number | null, count: number | null, oid: string];

  async function addResults(s: Setup, jobId: string, parts: Part[]): Promise<string[]> {
    const ids: string[] = [];
    await hub.db.withTenant(s.tenantId, async (q) => {
      for (const [deviceId, index, count, oid] of parts) {
        const id = uuidv7();
        ids.push(id);
        await q.query(
          `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                                    varbinds, part_index, part_count)
           VALUES ($1, $2, $3, $4, $5, 'succeeded', '2030-01-01T00:00:00Z', '2030-01-01T00:00:05Z', $6::jsonb, $7, $8)`,
          [
            s.tenantId,
            id,
            jobId,
            deviceId,
            s.agentId,
            JSON.stringify([{ oid, type: 'Integer', value: index ?? 0 }]),
            index,
            count,
          ],
        );
      }
    });
    return ids;
  }

  it('merges complete split results, leaves out incomplete ones, pages by device then id', async () => {
    const s = await setup();
    const jobId = await createJob(s, [s.snmpDev, s.loneDev, s.bareDev], {
      ...GET_SYSDESCR,
      params: { ...GET_SYSDESCR.params, credentialId: s.credentialId },
    });
    const [first, incomplete, second] = [s.snmpDev, s.loneDev, s.bareDev].sort() as [string, string, string];
    const ids = await addResults(s, jobId, [
      [first, null, null, '1.3.6.1.1'],
      [second, 2, 3, '1.3.6.1.4'],
      [second, 0, 3, '1.3.6.1.2'],
      [second, 1, 3, '1.3.6.1.3'],
      [incomplete, 0, 2, '1.3.6.1.9'],
    ]);

    const res = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${jobId}/results`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((r: { deviceId: string; id: string }) => [r.deviceId, r.id])).toEqual([
      [first, ids[0]],
      [second, ids[2]],
    ]);
    expect(items[1].varbinds.map((v: { oid: string }) => v.oid)).toEqual([
      '1.3.6.1.2',
      '1.3.6.1.3',
      '1.3.6.1.4',
    ]);
    expect(items[0]).toMatchObject({
      jobId,
      agentId: s.agentId,
      status: 'succeeded',
      tr181: null,
      error: null,
      startedAt: '2030-01-01T00:00:00.000Z',
    });

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await hub.call(
        s.viewer.token,
        'GET',
        `${s.base}/jobs/${jobId}/results?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...page.json().items.map((r: { id: string }) => r.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(paged).toEqual([ids[0], ids[2]]);

    const one = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${jobId}/results?deviceId=${second}`);
    expect(one.json().items.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
  });

  it('answers 404 for an unknown job and 400 for a bad cursor', async () => {
    const s = await setup();
    const jobId = await createJob(s, [s.snmpDev]);
    expect((await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${randomUUID()}/results`)).statusCode).toBe(
      404,
    );
    const bad = await hub.call(s.viewer.token, 'GET', `${s.base}/jobs/${jobId}/results?cursor=abc`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_CURSOR');
  });
});

describe('OpenAPI', () => {
  it('documents the job routes and how split results are returned', async () => {
    const doc = (await hub.call(null, 'GET', '/docs/json')).json() as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const base = '/api/v1/tenants/{tenantId}/jobs';
    expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
    for (const path of [`${base}/{id}`, `${base}/{id}/cancel`]) expect(doc.paths[path]).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/jobs'] ?? {})).toEqual(['get']);
    expect(doc.paths[`${base}/{id}/results`]?.get?.description).toMatch(
      /split into parts .* returned as one item, merged/,
    );
  });
});
