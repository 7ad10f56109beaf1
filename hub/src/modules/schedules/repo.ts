import type { ScheduleCreate, ScheduleKind, ScheduleUpdate } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { type Cursor, cursorClause, cursorAt } from '../../lib/paging.js';

export interface ScheduleRow {
  id: string;
  tenantId: string;
  name: string;
  kind: ScheduleKind;
  deviceIds: string[];
  params: Record<string, unknown>;
  intervalSeconds: number;
  jitterPct: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, tenant_id AS "tenantId", name, kind, device_ids AS "deviceIds", params,
  interval_seconds AS "intervalSeconds", jitter_pct AS "jitterPct", enabled,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

// The cursor's time at full microsecond precision: a JS Date keeps milliseconds only, and a
// cursor rounded down to them would skip rows made later in the same millisecond.
const CURSOR_AT = cursorAt('created_at');

export async function listSchedules(
  q: Queryable,
  f: { cursor: Cursor | null; limit: number; kind?: ScheduleKind | undefined; deviceId?: string | undefined },
): Promise<(ScheduleRow & { cursorAt: string })[]> {
  const params: unknown[] = [];
  let where = 'TRUE';
  if (f.kind) {
    params.push(f.kind);
    where += ` AND kind = $${params.length}`;
  }
  if (f.deviceId) {
    params.push(f.deviceId);
    where += ` AND $${params.length}::uuid = ANY (device_ids)`;
  }
  where += cursorClause(f.cursor, 'created_at', 'id', params);
  params.push(f.limit + 1);
  const { rows } = await q.query<ScheduleRow & { cursorAt: string }>(
    `SELECT ${COLUMNS}, ${CURSOR_AT} FROM schedules WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getSchedule(q: Queryable, id: string): Promise<ScheduleRow | null> {
  const { rows } = await q.query<ScheduleRow>(`SELECT ${COLUMNS} FROM schedules WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function insertSchedule(
  q: Queryable,
  tenantId: string,
  s: ScheduleCreate,
): Promise<ScheduleRow> {
  const { rows } = await q.query<ScheduleRow>(
    `INSERT INTO schedules (tenant_id, id, name, kind, device_ids, params, interval_seconds, jitter_pct, enabled)
     VALUES ($1, gen_random_uuid(), $2, $3, $4::uuid[], $5::jsonb, $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      tenantId,
      s.name,
      s.kind,
      s.deviceIds,
      JSON.stringify(s.params),
      s.intervalSeconds,
      s.jitterPct,
      s.enabled,
    ],
  );
  return rows[0]!;
}

/** Sets the fields present in `s`; `spec` sets kind and params together. */
export async function updateSchedule(
  q: Queryable,
  id: string,
  s: ScheduleUpdate,
): Promise<ScheduleRow | null> {
  const params: unknown[] = [id];
  const sets: string[] = [];
  const set = (column: string, value: unknown, cast = '') => {
    params.push(value);
    sets.push(`${column} = $${params.length}${cast}`);
  };
  if (s.name !== undefined) set('name', s.name);
  if (s.deviceIds !== undefined) set('device_ids', s.deviceIds, '::uuid[]');
  if (s.intervalSeconds !== undefined) set('interval_seconds', s.intervalSeconds);
  if (s.jitterPct !== undefined) set('jitter_pct', s.jitterPct);
  if (s.enabled !== undefined) set('enabled', s.enabled);
  if (s.spec !== undefined) {
    set('kind', s.spec.kind);
    set('params', JSON.stringify(s.spec.params), '::jsonb');
  }
  if (sets.length === 0) return getSchedule(q, id);
  const { rows } = await q.query<ScheduleRow>(
    `UPDATE schedules SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0] ?? null;
}

export async function deleteSchedule(q: Queryable, id: string): Promise<ScheduleRow | null> {
  const { rows } = await q.query<ScheduleRow>(`DELETE FROM schedules WHERE id = $1 RETURNING ${COLUMNS}`, [
    id,
  ]);
  return rows[0] ?? null;
}

/** The ids among `deviceIds` that name no device of the current tenant, in the order given. */
export async function missingDevices(q: Queryable, deviceIds: readonly string[]): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM devices WHERE id = ANY ($1::uuid[])', [
    deviceIds,
  ]);
  const found = new Set(rows.map((r) => r.id));
  return deviceIds.filter((id) => !found.has(id.toLowerCase()));
}

/**
 * The agents that reach any of `deviceIds` (devices without an agent, and ids of deleted
 * devices, contribute none), sorted. Their desired state includes the schedules over those
 * devices, so a schedule write must bump their config revision: pass the union of the old and
 * new device ids on an update, and the old ones on a delete.
 */
export async function affectedAgentIds(q: Queryable, deviceIds: readonly string[]): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const { rows } = await q.query<{ agentId: string }>(
    `SELECT DISTINCT agent_id AS "agentId" FROM devices
      WHERE id = ANY ($1::uuid[]) AND agent_id IS NOT NULL
      ORDER BY agent_id`,
    [deviceIds],
  );
  return rows.map((r) => r.agentId);
}

/** The kind of a credential of the current tenant, locked against deletion; null when none. */
export async function credentialKind(q: Queryable, id: string): Promise<string | null> {
  const { rows } = await q.query<{ kind: string }>(
    'SELECT kind FROM credentials WHERE id = $1 FOR KEY SHARE',
    [id],
  );
  return rows[0]?.kind ?? null;
}

/** Enabled schedules polling any of `deviceIds`, oldest first (an agent's desired state). */
export async function enabledSchedulesOver(
  q: Queryable,
  deviceIds: readonly string[],
): Promise<ScheduleRow[]> {
  if (deviceIds.length === 0) return [];
  const { rows } = await q.query<ScheduleRow>(
    `SELECT ${COLUMNS} FROM schedules WHERE enabled AND device_ids && $1::uuid[] ORDER BY created_at, id`,
    [deviceIds],
  );
  return rows;
}
