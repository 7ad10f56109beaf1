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
 * The newest sample of each OID of a device, read as a skip scan of the index (tenant_id,
 * device_id, oid, ts, id): the recursive part steps from one OID of the device to the next
 * (one index probe per partition each), then each OID's newest row is one backward probe. A
 * plain DISTINCT ON read and sorted every sample the device ever had (seconds for a device
 * polled for a month); this reads a few index pages per OID, however long the history. Ties on
 * ts are broken by the id the agent made (UUIDv7, so time-ordered).
 */
export async function latestSamples(q: Queryable, deviceId: string): Promise<SampleRow[]> {
  const { rows } = await q.query<SampleRow>(
    `WITH RECURSIVE oids(oid) AS (
       (SELECT oid FROM samples WHERE device_id = $1 ORDER BY oid LIMIT 1)
       UNION ALL
       SELECT (SELECT s.oid FROM samples s WHERE s.device_id = $1 AND s.oid > oids.oid ORDER BY s.oid LIMIT 1)
         FROM oids WHERE oids.oid IS NOT NULL
     )
     SELECT newest.* FROM oids CROSS JOIN LATERAL (
       SELECT ${COLUMNS} FROM samples s
        WHERE s.device_id = $1 AND s.oid = oids.oid
        ORDER BY s.ts DESC, s.id DESC LIMIT 1
     ) AS newest`,
    [deviceId],
  );
  return rows;
}
