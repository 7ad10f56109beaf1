import type { DeviceCreate, DeviceUpdate, SnmpProfile, Tr181Profile } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt, type Listed } from '../../lib/paging.js';

export interface DeviceRow {
  id: string;
  tenantId: string;
  siteId: string;
  agentId: string | null;
  name: string;
  address: string;
  description: string | null;
  tags: string[];
  snmp: SnmpProfile | null;
  tr181: Tr181Profile | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeviceFilter {
  cursor: Cursor | null;
  limit: number;
  q?: string | undefined;
  siteId?: string | undefined;
  agentId?: string | undefined;
  tag?: string | undefined;
}

const COLUMNS = `id, tenant_id AS "tenantId", site_id AS "siteId", agent_id AS "agentId", name, address,
  description, tags, snmp, tr181, created_at AS "createdAt", updated_at AS "updatedAt"`;

// The cursor's time at full microsecond precision: a JS Date keeps milliseconds only, and a
// cursor rounded down to them would skip rows made later in the same millisecond.
/** A listed row with its exact keyset time. */
const CURSOR_AT = cursorAt('created_at');

/** Columns a PATCH may set, by DTO field. */
const UPDATABLE: Record<keyof DeviceUpdate, string> = {
  siteId: 'site_id',
  agentId: 'agent_id',
  name: 'name',
  address: 'address',
  description: 'description',
  tags: 'tags',
  snmp: 'snmp',
  tr181: 'tr181',
};

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Profiles are stored as JSON whose credential ids other queries compare as lower-case text. */
function profileJson(p: SnmpProfile | Tr181Profile | null): string | null {
  if (!p) return null;
  return JSON.stringify(p.credentialId ? { ...p, credentialId: p.credentialId.toLowerCase() } : p);
}

export async function listDevices(q: Queryable, f: DeviceFilter): Promise<Listed<DeviceRow>[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.q) {
    params.push(likePattern(f.q));
    const n = `$${params.length}`;
    where += ` AND (name ILIKE ${n} OR address ILIKE ${n} OR description ILIKE ${n}
                    OR EXISTS (SELECT 1 FROM unnest(tags) AS t(tag) WHERE t.tag ILIKE ${n}))`;
  }
  for (const [value, sql] of [
    [f.siteId, 'site_id = $'],
    [f.agentId, 'agent_id = $'],
    [f.tag, '$ = ANY (tags)'],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where += ` AND ${sql.replace('$', `$${params.length}`)}`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<Listed<DeviceRow>>(
    `SELECT ${COLUMNS}, ${CURSOR_AT} FROM devices WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getDevice(q: Queryable, id: string): Promise<DeviceRow | null> {
  const { rows } = await q.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function insertDevice(q: Queryable, tenantId: string, d: DeviceCreate): Promise<DeviceRow> {
  const { rows } = await q.query<DeviceRow>(
    `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, description, tags, snmp, tr181)
     VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) RETURNING ${COLUMNS}`,
    [
      tenantId,
      d.siteId,
      d.agentId,
      d.name,
      d.address,
      d.description,
      d.tags,
      profileJson(d.snmp),
      profileJson(d.tr181),
    ],
  );
  return rows[0]!;
}

/** Sets the fields present in `d` (`null` clears); null when there is no such device. */
export async function updateDevice(q: Queryable, id: string, d: DeviceUpdate): Promise<DeviceRow | null> {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const [field, column] of Object.entries(UPDATABLE) as [keyof DeviceUpdate, string][]) {
    const value = d[field];
    if (value === undefined) continue;
    const json = field === 'snmp' || field === 'tr181';
    params.push(json ? profileJson(value as SnmpProfile | Tr181Profile | null) : value);
    sets.push(`${column} = $${params.length}${json ? '::jsonb' : ''}`);
  }
  if (sets.length === 0) return getDevice(q, id);
  const { rows } = await q.query<DeviceRow>(
    `UPDATE devices SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0] ?? null;
}

/**
 * Locks the device, then its job targets in key order (job, then device: the order every
 * writer of several targets takes), and returns their jobs in id order. Deleting the device
 * deletes these targets with it; taken first, the delete does not lock them in index order
 * against a result batch locking them in key order. The device's own lock comes first so that
 * a job being created with it is either committed by then, and found here (its targets then
 * count without the device), or waits and fails on the deleted device: otherwise the delete
 * would take away a target of a job this list never named, whose counts would stay too high.
 */
export async function lockJobTargets(q: Queryable, id: string): Promise<string[]> {
  await q.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [id]);
  const { rows } = await q.query<{ jobId: string }>(
    'SELECT job_id AS "jobId" FROM job_targets WHERE device_id = $1 ORDER BY job_id FOR UPDATE',
    [id],
  );
  return rows.map((r) => r.jobId);
}

export async function deleteDevice(q: Queryable, id: string): Promise<DeviceRow | null> {
  const { rows } = await q.query<DeviceRow>(`DELETE FROM devices WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  return rows[0] ?? null;
}
