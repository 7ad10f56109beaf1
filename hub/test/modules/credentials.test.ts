import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credential } from '@drm/protocol';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CredentialUnreadableError, loadCredentialSecret } from '../../src/modules/credentials/secret.js';
import { SecretBox } from '../../src/security/secret-box.js';
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
}

let seq = 0;
async function setup(): Promise<Setup> {
  seq += 1;
  const tenantId = await hub.tenant(`Credentials tenant ${seq}`);
  const operator = await hub.user({ [tenantId]: 'operator' });
  const viewer = await hub.user({ [tenantId]: 'viewer' });
  return { tenantId, operator, viewer, base: `/api/v1/tenants/${tenantId}` };
}

/** Secrets unlikely to appear anywhere by chance. */
function secret(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

async function create(s: Setup, body: Record<string, unknown>): Promise<Credential> {
  const res = await hub.call(s.operator.token, 'POST', `${s.base}/credentials`, body);
  expect(res.statusCode, res.body).toBe(201);
  return Credential.parse(res.json());
}

async function storedRow(tenantId: string, id: string) {
  const { rows } = await hub.db.asOwner((q) =>
    q.query<Record<string, unknown> & { secret: Buffer; key_id: string }>(
      'SELECT * FROM credentials WHERE tenant_id = $1 AND id = $2',
      [tenantId, id],
    ),
  );
  return rows[0];
}

function load(tenantId: string, id: string, secrets = hub.app.secrets) {
  return hub.db.withTenant(tenantId, (q) => loadCredentialSecret(q, secrets, tenantId, id));
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

describe('creating credentials', () => {
  const community = secret('comm');
  const authKey = secret('auth');
  const privKey = secret('priv');
  const password = secret('pass');
  it.each([
    [
      'an SNMP community',
      { kind: 'snmp-community', name: 'core-ro', version: '1', community },
      { version: '1' },
      { kind: 'snmp-community', version: '1', community },
      [community],
    ],
    [
      'an SNMPv3 authPriv user',
      {
        kind: 'snmp-v3',
        name: 'v3-ops',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha256',
        authKey,
        privProtocol: 'aes',
        privKey,
      },
      {
        version: '3',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha256',
        privProtocol: 'aes',
      },
      {
        kind: 'snmp-v3',
        username: 'ops',
        securityLevel: 'authPriv',
        authProtocol: 'sha256',
        authKey,
        privProtocol: 'aes',
        privKey,
      },
      [authKey, privKey],
    ],
    [
      'an SNMPv3 noAuthNoPriv user',
      { kind: 'snmp-v3', name: 'v3-public', username: 'guest', securityLevel: 'noAuthNoPriv' },
      { version: '3', username: 'guest', securityLevel: 'noAuthNoPriv' },
      { kind: 'snmp-v3', username: 'guest', securityLevel: 'noAuthNoPriv' },
      [],
    ],
    [
      'a CWMP login',
      { kind: 'cwmp', name: 'acs', username: 'cpe-admin', password },
      { username: 'cpe-admin' },
      { kind: 'cwmp', username: 'cpe-admin', password },
      [password],
    ],
  ])(
    'stores %s sealed and returns only its descriptors',
    async (_what, body, descriptors, material, secrets) => {
      const s = await setup();
      const res = await hub.call(s.operator.token, 'POST', `${s.base}/credentials`, body);
      expect(res.statusCode).toBe(201);
      const json = res.json();
      expect(json).toEqual({
        id: json.id,
        name: body.name,
        kind: body.kind,
        ...descriptors,
        createdAt: json.createdAt,
        updatedAt: json.updatedAt,
      });
      for (const value of secrets) expect(res.body).not.toContain(value);

      const row = await storedRow(s.tenantId, json.id);
      expect(row).toBeDefined();
      expect(row!.key_id).toBe(hub.app.secrets.keyId);
      const rowBytes = Buffer.concat(
        Object.values(row!).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v) ?? ''))),
      );
      for (const value of secrets) {
        expect(rowBytes.includes(Buffer.from(value))).toBe(false);
        expect(rowBytes.includes(Buffer.from(value).toString('base64'))).toBe(false);
      }

      expect(await load(s.tenantId, json.id)).toEqual({ id: json.id, name: body.name, ...material });
      const audit = await auditOf(s.tenantId, json.id);
      expect(audit).toEqual([{ action: 'credential.create', details: { name: body.name, kind: body.kind } }]);
    },
  );

  it('binds the ciphertext to the exact associated data the demo seed and dispatcher use', async () => {
    const s = await setup();
    const community = secret('aad');
    const c = await create(s, { kind: 'snmp-community', name: 'aad', community });
    const row = await storedRow(s.tenantId, c.id);
    expect(JSON.parse(hub.app.secrets.open(row!.secret, `${s.tenantId}:${c.id}`))).toEqual({ community });
  });

  it('refuses a viewer (404) and stores nothing', async () => {
    const s = await setup();
    const res = await hub.call(s.viewer.token, 'POST', `${s.base}/credentials`, {
      kind: 'snmp-community',
      name: 'nope',
      community: 'public',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    const { rows } = await hub.db.asOwner((q) =>
      q.query('SELECT 1 FROM credentials WHERE tenant_id = $1', [s.tenantId]),
    );
    expect(rows).toHaveLength(0);
  });

  it.each([
    [
      'authPriv without privKey',
      {
        kind: 'snmp-v3',
        name: 'x',
        username: 'u',
        securityLevel: 'authPriv',
        authProtocol: 'sha',
        authKey: 'k'.repeat(8),
        privProtocol: 'aes',
      },
      '/privKey',
      'privKey is required for authPriv',
    ],
    [
      'a USM key under 8 characters',
      {
        kind: 'snmp-v3',
        name: 'x',
        username: 'u',
        securityLevel: 'authNoPriv',
        authProtocol: 'sha',
        authKey: 'short',
      },
      '/authKey',
      '',
    ],
    ['a community left out', { kind: 'snmp-community', name: 'x' }, '/community', ''],
    ['an unknown kind', { kind: 'telnet', name: 'x' }, '/kind', ''],
  ])('answers 400 naming the field for %s', async (_what, body, path, message) => {
    const s = await setup();
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/credentials`, body);
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain(path);
    expect(error.message).toContain(message);
    expect(error.details).toContainEqual(expect.objectContaining({ path }));
  });

  it('answers 409 naming a duplicate name, case-insensitively', async () => {
    const s = await setup();
    await create(s, { kind: 'snmp-community', name: 'Edge', community: 'a' });
    const res = await hub.call(s.operator.token, 'POST', `${s.base}/credentials`, {
      kind: 'cwmp',
      name: 'edge',
      username: 'u',
      password: 'p',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'CONFLICT',
      message: 'A credential named "edge" already exists in this tenant',
    });
  });
});

describe('reading credentials', () => {
  it('lists and reads descriptors only, paging without gaps, filtering by kind', async () => {
    const s = await setup();
    const secrets = [secret('a'), secret('b'), secret('c')];
    const made = [
      await create(s, { kind: 'snmp-community', name: 'one', community: secrets[0] }),
      await create(s, { kind: 'cwmp', name: 'two', username: 'u', password: secrets[1] }),
      await create(s, {
        kind: 'snmp-v3',
        name: 'three',
        username: 'u',
        securityLevel: 'authNoPriv',
        authProtocol: 'md5',
        authKey: secrets[2],
      }),
    ];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `${s.base}/credentials?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await hub.call(s.viewer.token, 'GET', url);
      expect(res.statusCode).toBe(200);
      for (const value of secrets) expect(res.body).not.toContain(value);
      const page = res.json() as { items: Credential[]; nextCursor: string | null };
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made.map((c) => c.id).reverse());

    const cwmp = await hub.call(s.viewer.token, 'GET', `${s.base}/credentials?kind=cwmp`);
    expect(cwmp.json().items.map((c: Credential) => c.id)).toEqual([made[1]!.id]);

    for (const c of made) {
      const one = await hub.call(s.viewer.token, 'GET', `${s.base}/credentials/${c.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual(c);
      for (const value of secrets) expect(one.body).not.toContain(value);
    }
  });

  it('answers 404 for a credential of another tenant', async () => {
    const mine = await setup();
    const theirs = await setup();
    const c = await create(theirs, { kind: 'snmp-community', name: 'theirs', community: 'x' });
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { kind: 'snmp-community', name: 'stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await hub.call(mine.operator.token, method, `${mine.base}/credentials/${c.id}`, body);
      expect(res.statusCode, method).toBe(404);
    }
    expect((await load(theirs.tenantId, c.id))?.name).toBe('theirs');
    expect(await load(mine.tenantId, c.id)).toBeNull();
  });
});

describe('changing credentials', () => {
  it('renames without touching the secret, and rotates a secret whole', async () => {
    const s = await setup();
    const first = secret('first');
    const c = await create(s, { kind: 'snmp-community', name: 'rot', community: first });
    const renamed = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-community',
      name: 'rotated',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: c.id, name: 'rotated', version: '2c' });
    expect(await load(s.tenantId, c.id)).toMatchObject({ name: 'rotated', community: first });

    const before = (await storedRow(s.tenantId, c.id))!.secret;
    const second = secret('second');
    const rotated = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-community',
      community: second,
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.body).not.toContain(second);
    const after = (await storedRow(s.tenantId, c.id))!.secret;
    expect(after.equals(before)).toBe(false);
    expect(after.includes(Buffer.from(second))).toBe(false);
    expect(await load(s.tenantId, c.id)).toEqual({
      id: c.id,
      name: 'rotated',
      kind: 'snmp-community',
      version: '2c',
      community: second,
    });

    const audit = await auditOf(s.tenantId, c.id);
    expect(audit.map((a) => a.action)).toEqual([
      'credential.create',
      'credential.update',
      'credential.update',
    ]);
    expect(audit[2]!.details).toEqual({ name: 'rotated', changed: [], rotated: ['community'] });
    expect(JSON.stringify(audit)).not.toContain(first);
    expect(JSON.stringify(audit)).not.toContain(second);
  });

  it('keeps SNMPv3 keys left out, and drops the keys a lower security level no longer uses', async () => {
    const s = await setup();
    const authKey = secret('auth');
    const privKey = secret('priv');
    const c = await create(s, {
      kind: 'snmp-v3',
      name: 'v3',
      username: 'ops',
      securityLevel: 'authPriv',
      authProtocol: 'sha',
      authKey,
      privProtocol: 'aes',
      privKey,
    });
    const newPriv = secret('priv2');
    let res = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-v3',
      privKey: newPriv,
    });
    expect(res.statusCode).toBe(200);
    expect(await load(s.tenantId, c.id)).toMatchObject({ authKey, privKey: newPriv, privProtocol: 'aes' });

    res = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-v3',
      securityLevel: 'authNoPriv',
      authProtocol: 'sha512',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...c,
      securityLevel: 'authNoPriv',
      authProtocol: 'sha512',
      privProtocol: undefined,
      updatedAt: res.json().updatedAt,
    });
    expect(res.json()).not.toHaveProperty('privProtocol');
    expect(await load(s.tenantId, c.id)).toEqual({
      id: c.id,
      name: 'v3',
      kind: 'snmp-v3',
      username: 'ops',
      securityLevel: 'authNoPriv',
      authProtocol: 'sha512',
      authKey,
    });

    // Back up to authPriv: the old privKey is gone, so one must be given.
    res = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-v3',
      securityLevel: 'authPriv',
      authProtocol: 'sha',
      privProtocol: 'aes',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION', details: [{ path: '/privKey' }] });
    expect(res.json().error.message).toContain('privKey is required for authPriv');
  });

  it('refuses to change the kind (400) and a viewer (404)', async () => {
    const s = await setup();
    const c = await create(s, { kind: 'cwmp', name: 'k', username: 'u', password: 'p' });
    const kind = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'snmp-community',
      community: 'x',
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.message).toBe(
      "Invalid body: /kind must stay cwmp: a credential's kind cannot change",
    );
    const viewer = await hub.call(s.viewer.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'cwmp',
      name: 'v',
    });
    expect(viewer.statusCode).toBe(404);
    expect((await load(s.tenantId, c.id))?.name).toBe('k');
  });

  it('lets a credential whose secret no longer opens be repaired by giving the secret again', async () => {
    const s = await setup();
    const c = await create(s, { kind: 'cwmp', name: 'lost', username: 'u', password: 'old' });
    const other = new SecretBox(randomBytes(32), 'other');
    await hub.db.asOwner((q) =>
      q.query('UPDATE credentials SET secret = $3, key_id = $4 WHERE tenant_id = $1 AND id = $2', [
        s.tenantId,
        c.id,
        other.seal(JSON.stringify({ password: 'old' }), `${s.tenantId}:${c.id}`),
        other.keyId,
      ]),
    );
    await expect(load(s.tenantId, c.id)).rejects.toThrow(/sealed with key other/);
    const rename = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'cwmp',
      name: 'x',
    });
    expect(rename.statusCode).toBe(400);
    expect(rename.json().error.details).toEqual([
      {
        path: '/password',
        message: "password is required: the stored one cannot be decrypted with this hub's key",
      },
    ]);
    const repair = await hub.call(s.operator.token, 'PATCH', `${s.base}/credentials/${c.id}`, {
      kind: 'cwmp',
      password: 'new',
    });
    expect(repair.statusCode).toBe(200);
    expect(await load(s.tenantId, c.id)).toMatchObject({ password: 'new' });
  });
});

describe('sealed secrets', () => {
  it('do not decrypt when copied into another credential or another tenant', async () => {
    const s = await setup();
    const other = await setup();
    const a = await create(s, { kind: 'snmp-community', name: 'a', community: 'alpha' });
    const b = await create(s, { kind: 'snmp-community', name: 'b', community: 'bravo' });
    const c = await create(other, { kind: 'snmp-community', name: 'c', community: 'charlie' });
    const sealed = (await storedRow(s.tenantId, a.id))!.secret;
    await hub.db.asOwner(async (q) => {
      await q.query('UPDATE credentials SET secret = $1 WHERE tenant_id = $2 AND id = $3', [
        sealed,
        s.tenantId,
        b.id,
      ]);
      await q.query('UPDATE credentials SET secret = $1 WHERE tenant_id = $2 AND id = $3', [
        sealed,
        other.tenantId,
        c.id,
      ]);
    });
    expect(await load(s.tenantId, a.id)).toMatchObject({ community: 'alpha' });
    await expect(load(s.tenantId, b.id)).rejects.toBeInstanceOf(CredentialUnreadableError);
    await expect(load(other.tenantId, c.id)).rejects.toThrow(
      `credential ${c.id} cannot be decrypted: authentication failed`,
    );
  });

  it('do not decrypt with another hub key', async () => {
    const s = await setup();
    const a = await create(s, { kind: 'snmp-community', name: 'a', community: 'alpha' });
    await expect(
      load(s.tenantId, a.id, new SecretBox(randomBytes(32), hub.app.secrets.keyId)),
    ).rejects.toBeInstanceOf(CredentialUnreadableError);
  });

  it('never reach the log, even at trace level and on errors', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildApp({
      config: loadConfig({
        LOG_LEVEL: 'trace',
        DATA_DIR: '/nonexistent-test-data',
        MQTT_PORT: '0',
        HOST: '127.0.0.1',
      }),
      db: hub.db,
      logger: pino({ level: 'trace' }, sink),
      secrets: hub.app.secrets,
    });
    try {
      await app.ready();
      const s = await setup();
      const value = secret('logged');
      const call = (method: 'POST' | 'PATCH', url: string, payload: object) =>
        app.inject({ method, url, payload, headers: { authorization: `Bearer ${s.operator.token}` } });
      const created = await call('POST', `${s.base}/credentials`, {
        kind: 'snmp-community',
        name: 'l',
        community: value,
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id;
      expect(
        (await call('POST', `${s.base}/credentials`, { kind: 'snmp-community', name: 'l', community: value }))
          .statusCode,
      ).toBe(409);
      expect(
        (
          await call('PATCH', `${s.base}/credentials/${id}`, {
            kind: 'snmp-community',
            community: value,
            extra: value,
          })
        ).statusCode,
      ).toBe(200);
      expect(
        (
          await call('POST', `${s.base}/credentials`, {
            kind: 'snmp-v3',
            name: 'm',
            username: 'u',
            securityLevel: 'noAuthNoPriv',
            authKey: value,
          })
        ).statusCode,
      ).toBe(400);
      const viewer = await app.inject({
        method: 'POST',
        url: `${s.base}/credentials`,
        payload: { kind: 'snmp-community', name: 'v', community: value },
        headers: { authorization: `Bearer ${s.viewer.token}` },
      });
      expect(viewer.statusCode).toBe(404);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('')).not.toContain(value);
    } finally {
      await app.close();
    }
  });
});

describe('deleting credentials', () => {
  async function deviceUsing(
    tenantId: string,
    profile: 'snmp' | 'tr181',
    credentialId: string,
  ): Promise<string> {
    return hub.db.withTenant(tenantId, async (q) => {
      const site = await q.query<{ id: string }>(
        `INSERT INTO sites (tenant_id, name) VALUES ($1, $2) RETURNING id`,
        [tenantId, `site-${randomUUID()}`],
      );
      const json = profile === 'snmp' ? { version: '2c', port: 161, credentialId } : { credentialId };
      const dev = await q.query<{ id: string }>(
        `INSERT INTO devices (tenant_id, site_id, name, address, ${profile}) VALUES ($1, $2, $3, '192.0.2.1', $4) RETURNING id`,
        [tenantId, site.rows[0]!.id, `dev-${profile}`, JSON.stringify(json)],
      );
      return dev.rows[0]!.id;
    });
  }

  it.each(['snmp', 'tr181'] as const)(
    'answers 409 while a device %s profile refers to it, then deletes',
    async (profile) => {
      const s = await setup();
      const body =
        profile === 'snmp'
          ? { kind: 'snmp-community', name: 'used', community: 'c' }
          : { kind: 'cwmp', name: 'used', username: 'u', password: 'p' };
      const c = await create(s, body);
      const deviceId = await deviceUsing(s.tenantId, profile, c.id.toUpperCase());
      const res = await hub.call(s.operator.token, 'DELETE', `${s.base}/credentials/${c.id}`);
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toEqual({
        code: 'CONFLICT',
        message: `Credential "used" is still used by device(s) "dev-${profile}"; point them at another credential first`,
        details: { deviceIds: [deviceId], scheduleIds: [] },
      });
      expect(await load(s.tenantId, c.id)).not.toBeNull();

      await hub.db.withTenant(s.tenantId, (q) => q.query('DELETE FROM devices WHERE id = $1', [deviceId]));
      const ok = await hub.call(s.operator.token, 'DELETE', `${s.base}/credentials/${c.id}`);
      expect(ok.statusCode).toBe(204);
      expect(await load(s.tenantId, c.id)).toBeNull();
      expect((await auditOf(s.tenantId, c.id)).map((a) => a.action)).toEqual([
        'credential.create',
        'credential.delete',
      ]);
    },
  );

  it('answers 409 while a schedule overrides its credential with it', async () => {
    const s = await setup();
    const c = await create(s, { kind: 'snmp-community', name: 'sched', community: 'c' });
    const scheduleId = await hub.db.withTenant(s.tenantId, async (q) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO schedules (tenant_id, name, kind, params, interval_seconds)
         VALUES ($1, 'poll', 'snmp.get', $2, 60) RETURNING id`,
        [s.tenantId, JSON.stringify({ oids: ['1.3.6.1.2.1.1.3.0'], credentialId: c.id })],
      );
      return rows[0]!.id;
    });
    const res = await hub.call(s.operator.token, 'DELETE', `${s.base}/credentials/${c.id}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual({ deviceIds: [], scheduleIds: [scheduleId] });
  });

  it('answers 404 to a viewer, as for an unknown id', async () => {
    const s = await setup();
    const c = await create(s, { kind: 'snmp-community', name: 'keep', community: 'c' });
    expect((await hub.call(s.viewer.token, 'DELETE', `${s.base}/credentials/${c.id}`)).statusCode).toBe(404);
    expect(
      (await hub.call(s.operator.token, 'DELETE', `${s.base}/credentials/${randomUUID()}`)).statusCode,
    ).toBe(404);
    expect(await load(s.tenantId, c.id)).not.toBeNull();
  });
});
