import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/types.js';
import { sealSecret } from '../modules/credentials/secret.js';
import { hashPassword, verifyPassword } from '../security/passwords.js';
import type { SecretBox } from '../security/secret-box.js';

export const DEMO_EMAIL = 'admin@example.com';
/** Where a generated demo password is kept (mode 0600), so every start can print it again. */
export const DEMO_PASSWORD_FILE = 'demo-admin.txt';

/**
 * Fixed ids: seeding twice finds the same rows, and docs and scripts can name them. The
 * result id is a UUIDv7 because result ids are made by agents as UUIDv7.
 */
export const DEMO_IDS = {
  msp: 'de000000-0000-4000-8000-000000000001',
  customer: 'de000000-0000-4000-8000-000000000002',
  admin: 'de000000-0000-4000-8000-000000000010',
  site: 'de000000-0000-4000-8000-000000000020',
  credential: 'de000000-0000-4000-8000-000000000030',
  device: 'de000000-0000-4000-8000-000000000040',
  job: 'de000000-0000-4000-8000-000000000050',
  result: '018f0000-0000-7000-8000-000000000060',
} as const;

const SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0';
const SYS_DESCR = 'Linux demo-gw 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64';

export interface DemoOptions {
  /** DRM_DEMO_PASSWORD; when absent a password is generated once and kept in `dataDir`. */
  password?: string | undefined;
  dataDir: string;
  log: Logger;
}

export interface DemoLogin {
  email: string;
  /** null when the admin existed already and no known password still matches it. */
  password: string | null;
}

export interface DemoSeed extends DemoLogin {
  /** Whether this call created the demo admin (false: it was there already). */
  createdAdmin: boolean;
  adminId: string;
  mspTenantId: string;
  customerTenantId: string;
  siteId: string;
  credentialId: string;
  deviceId: string;
  jobId: string;
}

/**
 * At hub start: seeds the demo on a database without any user (first start), or reports the
 * demo login when the demo admin exists. A database with other users is left alone (null).
 */
export async function ensureDemo(db: Db, secrets: SecretBox, opts: DemoOptions): Promise<DemoLogin | null> {
  const { users, demo } = await db.asSystem(async (q) => {
    const { rows } = await q.query<{ users: number; demo: boolean }>(
      'SELECT count(*)::int AS users, coalesce(bool_or(lower(email) = lower($1)), false) AS demo FROM users',
      [DEMO_EMAIL],
    );
    return rows[0]!;
  });
  if (demo) return { email: DEMO_EMAIL, password: await knownPassword(db, opts) };
  if (users > 0) return null;
  const seed = await seedDemo(db, secrets, opts);
  return { email: seed.email, password: seed.password };
}

/**
 * Creates whatever is missing of the demo (idempotent; `npm run seed:demo`): an MSP with one
 * customer, the admin of both, a site, an SNMP v2c credential, a device using it, and a
 * finished `snmp.get` job of sysDescr with its result. Never changes an existing admin's password.
 */
export async function seedDemo(db: Db, secrets: SecretBox, opts: DemoOptions): Promise<DemoSeed> {
  const existing = await db.asSystem((q) => findUserId(q, DEMO_EMAIL));
  let password: string | null;
  let passwordHash: string | null = null;
  if (existing) {
    password = await knownPassword(db, opts);
  } else {
    password =
      opts.password ?? (await readPasswordFile(opts.dataDir)) ?? (await newPasswordFile(opts.dataDir));
    passwordHash = await hashPassword(password);
  }

  // Tenants, the admin account and memberships exist before any tenant does, so they are
  // written as the system role, as tenant creation through the API is.
  const ids = await db.asSystem(async (q) => {
    const msp = await ensureRow(q, 'tenants', DEMO_IDS.msp, {
      insert: `INSERT INTO tenants (id, kind, name) VALUES ($1, 'msp', 'Demo MSP') ON CONFLICT DO NOTHING`,
      sameName: `parent_id IS NULL AND lower(name) = lower('Demo MSP')`,
    });
    const customer = await ensureRow(q, 'tenants', DEMO_IDS.customer, {
      insert: `INSERT INTO tenants (id, kind, name, parent_id) VALUES ($1, 'customer', 'Demo Customer', $2)
               ON CONFLICT DO NOTHING`,
      sameName: `parent_id = $2 AND lower(name) = lower('Demo Customer')`,
      params: [msp],
    });
    const created = passwordHash
      ? await q.query(
          `INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Demo Admin', $3)
           ON CONFLICT DO NOTHING`,
          [DEMO_IDS.admin, DEMO_EMAIL, passwordHash],
        )
      : { rowCount: 0 };
    const admin = (await findUserId(q, DEMO_EMAIL))!;
    for (const [tenantId, n] of [
      [msp, 1],
      [customer, 2],
    ] as const) {
      await audit(q, tenantId, 0x100 + n, 'tenant.create', 'tenant', tenantId, {});
      await q.query(
        `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin') ON CONFLICT DO NOTHING`,
        [tenantId, admin],
      );
      await audit(q, tenantId, 0x110 + n, 'member.add', 'user', admin, {
        email: DEMO_EMAIL,
        role: 'admin',
      });
    }
    return { msp, customer, admin, createdAdmin: created.rowCount > 0 };
  });
  // Another hub may have created the admin in the meantime: then only a known password is reported.
  if (!existing && !ids.createdAdmin) password = await knownPassword(db, opts);

  const inventory = await db.withTenant({ tenantId: ids.customer, userId: ids.admin }, (q) =>
    seedInventory(q, secrets, ids.customer, ids.admin),
  );
  if (ids.createdAdmin) opts.log.info({ email: DEMO_EMAIL }, 'created the demo admin and demo data');
  return {
    email: DEMO_EMAIL,
    password,
    createdAdmin: ids.createdAdmin,
    adminId: ids.admin,
    mspTenantId: ids.msp,
    customerTenantId: ids.customer,
    ...inventory,
  };
}

/** The customer's site, credential, device and example job, inside that tenant's context. */
async function seedInventory(q: Queryable, secrets: SecretBox, tenantId: string, adminId: string) {
  const siteId = await ensureRow(q, 'sites', DEMO_IDS.site, {
    insert: `INSERT INTO sites (tenant_id, id, name, description, address)
             VALUES ($2, $1, 'Demo HQ', 'Head office of the demo customer', '1 Example Street, Springfield')
             ON CONFLICT DO NOTHING`,
    sameName: `tenant_id = $2 AND lower(name) = lower('Demo HQ')`,
    params: [tenantId],
  });

  // Sealed as the credentials module does: bound to `${tenantId}:${credentialId}`.
  const secret = sealSecret(secrets, tenantId, DEMO_IDS.credential, { community: 'public' });
  const credentialId = await ensureRow(q, 'credentials', DEMO_IDS.credential, {
    insert: `INSERT INTO credentials (tenant_id, id, name, kind, version, secret, key_id)
             VALUES ($2, $1, 'demo-public', 'snmp-community', '2c', $3, $4) ON CONFLICT DO NOTHING`,
    insertParams: [secret, secrets.keyId],
    sameName: `tenant_id = $2 AND lower(name) = lower('demo-public')`,
    params: [tenantId],
  });

  // The device's SNMP protocol profile: v2c on the standard port with the demo credential.
  const snmp = { version: '2c', port: 161, credentialId, timeoutMs: 2000, retries: 1, maxRepetitions: 25 };
  const deviceId = await ensureRow(q, 'devices', DEMO_IDS.device, {
    insert: `INSERT INTO devices (tenant_id, id, site_id, name, address, description, tags, snmp)
             VALUES ($2, $1, $3, 'localhost-snmp', '127.0.0.1', 'SNMP agent on the hub host (demo)',
                     ARRAY['demo'], $4) ON CONFLICT DO NOTHING`,
    insertParams: [siteId, JSON.stringify(snmp)],
    sameName: `tenant_id = $2 AND lower(name) = lower('localhost-snmp')`,
    params: [tenantId],
  });

  const jobId = DEMO_IDS.job;
  const { rowCount } = await q.query(
    `INSERT INTO jobs (tenant_id, id, kind, params, status, total_targets, done_targets, created_by,
                       created_at, started_at, finished_at)
     VALUES ($1, $2, 'snmp.get', $3, 'succeeded', 1, 1, $4,
             now() - interval '5 seconds', now() - interval '4 seconds', now() - interval '3 seconds')
     ON CONFLICT DO NOTHING`,
    [tenantId, jobId, JSON.stringify({ oids: [SYS_DESCR_OID], targetBudgetMs: 30_000 }), adminId],
  );
  if (rowCount > 0) {
    // The target and the result as an agent would have reported them; the job's times are theirs.
    await q.query(
      `INSERT INTO job_targets (tenant_id, job_id, device_id, status, attempts,
                                dispatched_at, receipted_at, started_at, finished_at)
       SELECT tenant_id, id, $3::uuid, 'succeeded', 1, started_at, started_at, started_at, finished_at
         FROM jobs WHERE tenant_id = $1 AND id = $2
       ON CONFLICT DO NOTHING`,
      [tenantId, jobId, deviceId],
    );
    const varbinds = [{ oid: SYS_DESCR_OID, name: 'sysDescr.0', type: 'OctetString', value: SYS_DESCR }];
    await q.query(
      `INSERT INTO job_results (tenant_id, id, job_id, device_id, status, started_at, finished_at, varbinds)
       SELECT tenant_id, $3::uuid, id, $4::uuid, 'succeeded', started_at, finished_at, $5::jsonb
         FROM jobs WHERE tenant_id = $1 AND id = $2
       ON CONFLICT DO NOTHING`,
      [tenantId, jobId, DEMO_IDS.result, deviceId, JSON.stringify(varbinds)],
    );
  }

  const entries: [number, string, string, string, Record<string, unknown>][] = [
    [0x103, 'site.create', 'site', siteId, { name: 'Demo HQ' }],
    [0x104, 'credential.create', 'credential', credentialId, { name: 'demo-public', kind: 'snmp-community' }],
    [0x105, 'device.create', 'device', deviceId, { name: 'localhost-snmp' }],
    [0x106, 'job.create', 'job', jobId, { kind: 'snmp.get', targets: 1 }],
  ];
  for (const [n, action, targetType, targetId, details] of entries) {
    await audit(q, tenantId, n, action, targetType, targetId, details);
  }
  return { siteId, credentialId, deviceId, jobId };
}

/**
 * Inserts a row with a fixed id unless it is there; when a row with the same unique name
 * exists under another id (made by hand), that one is used. Both statements get `$1` = the
 * fixed id and then `params`; the insert gets `insertParams` after those.
 */
async function ensureRow(
  q: Queryable,
  table: 'tenants' | 'sites' | 'credentials' | 'devices',
  id: string,
  sql: { insert: string; sameName: string; params?: readonly unknown[]; insertParams?: readonly unknown[] },
): Promise<string> {
  const params = [id, ...(sql.params ?? [])];
  const { rowCount } = await q.query(sql.insert, [...params, ...(sql.insertParams ?? [])]);
  if (rowCount > 0) return id;
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM ${table} WHERE id = $1 OR (${sql.sameName}) ORDER BY id = $1 DESC LIMIT 1`,
    params,
  );
  if (!rows[0]) throw new Error(`demo seed: could not create or find the demo row in ${table}`);
  return rows[0].id;
}

/**
 * An audit entry by the system (the seed acts for no user), with a fixed id (`n` makes its
 * last digits) so a second seed adds none.
 */
async function audit(
  q: Queryable,
  tenantId: string,
  n: number,
  action: string,
  targetType: string,
  targetId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (tenant_id, id, actor_user_id, actor_kind, action, target_type, target_id, details)
     VALUES ($1, $2, NULL, 'system', $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [
      tenantId,
      `de000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
      action,
      targetType,
      targetId,
      JSON.stringify({ ...details, seed: 'demo' }),
    ],
  );
}

async function findUserId(q: Queryable, email: string): Promise<string | null> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [
    email,
  ]);
  return rows[0]?.id ?? null;
}

/** The demo admin's password when one we know (env, then file) still matches; else null. */
async function knownPassword(db: Db, opts: DemoOptions): Promise<string | null> {
  const hash = await db.asSystem(async (q) => {
    const { rows } = await q.query<{ hash: string | null }>(
      'SELECT password_hash AS hash FROM users WHERE lower(email) = lower($1)',
      [DEMO_EMAIL],
    );
    return rows[0]?.hash ?? null;
  });
  if (!hash) return null;
  for (const candidate of [opts.password, await readPasswordFile(opts.dataDir)]) {
    if (candidate && (await verifyPassword(candidate, hash))) return candidate;
  }
  return null;
}

async function readPasswordFile(dataDir: string): Promise<string | null> {
  try {
    const text = (await readFile(join(dataDir, DEMO_PASSWORD_FILE), 'utf8')).trim();
    return text === '' ? null : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function newPasswordFile(dataDir: string): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx': a hub starting at the same moment may have written one; then that one counts.
    await writeFile(join(dataDir, DEMO_PASSWORD_FILE), `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  } catch (err) {
    const written = (err as NodeJS.ErrnoException).code === 'EEXIST' && (await readPasswordFile(dataDir));
    if (written) return written;
    throw err;
  }
}
