import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrollmentToken, EnrollmentTokenCreated, EnrollResponse } from '@drm/protocol';
import { ENROLL_FAILURE_LIMIT } from '../../src/modules/enrollment/enroll-routes.js';
import { agentMqttUrl, hostOf } from '../../src/modules/enrollment/mqtt-url.js';
import { hashToken } from '../../src/security/tokens.js';
import { gate } from '../helpers/gate.js';
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
  const tenantId = await hub.tenant(`Enroll tenant ${seq}`);
  const admin = await hub.user({ [tenantId]: 'admin' });
  const base = `/api/v1/tenants/${tenantId}`;
  const site = await hub.call(admin.token, 'POST', `${base}/sites`, { name: `Site ${seq}` });
  expect(site.statusCode).toBe(201);
  return { tenantId, admin, siteId: site.json().id, base };
}

async function makeToken(s: Setup, ttlMinutes = 60): Promise<EnrollmentTokenCreated> {
  const res = await hub.call(s.admin.token, 'POST', `${s.base}/enrollment-tokens`, {
    siteId: s.siteId,
    ttlMinutes,
  });
  expect(res.statusCode).toBe(201);
  return EnrollmentTokenCreated.parse(res.json());
}

function enroll(token: string, name = 'edge-1', remoteAddress?: string) {
  return hub.app.inject({
    method: 'POST',
    url: '/api/v1/agents/enroll',
    headers: { host: 'hub.example.net:8080' },
    payload: { token, name, version: '1.2.3' },
    ...(remoteAddress && { remoteAddress }),
  });
}

async function tokenRow(tenantId: string, id: string) {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ token_hash: Buffer; used_at: Date | null; revoked_at: Date | null; agent_id: string | null }>(
      'SELECT token_hash, used_at, revoked_at, agent_id FROM enrollment_tokens WHERE tenant_id = $1 AND id = $2',
      [tenantId, id],
    ),
  );
  return rows[0];
}

async function agentCount(tenantId: string): Promise<number> {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1', [tenantId]),
  );
  return rows[0]!.n;
}

async function auditOf(tenantId: string) {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<{
      action: string;
      actor_kind: string;
      actor_user_id: string | null;
      target_id: string;
      details: Record<string, unknown>;
    }>(
      'SELECT action, actor_kind, actor_user_id, target_id, details FROM audit_log WHERE tenant_id = $1 ORDER BY at, action',
      [tenantId],
    ),
  );
  return rows;
}

describe('enrollment flow', () => {
  it('creates a token, enrolls an agent once, and refuses the token afterwards', async () => {
    const s = await setup();
    const created = await makeToken(s, 30);
    expect(created.token).toMatch(/^drme_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      siteId: s.siteId,
      usedAt: null,
      revokedAt: null,
      state: 'active',
      agentId: null,
    });
    const ttl = Date.parse(created.expiresAt) - Date.parse(created.createdAt);
    expect(ttl).toBe(30 * 60_000);
    // Only the hash is stored.
    expect((await tokenRow(s.tenantId, created.id))!.token_hash.equals(hashToken(created.token))).toBe(true);

    const res = await enroll(created.token, 'edge-1');
    expect(res.statusCode).toBe(201);
    const body = EnrollResponse.parse(res.json());
    expect(body).toEqual({
      agentId: body.agentId,
      tenantId: s.tenantId,
      siteId: s.siteId,
      mqtt: {
        // The embedded broker's real port: the test hub runs it on a free one.
        url: `mqtt://hub.example.net:${hub.app.mqtt.port}`,
        username: `agent-${body.agentId}`,
        password: body.mqtt.password,
      },
    });
    expect(body.mqtt.password).toMatch(/^drmg_[A-Za-z0-9_-]{43}$/);

    const agents = await hub.call(s.admin.token, 'GET', `${s.base}/agents`);
    expect(agents.statusCode).toBe(200);
    expect(
      agents
        .json()
        .items.map((a: { id: string; name: string; state: string; version: string }) => [
          a.id,
          a.name,
          a.state,
          a.version,
        ]),
    ).toEqual([[body.agentId, 'edge-1', 'never', '1.2.3']]);

    const list = await hub.call(s.admin.token, 'GET', `${s.base}/enrollment-tokens`);
    expect(list.statusCode).toBe(200);
    const [listed] = list.json().items.map((t: unknown) => EnrollmentToken.parse(t));
    expect(listed).toMatchObject({ id: created.id, state: 'used', agentId: body.agentId });
    expect(listed!.usedAt).not.toBeNull();
    expect(JSON.stringify(list.json())).not.toContain(created.token);

    const again = await enroll(created.token, 'edge-2');
    expect(again.statusCode).toBe(401);
    expect(again.json()).toEqual({
      error: { code: 'ENROLLMENT_TOKEN_INVALID', message: 'Enrollment token has already been used' },
    });
    expect(await agentCount(s.tenantId)).toBe(1);
  });

  it('stores the agent with a scrypt hash, links the token, and records an event and audit entries', async () => {
    const s = await setup();
    const created = await makeToken(s);
    const body = EnrollResponse.parse((await enroll(created.token, 'edge-audit')).json());

    const { rows: agents } = await hub.db.asOwner((q) =>
      q.query<{ site_id: string; mqtt_username: string; secret_hash: string; state: string }>(
        'SELECT site_id, mqtt_username, secret_hash, state FROM agents WHERE tenant_id = $1 AND id = $2',
        [s.tenantId, body.agentId],
      ),
    );
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({
      site_id: s.siteId,
      mqtt_username: `agent-${body.agentId}`,
      state: 'never',
    });
    expect(agents[0]!.secret_hash).toMatch(/^scrypt\$/);
    expect(agents[0]!.secret_hash).not.toContain(body.mqtt.password);
    expect((await tokenRow(s.tenantId, created.id))!.agent_id).toBe(body.agentId);

    const { rows: events } = await hub.db.asOwner((q) =>
      q.query<{ kind: string; agent_id: string }>('SELECT kind, agent_id FROM events WHERE tenant_id = $1', [
        s.tenantId,
      ]),
    );
    expect(events).toEqual([{ kind: 'agent.enrolled', agent_id: body.agentId }]);

    const audit = await auditOf(s.tenantId);
    expect(audit.map((e) => [e.action, e.actor_kind, e.actor_user_id])).toEqual(
      expect.arrayContaining([
        ['site.create', 'user', s.admin.id],
        ['enrollment-token.create', 'user', s.admin.id],
        ['agent.enroll', 'agent', null],
      ]),
    );
    expect(audit.find((e) => e.action === 'agent.enroll')).toMatchObject({
      target_id: body.agentId,
      details: { name: 'edge-audit', version: '1.2.3', siteId: s.siteId, tokenId: created.id },
    });
    const everything = JSON.stringify(audit);
    expect(everything).not.toContain(created.token);
    expect(everything).not.toContain(body.mqtt.password);
  });

  it('lets exactly one of two concurrent enrollments with one token succeed', async () => {
    const s = await setup();
    const { token, id } = await makeToken(s);
    // Holding the token's row lock keeps both requests in flight until both have reached the
    // database (on PostgreSQL; PGlite serialises transactions, so there it only delays them).
    const locked = gate();
    const released = gate();
    const holder = hub.db.asOwner(async (q) => {
      await q.query('SELECT id FROM enrollment_tokens WHERE id = $1 FOR UPDATE', [id]);
      locked.open();
      await released.opened;
    });
    await locked.opened;
    const racing = Promise.all([enroll(token, 'racer-a'), enroll(token, 'racer-b')]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    released.open();
    await holder;
    const results = await racing;
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 401]);
    const loser = results.find((r) => r.statusCode === 401)!;
    expect(loser.json().error.message).toBe('Enrollment token has already been used');
    expect(await agentCount(s.tenantId)).toBe(1);
    const winner = results.find((r) => r.statusCode === 201)!;
    expect((await tokenRow(s.tenantId, id))!.agent_id).toBe(winner.json().agentId);
  });
});

describe('refused tokens', () => {
  it('refuses an unknown token', async () => {
    const res = await enroll('drme_this-token-was-never-issued');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: { code: 'ENROLLMENT_TOKEN_INVALID', message: 'Enrollment token is not valid' },
    });
  });

  it('refuses an expired token and creates no agent', async () => {
    const s = await setup();
    const { token, id } = await makeToken(s, 5);
    await hub.db.asOwner((q) =>
      q.query(`UPDATE enrollment_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]),
    );
    const res = await enroll(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toEqual({
      code: 'ENROLLMENT_TOKEN_INVALID',
      message: 'Enrollment token has expired',
    });
    expect(await agentCount(s.tenantId)).toBe(0);
    expect((await tokenRow(s.tenantId, id))!.used_at).toBeNull();
    const list = await hub.call(s.admin.token, 'GET', `${s.base}/enrollment-tokens?state=expired`);
    expect(list.json().items.map((t: { id: string; state: string }) => [t.id, t.state])).toEqual([
      [id, 'expired'],
    ]);
  });

  it('revokes an unused token, refuses it afterwards, and audits the revocation once', async () => {
    const s = await setup();
    const { token, id } = await makeToken(s);
    const del = await hub.call(s.admin.token, 'DELETE', `${s.base}/enrollment-tokens/${id}`);
    expect(del.statusCode).toBe(204);
    expect((await tokenRow(s.tenantId, id))!.revoked_at).toBeInstanceOf(Date);
    // Revoking again changes nothing.
    expect((await hub.call(s.admin.token, 'DELETE', `${s.base}/enrollment-tokens/${id}`)).statusCode).toBe(
      204,
    );
    expect((await auditOf(s.tenantId)).filter((e) => e.action === 'enrollment-token.revoke')).toHaveLength(1);

    const res = await enroll(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toEqual({
      code: 'ENROLLMENT_TOKEN_INVALID',
      message: 'Enrollment token has been revoked',
    });
    expect(await agentCount(s.tenantId)).toBe(0);
    const list = await hub.call(s.admin.token, 'GET', `${s.base}/enrollment-tokens`);
    expect(list.json().items[0]).toMatchObject({ id, state: 'revoked' });
  });

  it('answers 409 when revoking a used token and 404 for an unknown one', async () => {
    const s = await setup();
    const { token, id } = await makeToken(s);
    expect((await enroll(token)).statusCode).toBe(201);
    const used = await hub.call(s.admin.token, 'DELETE', `${s.base}/enrollment-tokens/${id}`);
    expect(used.statusCode).toBe(409);
    expect(used.json().error.code).toBe('CONFLICT');
    expect((await tokenRow(s.tenantId, id))!.revoked_at).toBeNull();
    const unknown = await hub.call(
      s.admin.token,
      'DELETE',
      `${s.base}/enrollment-tokens/${crypto.randomUUID()}`,
    );
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toEqual({ code: 'NOT_FOUND', message: 'Enrollment token not found' });
  });

  it('validates the enroll body before touching the token', async () => {
    const s = await setup();
    const { token, id } = await makeToken(s);
    const res = await hub.call(null, 'POST', '/api/v1/agents/enroll', { token, version: '1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION');
    expect((await tokenRow(s.tenantId, id))!.used_at).toBeNull();
  });

  it('limits failed attempts per client address, leaving other addresses alone', async () => {
    const s = await setup();
    const { token } = await makeToken(s);
    for (let i = 0; i < ENROLL_FAILURE_LIMIT; i++) {
      expect((await enroll(`drme_wrong-${i}`, 'x', '203.0.113.7')).statusCode).toBe(401);
    }
    const blocked = await enroll(token, 'x', '203.0.113.7');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await agentCount(s.tenantId)).toBe(0);
    expect((await enroll(token, 'x', '203.0.113.8')).statusCode).toBe(201);
  });
});

describe('tenancy and roles', () => {
  it('keeps a token of tenant A inside tenant A', async () => {
    const a = await setup();
    const b = await setup();
    const { token, id } = await makeToken(a);
    const res = await enroll(token);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ tenantId: a.tenantId, siteId: a.siteId });
    expect(await agentCount(a.tenantId)).toBe(1);
    expect(await agentCount(b.tenantId)).toBe(0);
    expect((await hub.call(b.admin.token, 'GET', `${b.base}/agents`)).json().items).toEqual([]);
    expect((await hub.call(b.admin.token, 'GET', `${b.base}/enrollment-tokens`)).json().items).toEqual([]);
    // B's admin can neither see nor revoke A's token through B's path.
    expect((await hub.call(b.admin.token, 'DELETE', `${b.base}/enrollment-tokens/${id}`)).statusCode).toBe(
      404,
    );
  });

  it("refuses a token for another tenant's site with 404 Site", async () => {
    const a = await setup();
    const b = await setup();
    const res = await hub.call(a.admin.token, 'POST', `${a.base}/enrollment-tokens`, {
      siteId: b.siteId,
      ttlMinutes: 60,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'NOT_FOUND', message: 'Site not found' });
  });

  it.each<Role>(['viewer', 'operator'])('forbids a %s to create, list or revoke tokens', async (role) => {
    const s = await setup();
    const { id } = await makeToken(s);
    const user = await hub.user({ [s.tenantId]: role });
    const calls = [
      await hub.call(user.token, 'POST', `${s.base}/enrollment-tokens`, { siteId: s.siteId, ttlMinutes: 60 }),
      await hub.call(user.token, 'GET', `${s.base}/enrollment-tokens`),
      await hub.call(user.token, 'DELETE', `${s.base}/enrollment-tokens/${id}`),
    ];
    expect(calls.map((r) => r.statusCode)).toEqual([404, 404, 404]);
    expect(calls[0]!.json().error.code).toBe('NOT_FOUND');
    expect((await tokenRow(s.tenantId, id))!.revoked_at).toBeNull();
  });

  it('answers 404 to a user of another tenant', async () => {
    const s = await setup();
    const other = await setup();
    const res = await hub.call(other.admin.token, 'POST', `${s.base}/enrollment-tokens`, {
      siteId: s.siteId,
      ttlMinutes: 60,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'NOT_FOUND', message: 'Tenant not found' });
  });

  it('rejects a ttl outside 5 minutes to 7 days', async () => {
    const s = await setup();
    for (const ttlMinutes of [4, 10_081]) {
      const res = await hub.call(s.admin.token, 'POST', `${s.base}/enrollment-tokens`, {
        siteId: s.siteId,
        ttlMinutes,
      });
      expect(res.statusCode).toBe(400);
    }
  });

  it('pages the token list and filters it by site', async () => {
    const s = await setup();
    const ids = [(await makeToken(s)).id, (await makeToken(s)).id, (await makeToken(s)).id];
    const first = await hub.call(s.admin.token, 'GET', `${s.base}/enrollment-tokens?limit=2`);
    const next = first.json().nextCursor as string;
    expect(next).toEqual(expect.any(String));
    const second = await hub.call(s.admin.token, 'GET', `${s.base}/enrollment-tokens?limit=2&cursor=${next}`);
    const seen = [...first.json().items, ...second.json().items].map((t: { id: string }) => t.id);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(second.json().nextCursor).toBeNull();
    const bySite = await hub.call(
      s.admin.token,
      'GET',
      `${s.base}/enrollment-tokens?siteId=${crypto.randomUUID()}`,
    );
    expect(bySite.json().items).toEqual([]);
  });
});

describe('MQTT URL handed to agents', () => {
  const base = { MQTT_PUBLIC_URL: undefined, MQTT_URL: undefined, MQTT_PORT: 1883 };
  it.each([
    [{}, 'hub.example.net:8080', 'mqtt://hub.example.net:1883'],
    [{}, '10.0.0.5', 'mqtt://10.0.0.5:1883'],
    [{}, '[fd00::1]:8080', 'mqtt://[fd00::1]:1883'],
    [{ MQTT_PORT: 8883 }, 'hub.local', 'mqtt://hub.local:8883'],
    [{}, undefined, null],
    [{}, 'bad host/x', null],
    [{ MQTT_PUBLIC_URL: 'mqtts://broker.example.com:8883' }, 'ignored', 'mqtts://broker.example.com:8883'],
    [{ MQTT_URL: 'tcp://hub:secret@broker.internal:1883' }, 'hub.local', 'mqtt://broker.internal:1883'],
    [{ MQTT_URL: 'ssl://broker.internal' }, 'hub.local', 'mqtts://broker.internal'],
    [
      { MQTT_URL: 'mqtt://a:1', MQTT_PUBLIC_URL: 'wss://b.example.com/mqtt' },
      'h',
      'wss://b.example.com/mqtt',
    ],
  ])('%j with Host %s → %s', (config, host, expected) => {
    expect(agentMqttUrl({ ...base, ...config }, host)).toBe(expected);
  });

  it('names the port the embedded broker is bound to, not MQTT_PORT=0', () => {
    expect(agentMqttUrl({ ...base, MQTT_PORT: 0 }, 'hub.local:8080', 43455)).toBe('mqtt://hub.local:43455');
    expect(agentMqttUrl({ ...base, MQTT_URL: 'mqtt://broker:1883' }, 'hub.local', 43455)).toBe(
      'mqtt://broker:1883',
    );
  });

  it.each([
    ['example.com', 'example.com'],
    ['example.com:80', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['', null],
    ['a b', null],
  ])('hostOf(%j) is %j', (header, expected) => {
    expect(hostOf(header)).toBe(expected);
  });
});
