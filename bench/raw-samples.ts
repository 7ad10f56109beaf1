import type { SampleRecord } from '@drm/protocol';
import type { Db } from '../hub/src/db/types.js';

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
  const chunks = Array.from({ length: Math.ceil(rows.length / RAW_BATCH) }, (_, i) =>
    rows.slice(i * RAW_BATCH, (i + 1) * RAW_BATCH),
  );
  let next = 0;
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
  const worker = async () => {
    while (next < chunks.length) await insert(chunks[next++]!);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: width }, worker));
  return performance.now() - start;
}
