import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, EnrollResponse } from '@drm/protocol';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { verifyAgentPassword } from '../../src/modules/agents/broker-auth.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { createTestHub, type Role, type TestHub, type TestUser } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

interface Setup {
  tenantId: string;
  admin: TestUser;
  siteId: string;
  base: string;
}

let seq = 0;
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Agents tenant ${seq}`);
  const admin = await hub.user({ [tenantId]: 'admin' });
  const base = `/api/v1/tenants/${tenantId}`;
  const siteId = await addSite(admin, base, `Site ${seq}`);
  return { tenantId, admin, siteId, base };
}

async function addSite(admin: TestUser, base: string, name: string): Promise<string> {
  const res = await hub.call(admin.token, 'POST', `${base}/sites`, { name });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

async function enrollAgent(s: Setup, name = 'edge', siteId = s.siteId): Promise<EnrollResponse> {
  const tok = await hub.call(s.admin.token, 'POST', `${s.base}/enrollment-tokens`, {
    siteId,
    ttlMinutes: 60,
  });
  expect(tok.statusCode).toBe(201);
  const res = await hub.call(null, 'POST', '/api/v1/agents/enroll', {
    token: tok.json().token,
    name,
    version: '0.9.1',
  });
  expect(res.statusCode).toBe(201);
  return EnrollResponse.parse(res.json());
}

async function auditActions(tenantId: string, targetId: string) {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ action: string; actor_kind: string; details: Record<string, unknown> }>(
      'SELECT action, actor_kind, details FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY at',
      [tenantId, targetId],
    ),
  );
  return rows;
}

describe('reading agents', () => {
  it('returns the Agent DTO of a fresh agent', async () => {
    const s = await setup();
    const e = await enrollAgent(s, 'edge-dto');
    const res = await hub.call(s.admin.token, 'GET', `${s.base}/agents/${e.agentId}`);
    expect(res.statusCode).toBe(200);
    const agent = Agent.parse(res.json());
    expect(agent).toEqual({
      id: e.agentId,
      tenantId: s.tenantId,
      siteId: s.siteId,
      name: 'edge-dto',
      version: '0.9.1',
      state: 'never',
      lastSeenAt: null,
      configRevision: 0,
      appliedConfigRevision: 0,
      outbox: null,
      createdAt: agent.createdAt,
      revokedAt: null,
      credentialRotationRequestedAt: null,
      credentialsRotatedAt: null,
    });
  });

  it('shows presence and outbox figures the broker side recorded', async () => {
    const s = await setup();
    const e = await enrollAgent(s, 'edge-busy');
    await hub.db.asOwner((q) =>
      q.query(
        `UPDATE agents SET state = 'online', last_seen_at = '2030-01-02T03:04:05Z', config_revision = 7, acked_config_revision = 6,
                outbox_count = 12, outbox_bytes = 3456, outbox_oldest_at = '2030-01-01T00:00:00Z', outbox_dropped = 2
          WHERE id = $1`,
        [e.agentId],
      ),
    );
    const viewer = await hub.user({ [s.tenantId]: 'viewer' });
    const res = await hub.call(viewer.token, 'GET', `${s.base}/agents/${e.agentId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      state: 'online',
      lastSeenAt: '2030-01-02T03:04:05.000Z',
      configRevision: 7,
      appliedConfigRevision: 6,
      outbox: { count: 12, bytes: 3456, oldestAt: '2030-01-01T00:00:00.000Z', dropped: 2 },
    });
    const online = await hub.call(viewer.token, 'GET', `${s.base}/agents?state=online`);
    expect(online.json().items.map((a: Agent) => a.id)).toEqual([e.agentId]);
  });

  it('filters by site and state and pages newest first', async () => {
    const s = await setup();
    const otherSite = await addSite(s.admin, s.base, 'Second site');
    const a1 = await enrollAgent(s, 'a1');
    const a2 = await enrollAgent(s, 'a2');
    const a3 = await enrollAgent(s, 'a3', otherSite);

    const first = await hub.call(s.admin.token, 'GET', `${s.base}/agents?limit=2`);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(2);
    const second = await hub.call(
      s.admin.token,
      'GET',
      `${s.base}/agents?limit=2&cursor=${first.json().nextCursor}`,
    );
    expect(second.json().nextCursor).toBeNull();
    const all = [...first.json().items, ...second.json().items].map((a: Agent) => a.id);
    expect(all.sort()).toEqual([a1.agentId, a2.agentId, a3.agentId].sort());

    const bySite = await hub.call(s.admin.token, 'GET', `${s.base}/agents?siteId=${otherSite}`);
    expect(bySite.json().items.map((a: Agent) => a.id)).toEqual([a3.agentId]);
    const never = await hub.call(s.admin.token, 'GET', `${s.base}/agents?state=never&siteId=${s.siteId}`);
    expect(
      never
        .json()
        .items.map((a: Agent) => a.id)
        .sort(),
    ).toEqual([a1.agentId, a2.agentId].sort());
    expect((await hub.call(s.admin.token, 'GET', `${s.base}/agents?state=bogus`)).statusCode).toBe(400);
  });

  it("hides another tenant's agents", async () => {
    const a = await setup();
    const b = await setup();
    const e = await enrollAgent(a);
    const viaB = await hub.call(b.admin.token, 'GET', `${b.base}/agents/${e.agentId}`);
    expect(viaB.statusCode).toBe(404);
    expect(viaB.json().error).toEqual({ code: 'NOT_FOUND', message: 'Agent not found' });
    const intoA = await hub.call(b.admin.token, 'GET', `${a.base}/agents`);
    expect(intoA.statusCode).toBe(404);
    expect(intoA.json().error).toEqual({ code: 'NOT_FOUND', message: 'Tenant not found' });
    const revoke = await hub.call(b.admin.token, 'POST', `${b.base}/agents/${e.agentId}/revoke`);
    expect(revoke.statusCode).toBe(404);
  });
});

describe('changing agents', () => {
  it('renames an agent and moves it to another site of the tenant, with audit', async () => {
    const s = await setup();
    const target = await addSite(s.admin, s.base, 'Moved here');
    const e = await enrollAgent(s, 'old-name');
    const res = await hub.call(s.admin.token, 'PATCH', `${s.base}/agents/${e.agentId}`, {
      name: 'new-name',
      siteId: target,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: e.agentId, name: 'new-name', siteId: target });
    const audit = await auditActions(s.tenantId, e.agentId);
    expect(audit.at(-1)).toEqual({
      action: 'agent.update',
      actor_kind: 'user',
      details: { name: 'new-name', siteId: target, fromSiteId: s.siteId },
    });
  });

  it("refuses to move an agent to another tenant's site", async () => {
    const a = await setup();
    const b = await setup();
    const e = await enrollAgent(a);
    const res = await hub.call(a.admin.token, 'PATCH', `${a.base}/agents/${e.agentId}`, { siteId: b.siteId });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'NOT_FOUND', message: 'Site not found' });
    const after = await hub.call(a.admin.token, 'GET', `${a.base}/agents/${e.agentId}`);
    expect(after.json().siteId).toBe(a.siteId);
  });

  it.each([
    [{}, 400],
    [{ name: '' }, 400],
    [{ siteId: 'not-a-uuid' }, 400],
  ])('rejects the update %j with %i', async (body, status) => {
    const s = await setup();
    const e = await enrollAgent(s);
    expect((await hub.call(s.admin.token, 'PATCH', `${s.base}/agents/${e.agentId}`, body)).statusCode).toBe(
      status,
    );
  });

  it('answers 404 for an unknown agent', async () => {
    const s = await setup();
    const res = await hub.call(s.admin.token, 'PATCH', `${s.base}/agents/${randomUUID()}`, { name: 'x' });
    expect(res.statusCode).toBe(404);
    expect(
      (await hub.call(s.admin.token, 'POST', `${s.base}/agents/${randomUUID()}/revoke`)).statusCode,
    ).toBe(404);
  });

  it.each<Role>(['viewer', 'operator'])('forbids a %s to rename or revoke', async (role) => {
    const s = await setup();
    const e = await enrollAgent(s, 'kept');
    const user = await hub.user({ [s.tenantId]: role });
    const patch = await hub.call(user.token, 'PATCH', `${s.base}/agents/${e.agentId}`, { name: 'changed' });
    const revoke = await hub.call(user.token, 'POST', `${s.base}/agents/${e.agentId}/revoke`);
    expect([patch.statusCode, revoke.statusCode]).toEqual([404, 404]);
    expect((await hub.call(user.token, 'GET', `${s.base}/agents/${e.agentId}`)).json()).toMatchObject({
      name: 'kept',
      revokedAt: null,
    });
  });
});

describe('revocation', () => {
  it('revokes once, then answers 409, and records an event and an audit entry', async () => {
    const s = await setup();
    const e = await enrollAgent(s, 'to-revoke');
    const res = await hub.call(s.admin.token, 'POST', `${s.base}/agents/${e.agentId}/revoke`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: e.agentId, state: 'revoked', revokedAt: expect.any(String) });

    const again = await hub.call(s.admin.token, 'POST', `${s.base}/agents/${e.agentId}/revoke`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({ code: 'CONFLICT', message: 'This agent is already revoked' });

    expect((await auditActions(s.tenantId, e.agentId)).map((a) => [a.action, a.actor_kind])).toEqual([
      ['agent.enroll', 'agent'],
      ['agent.revoke', 'user'],
    ]);
    const { rows } = await hub.db.asOwner((q) =>
      q.query<{ kind: string }>(
        'SELECT kind FROM events WHERE tenant_id = $1 AND agent_id = $2 ORDER BY received_at',
        [s.tenantId, e.agentId],
      ),
    );
    expect(rows.map((r) => r.kind)).toEqual(['agent.enrolled', 'agent.revoked']);
    const listed = await hub.call(s.admin.token, 'GET', `${s.base}/agents?state=revoked`);
    expect(listed.json().items.map((a: Agent) => a.id)).toEqual([e.agentId]);
  });

  it('calls the agentRevoked hook after commit, and survives a failing one', async () => {
    const s = await setup();
    const e1 = await enrollAgent(s, 'hooked-1');
    const e2 = await enrollAgent(s, 'hooked-2');
    const calls: [string, string][] = [];
    const app = await appWithHook((tenantId, agentId) => {
      calls.push([tenantId, agentId]);
      if (agentId === e2.agentId) throw new Error('broker unreachable');
    });
    try {
      for (const e of [e1, e2]) {
        const res = await app.inject({
          method: 'POST',
          url: `${s.base}/agents/${e.agentId}/revoke`,
          headers: { authorization: `Bearer ${s.admin.token}` },
        });
        expect(res.statusCode).toBe(200);
      }
      const conflict = await app.inject({
        method: 'POST',
        url: `${s.base}/agents/${e1.agentId}/revoke`,
        headers: { authorization: `Bearer ${s.admin.token}` },
      });
      expect(conflict.statusCode).toBe(409);
    } finally {
      await app.close();
    }
    expect(calls).toEqual([
      [s.tenantId, e1.agentId],
      [s.tenantId, e2.agentId],
    ]);
  });
});

// A second app on the same database whose revocation hook the test observes.
async function appWithHook(hook: (tenantId: string, agentId: string) => void): Promise<FastifyInstance> {
  const app = await buildApp({
    config: loadConfig({
      LOG_LEVEL: 'silent',
      DATA_DIR: '/nonexistent-test-data',
      MQTT_PORT: '0',
      HOST: '127.0.0.1',
    }),
    db: hub.db,
    logger: pino({ level: 'silent' }),
    secrets: new SecretBox(randomBytes(32), 'test'),
  });
  // The broker plugin installed its own hook; this test watches the route's call instead.
  app.agentRevoked = hook;
  await app.ready();
  return app;
}

describe('verifyAgentPassword', () => {
  it('accepts the issued credentials, refuses wrong ones, and reports revocation', async () => {
    const s = await setup();
    const e = await enrollAgent(s);
    const { username, password } = e.mqtt;
    expect(await verifyAgentPassword(hub.db, username, password)).toEqual({
      tenantId: s.tenantId,
      agentId: e.agentId,
      revoked: false,
    });
    expect(await verifyAgentPassword(hub.db, username, Buffer.from(password))).toMatchObject({
      agentId: e.agentId,
    });
    expect(await verifyAgentPassword(hub.db, username, `${password}x`)).toBeNull();
    expect(await verifyAgentPassword(hub.db, username, '')).toBeNull();
    expect(await verifyAgentPassword(hub.db, `agent-${randomUUID()}`, password)).toBeNull();
    expect(await verifyAgentPassword(hub.db, '', password)).toBeNull();

    expect((await hub.call(s.admin.token, 'POST', `${s.base}/agents/${e.agentId}/revoke`)).statusCode).toBe(
      200,
    );
    expect(await verifyAgentPassword(hub.db, username, password)).toEqual({
      tenantId: s.tenantId,
      agentId: e.agentId,
      revoked: true,
    });
    expect(await verifyAgentPassword(hub.db, username, 'wrong')).toBeNull();
  });

  it('does not tell another agent apart by password', async () => {
    const s = await setup();
    const one = await enrollAgent(s, 'one');
    const two = await enrollAgent(s, 'two');
    expect(await verifyAgentPassword(hub.db, one.mqtt.username, two.mqtt.password)).toBeNull();
  });
});
