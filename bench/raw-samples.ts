import type { SampleRecord } from '@drm/protocol';
import type { Db } from '../hub/src/db/types.js';
import { chunked, pool } from './pool.js';

/** Rows per statement of the raw reference insert: the batch shape the hub's own writes use. */
export const RAW_BATCH = 1_000;

/**
 * The reference the sample benchmarks compare against: `rows` inserted straight into `samples`
 * by `INSERT … SELECT FROM unnest(…)`, RAW_BATCH rows per statement and transaction, as the
 * hub's role with the tenant set (RLS on), `width` statements at a time. Returns milliseconds.
 */
export async function rawSampleInsert(
  db: Db,
  tenantId: string,
  rows: readonly SampleRecord[],
  width = 1,
): Promise<number> {
  const insert = (chunk: readonly SampleRecord[]) =>
    db.withTenant(tenantId, (q) =>
      q.query(
        `INSERT INTO samples (tenant_id, id, device_id, schedule_id, ts, oid, name, value_num)
         SELECT $1, s.* FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::text[], $7::text[],
                                    $8::float8[]) AS s
         ON CONFLICT DO NOTHING`,
        [
          tenantId,
          chunk.map((s) => s.id),
          chunk.map((s) => s.deviceId),
          chunk.map((s) => s.scheduleId),
          chunk.map((s) => s.ts),
          chunk.map((s) => s.oid),
          chunk.map((s) => s.name),
          chunk.map((s) => s.valueNum),
        ],
      ),
    );
  const chunks = chunked(rows, RAW_BATCH);
  const start = performance.now();
  await pool(chunks, width, async (chunk) => {
    await insert(chunk);
  });
  return performance.now() - start;
}
