import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.js';
import { loadCredentialSecret } from '../../src/modules/credentials/secret.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { DEMO_EMAIL, DEMO_IDS, DEMO_PASSWORD_FILE, ensureDemo, seedDemo } from '../../src/seed/demo.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';
import { createTestDb, testLog as log } from '../helpers/test-db.js';

const TABLES = [
  'tenants',
  'users',
  'memberships',
  'sites',
  'credentials',
  'devices',
  'jobs',
  'job_targets',
  'job_results',
  'audit_log',
] as const;

async function counts(db: Db): Promise<Record<(typeof TABLES)[number], number>> {
  return db.asOwner(async (q) => {
    const out = {} as Record<(typeof TABLES)[number], number>;
    for (const table of TABLES) {
      const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      out[table] = rows[0]!.n;
    }
    return out;
  });
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drm-demo-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('demo seed on a fresh hub', () => {
  let hub: TestHub;
  let dataDir: string;
  let password: string;

  beforeAll(async () => {
    hub = await createTestHub();
    dataDir = await tempDir();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('seeds an empty database, keeps the generated password in DATA_DIR (0600) and reports it again', async () => {
    const first = await ensureDemo(hub.db, hub.app.secrets, { dataDir, log });
    expect(first?.email).toBe(DEMO_EMAIL);
    expect(first?.password).toEqual(expect.stringMatching(/^\S{20,}$/));
    password = first!.password!;

    const file = join(dataDir, DEMO_PASSWORD_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(password);

    const before = await counts(hub.db);
    expect(before).toMatchObject({
      tenants: 2,
      users: 1,
      memberships: 2,
      sites: 1,
      credentials: 1,
      devices: 1,
      jobs: 1,
      job_targets: 1,
      job_results: 1,
    });
    expect(before.audit_log).toBeGreaterThanOrEqual(6);

    // Idempotent: a second start reports, and the explicit seed adds nothing.
    expect(await ensureDemo(hub.db, hub.app.secrets, { dataDir, log })).toEqual(first);
    const again = await seedDemo(hub.db, hub.app.secrets, { dataDir, log });
    expect(again).toMatchObject({ createdAdmin: false, password, deviceId: DEMO_IDS.device });
    expect(await counts(hub.db)).toEqual(before);
  });

  it('stores the community encrypted, bound to its tenant and id', async () => {
    const tenantId = DEMO_IDS.customer;
    const credentialId = DEMO_IDS.credential;
    const row = await hub.db.asOwner(async (q) => {
      const { rows } = await q.query<{ secret: Uint8Array; keyId: string; kind: string; version: string }>(
        'SELECT secret, key_id AS "keyId", kind, version FROM credentials WHERE tenant_id = $1 AND id = $2',
        [tenantId, credentialId],
      );
      return rows[0]!;
    });
    expect(row).toMatchObject({ kind: 'snmp-community', version: '2c', keyId: hub.app.secrets.keyId });
    const sealed = Buffer.from(row.secret);
    expect(sealed.includes('public')).toBe(false);
    expect(sealed.includes('community')).toBe(false);

    // The credentials module, which the dispatcher uses, opens it.
    const material = await hub.db.withTenant(tenantId, (q) =>
      loadCredentialSecret(q, hub.app.secrets, tenantId, credentialId),
    );
    expect(material).toMatchObject({ kind: 'snmp-community', version: '2c', community: 'public' });
    // Copied into another tenant's row, the ciphertext does not open.
    expect(() => hub.app.secrets.open(sealed, `${randomUUID()}:${credentialId}`)).toThrow();
  });

  it('logs in through the API with the reported password and shows the demo inventory', async () => {
    const login = await hub.call(null, 'POST', '/api/v1/auth/login', { email: DEMO_EMAIL, password });
    expect(login.statusCode).toBe(200);
    const { token, user, tenants } = login.json() as {
      token: string;
      user: { name: string };
      tenants: { id: string; name: string; role: string }[];
    };
    expect(user.name).toBe('Demo Admin');
    expect(tenants.map((t) => [t.name, t.role]).sort()).toEqual([
      ['Demo Customer', 'admin'],
      ['Demo MSP', 'admin'],
    ]);

    const base = `/api/v1/tenants/${DEMO_IDS.customer}`;
    const devices = await hub.call(token, 'GET', `${base}/devices`);
    expect(devices.statusCode).toBe(200);
    expect(devices.json().items).toEqual([
      expect.objectContaining({
        name: 'localhost-snmp',
        address: '127.0.0.1',
        siteId: DEMO_IDS.site,
        snmp: expect.objectContaining({ version: '2c', port: 161, credentialId: DEMO_IDS.credential }),
      }),
    ]);

    const credentials = await hub.call(token, 'GET', `${base}/credentials`);
    expect(credentials.statusCode).toBe(200);
    expect(credentials.body).not.toContain('"public"');
    expect(credentials.body).not.toContain('"community":');
    expect(credentials.json().items).toEqual([expect.objectContaining({ name: 'demo-public' })]);

    const job = await hub.call(token, 'GET', `${base}/jobs/${DEMO_IDS.job}`);
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({
      kind: 'snmp.get',
      status: 'succeeded',
      progress: { done: 1, total: 1 },
      params: { oids: ['1.3.6.1.2.1.1.1.0'] },
    });

    const results = await hub.call(token, 'GET', `${base}/jobs/${DEMO_IDS.job}/results`);
    expect(results.statusCode).toBe(200);
    const [result] = results.json().items;
    expect(result).toMatchObject({ status: 'succeeded', deviceId: DEMO_IDS.device });
    expect(result.varbinds).toEqual([
      expect.objectContaining({
        oid: '1.3.6.1.2.1.1.1.0',
        type: 'OctetString',
        value: expect.stringContaining('Linux'),
      }),
    ]);
  });
});

describe('demo seed guards', () => {
  const secrets = new SecretBox(randomBytes(32), 'test');
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function freshDb(): Promise<Db> {
    const t = await createTestDb();
    cleanup = t.cleanup;
    return t.db;
  }

  it('never touches a database that has other users', async () => {
    const db = await freshDb();
    await db.asOwner((q) =>
      q.query(`INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'ops@example.net', 'Ops')`),
    );
    expect(await ensureDemo(db, secrets, { dataDir: await tempDir(), log })).toBeNull();
    expect(await counts(db)).toMatchObject({ tenants: 0, users: 1, devices: 0 });
  });

  it('uses DRM_DEMO_PASSWORD without writing it to disk', async () => {
    const db = await freshDb();
    const dataDir = await tempDir();
    const login = await ensureDemo(db, secrets, { password: 'a given demo password', dataDir, log });
    expect(login).toEqual({ email: DEMO_EMAIL, password: 'a given demo password' });
    await expect(stat(join(dataDir, DEMO_PASSWORD_FILE))).rejects.toThrow();
  });

  it('reports no password when none it knows matches the existing admin', async () => {
    const db = await freshDb();
    const first = await ensureDemo(db, secrets, { dataDir: await tempDir(), log });
    expect(first?.password).toBeTruthy();
    // Another DATA_DIR (no file), then a stale file: neither proves the password.
    const elsewhere = await tempDir();
    expect(await ensureDemo(db, secrets, { dataDir: elsewhere, log })).toEqual({
      email: DEMO_EMAIL,
      password: null,
    });
    await writeFile(join(elsewhere, DEMO_PASSWORD_FILE), 'not-the-password-at-all\n');
    expect(await ensureDemo(db, secrets, { dataDir: elsewhere, log })).toEqual({
      email: DEMO_EMAIL,
      password: null,
    });
  });
});
