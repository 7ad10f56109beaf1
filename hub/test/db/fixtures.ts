import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../src/db/types.js';

/**
 * Two customer tenants under one MSP, each with one row in every tenant-owned table, made
 * through the same paths as the hub: tenants and accounts as drm_system, the rest as drm_app
 * inside the tenant.
 */

export interface TenantFixture {
  tenantId: string;
  userId: string;
  siteId: string;
  agentId: string;
  deviceId: string;
  jobId: string;
}

export interface Fixture {
  mspId: string;
  a: TenantFixture;
  b: TenantFixture;
  /** A user with no membership anywhere. */
  outsiderId: string;
}

type Row = { sql: string; params: unknown[] };

/**
 * One valid row per tenant-owned table, in insert order. The contract suite checks that this
 * list matches the catalog, so a new tenant-owned table cannot miss the isolation tests.
 */
export const TENANT_ROWS: Record<string, (t: TenantFixture, id?: string) => Row> = {
  memberships: (t) => ({
    sql: "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin')",
    params: [t.tenantId, t.userId],
  }),
  sites: (t, id = randomUUID()) => ({
    sql: 'INSERT INTO sites (tenant_id, id, name, address) VALUES ($1, $2, $3, $4)',
    params: [t.tenantId, id, `site ${id}`, '1 Main Street'],
  }),
  credentials: (t, id = randomUUID()) => ({
    sql: `INSERT INTO credentials (tenant_id, id, name, kind, version, secret, key_id)
          VALUES ($1, $2, $3, 'snmp-community', '2c', $4, 'k1')`,
    params: [t.tenantId, id, `cred ${id}`, randomBytes(48)],
  }),
  agents: (t, id = randomUUID()) => ({
    sql: `INSERT INTO agents (tenant_id, id, site_id, name, version, mqtt_username, secret_hash)
          VALUES ($1, $2, $3, 'edge', '1.0.0', $4, 'scrypt$x')`,
    params: [t.tenantId, id, t.siteId, `agent-${id}`],
  }),
  enrollment_tokens: (t, id = randomUUID()) => ({
    sql: `INSERT INTO enrollment_tokens (tenant_id, id, site_id, token_hash, created_by, expires_at)
          VALUES ($1, $2, $3, $4, $5, now() + interval '1 hour')`,
    params: [t.tenantId, id, t.siteId, randomBytes(32), t.userId],
  }),
  invitations: (t, id = randomUUID()) => ({
    sql: `INSERT INTO invitations (tenant_id, id, email, role, token_hash, invited_by, expires_at)
          VALUES ($1, $2, $3, 'viewer', $4, $5, now() + interval '1 hour')`,
    params: [t.tenantId, id, `invitee-${id}@example.test`, randomBytes(32), t.userId],
  }),
  devices: (t, id = randomUUID()) => ({
    sql: `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, tags, snmp)
          VALUES ($1, $2, $3, $4, $5, '192.0.2.1', $6, $7)`,
    params: [t.tenantId, id, t.siteId, t.agentId, `dev ${id}`, ['core', 'lab'], { version: '2c', port: 161 }],
  }),
  schedules: (t, id = randomUUID()) => ({
    sql: `INSERT INTO schedules (tenant_id, id, name, kind, device_ids, params, interval_seconds)
          VALUES ($1, $2, 'poll', 'snmp.get', $3, '{"oids":["1.3.6.1.2.1.1.3.0"]}', 60)`,
    params: [t.tenantId, id, [t.deviceId]],
  }),
  jobs: (t, id = randomUUID()) => ({
    sql: `INSERT INTO jobs (tenant_id, id, kind, params, total_targets, created_by)
          VALUES ($1, $2, 'snmp.get', '{"oids":["1.3.6.1.2.1.1.1.0"]}', 1, $3)`,
    params: [t.tenantId, id, t.userId],
  }),
  job_targets: (t) => ({
    sql: 'INSERT INTO job_targets (tenant_id, job_id, device_id, agent_id) VALUES ($1, $2, $3, $4)',
    params: [t.tenantId, t.jobId, t.deviceId, t.agentId],
  }),
  job_results: (t, id = randomUUID()) => ({
    sql: `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at, varbinds)
          VALUES ($1, $2, $3, $4, $5, 'succeeded', now(), now(), '[]')`,
    params: [t.tenantId, id, t.jobId, t.deviceId, t.agentId],
  }),
  samples: (t, id = randomUUID()) => ({
    sql: `INSERT INTO samples (tenant_id, id, device_id, ts, oid, value_num)
          VALUES ($1, $2, $3, now(), '1.3.6.1.2.1.1.3.0', 42)`,
    params: [t.tenantId, id, t.deviceId],
  }),
  events: (t, id = randomUUID()) => ({
    sql: `INSERT INTO events (tenant_id, id, agent_id, device_id, kind, source, trap_oid, payload)
          VALUES ($1, $2, $3, $4, 'trap', '192.0.2.1:162', '1.3.6.1.6.3.1.1.5.3', '{}')`,
    params: [t.tenantId, id, t.agentId, t.deviceId],
  }),
  audit_log: (t, id = randomUUID()) => ({
    sql: `INSERT INTO audit_log (tenant_id, id, actor_user_id, actor_kind, action, target_type, target_id)
          VALUES ($1, $2, $3, 'user', 'device.create', 'device', 'x')`,
    params: [t.tenantId, id, t.userId],
  }),
};

const FIXED_IDS: Record<string, keyof TenantFixture> = {
  sites: 'siteId',
  agents: 'agentId',
  devices: 'deviceId',
  jobs: 'jobId',
};

function newTenant(): TenantFixture {
  return {
    tenantId: randomUUID(),
    userId: randomUUID(),
    siteId: randomUUID(),
    agentId: randomUUID(),
    deviceId: randomUUID(),
    jobId: randomUUID(),
  };
}

async function addUser(q: Queryable, id: string, label: string): Promise<void> {
  await q.query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, 'scrypt$secret')", [
    id,
    `${label}-${id}@example.com`,
    label,
  ]);
  await q.query("INSERT INTO auth_tokens (user_id, kind, name, token_hash) VALUES ($1, 'api', 'ci', $2)", [
    id,
    randomBytes(32),
  ]);
}

export async function seedFixture(db: Db): Promise<Fixture> {
  const fx: Fixture = { mspId: randomUUID(), a: newTenant(), b: newTenant(), outsiderId: randomUUID() };
  await db.asSystem(async (q) => {
    await q.query("INSERT INTO tenants (id, kind, name) VALUES ($1, 'msp', $2)", [
      fx.mspId,
      `msp ${fx.mspId}`,
    ]);
    for (const [label, t] of [
      ['a', fx.a],
      ['b', fx.b],
    ] as const) {
      await q.query("INSERT INTO tenants (id, parent_id, kind, name) VALUES ($1, $2, 'customer', $3)", [
        t.tenantId,
        fx.mspId,
        `customer ${label}`,
      ]);
      await addUser(q, t.userId, label);
    }
    await addUser(q, fx.outsiderId, 'outsider');
  });
  for (const t of [fx.a, fx.b]) {
    await db.withTenant({ tenantId: t.tenantId, userId: t.userId }, async (q) => {
      for (const [table, row] of Object.entries(TENANT_ROWS)) {
        const fixed = FIXED_IDS[table];
        const { sql, params } = row(t, fixed ? t[fixed] : undefined);
        await q.query(sql, params);
      }
    });
  }
  return fx;
}

/** Thrown to roll a transaction back on purpose. */
export class Rollback extends Error {}

/** Runs `fn` as the owner and always rolls back: for tests that change the schema. */
export async function inRolledBackOwnerTx<T>(
  db: Db,
  fn: (q: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>,
): Promise<T> {
  let out: T | undefined;
  await db
    .asOwner(async (q) => {
      out = await fn(q);
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out as T;
}

/** Every table in the current schema with a tenant_id column (partitions excluded). */
export async function tenantOwnedTables(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`,
  );
  return rows.map((r) => r.table);
}

/** Why each tenant-owned table is not protected: RLS off, not forced, or no policy. */
export async function rlsProblems(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ table: string; enabled: boolean; forced: boolean; policies: number }>(
    `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
            (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int AS policies
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`,
  );
  return rows.flatMap((r) => [
    ...(r.enabled ? [] : [`${r.table}: row level security disabled`]),
    ...(r.forced ? [] : [`${r.table}: row level security not forced`]),
    ...(r.policies > 0 ? [] : [`${r.table}: no policy`]),
  ]);
}
