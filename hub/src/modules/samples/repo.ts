import type { Queryable } from '../../db/types.js';
import type { Cursor } from '../../lib/paging.js';

export interface SampleRow {
  id: string;
  deviceId: string;
  scheduleId: string | null;
  oid: string;
  name: string | null;
  ts: Date;
  valueNum: number | null;
  valueText: string | null;
  /** `ts` at full microsecond precision, for the cursor (a Date keeps milliseconds only). */
  cursorAt: string;
}

const COLUMNS = `id, device_id AS "deviceId", schedule_id AS "scheduleId", oid, name, ts,
  value_num AS "valueNum", value_text AS "valueText",
  to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorAt"`;

export async function deviceExists(q: Queryable, id: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM devices WHERE id = $1', [id]);
  return rows.length > 0;
}

/**
 * Samples of one OID of one device in [from, to), oldest first, paged by (ts, id) ascending
 * (charts draw left to right). The bounded range lets PostgreSQL prune to the partitions of
 * those months; the index (tenant_id, device_id, oid, ts, id) serves both filter and order.
 */
export async function listSamples(
  q: Queryable,
  f: { deviceId: string; oid: string; from: Date; to: Date; cursor: Cursor | null; limit: number },
): Promise<SampleRow[]> {
  const params: unknown[] = [f.deviceId, f.oid, f.from, f.to];
  let after = '';
  if (f.cursor) {
    params.push(f.cursor.t, f.cursor.id);
    after = ` AND (ts, id) > ($5::timestamptz, $6::uuid)`;
  }
  params.push(f.limit + 1);
  const { rows } = await q.query<SampleRow>(
    `SELECT ${COLUMNS} FROM samples
      WHERE device_id = $1 AND oid = $2 AND ts >= $3 AND ts < $4${after}
      ORDER BY ts, id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

/**
 * The newest sample of each OID of a device. DISTINCT ON keeps the first row of each OID in
 * the ORDER BY, which puts the newest (ts, id) first; ties on ts are broken by the id the
 * agent made (UUIDv7, so time-ordered).
 */
export async function latestSamples(q: Queryable, deviceId: string): Promise<SampleRow[]> {
  const { rows } = await q.query<SampleRow>(
    `SELECT DISTINCT ON (oid) ${COLUMNS} FROM samples
      WHERE device_id = $1
      ORDER BY oid, ts DESC, id DESC`,
    [deviceId],
  );
  return rows;
}
