import type { ResultError, Tr181Value, Varbind } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { Errors } from '../../errors.js';

/**
 * Results are paged by (device_id, id) ascending, not by time, so one device's results stay
 * together; the cursor names the last result of the previous page.
 */
export interface ResultCursor {
  deviceId: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeResultCursor(c: ResultCursor): string {
  return Buffer.from(JSON.stringify({ d: c.deviceId, id: c.id }), 'utf8').toString('base64url');
}

export function decodeResultCursor(cursor: string | undefined): ResultCursor | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { d?: unknown; id?: unknown };
    if (typeof v.d === 'string' && UUID.test(v.d) && typeof v.id === 'string' && UUID.test(v.id)) {
      return { deviceId: v.d, id: v.id };
    }
  } catch {
    // fall through to the error below
  }
  throw new Errors.BAD_CURSOR();
}

export interface ResultRow {
  id: string;
  headId: string;
  jobId: string;
  deviceId: string;
  agentId: string | null;
  status: 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  receivedAt: Date;
  varbinds: Varbind[] | null;
  tr181: Tr181Value[] | null;
  error: ResultError | null;
  partIndex: number | null;
  partCount: number | null;
}

/** One result as the API returns it: a whole record, or every part of a split one merged. */
export interface MergedResult {
  id: string;
  jobId: string;
  deviceId: string;
  agentId: string | null;
  status: 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  receivedAt: Date;
  varbinds: Varbind[] | null;
  tr181: Tr181Value[] | null;
  error: ResultError | null;
}

/**
 * The heads of one page: whole results and the first part (index 0) of split ones, `limit + 1`
 * of them so the extra one says whether more exist.
 */
export async function listResultHeads(
  q: Queryable,
  f: { jobId: string; deviceId?: string | undefined; cursor: ResultCursor | null; limit: number },
): Promise<ResultCursor[]> {
  const params: unknown[] = [f.jobId];
  let where = 'job_id = $1 AND (part_index IS NULL OR part_index = 0)';
  if (f.deviceId) {
    params.push(f.deviceId);
    where += ` AND device_id = $${params.length}::uuid`;
  }
  if (f.cursor) {
    params.push(f.cursor.deviceId, f.cursor.id);
    where += ` AND (device_id, id) > ($${params.length - 1}::uuid, $${params.length}::uuid)`;
  }
  params.push(f.limit + 1);
  const { rows } = await q.query<ResultCursor>(
    `SELECT device_id AS "deviceId", id FROM job_results WHERE ${where}
      ORDER BY device_id, id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

/**
 * Every record of the given heads: the head itself and, for a split result, the parts that
 * share its device, part count and times (all parts of one result carry the same ones).
 */
export async function loadResults(
  q: Queryable,
  jobId: string,
  headIds: readonly string[],
): Promise<ResultRow[]> {
  if (headIds.length === 0) return [];
  const { rows } = await q.query<ResultRow>(
    `SELECT r.id, h.id AS "headId", r.job_id AS "jobId", r.device_id AS "deviceId", r.agent_id AS "agentId",
            r.status, r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.received_at AS "receivedAt",
            r.varbinds, r.tr181, r.error, r.part_index AS "partIndex", r.part_count AS "partCount"
       FROM job_results h
       JOIN job_results r ON r.tenant_id = h.tenant_id AND r.job_id = h.job_id AND r.device_id = h.device_id
        AND (r.id = h.id OR (h.part_count IS NOT NULL AND r.part_count = h.part_count
             AND r.started_at = h.started_at AND r.finished_at = h.finished_at))
      WHERE h.job_id = $1 AND h.id = ANY($2::uuid[])
      ORDER BY h.device_id, h.id, r.part_index`,
    [jobId, headIds],
  );
  return rows;
}

/**
 * Merges the records of each head, in head order. A split result is returned only once all
 * its parts are stored (until then its target has not finished): its varbinds and TR-181
 * values are the parts' concatenated in part order, `error` the last part's that has one,
 * `receivedAt` when the last part arrived, and `id` the id of part 0.
 */
export function mergeResults(rows: readonly ResultRow[]): MergedResult[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const g = groups.get(r.headId);
    if (g) g.push(r);
    else groups.set(r.headId, [r]);
  }
  const out: MergedResult[] = [];
  for (const [headId, parts] of groups) {
    const head = parts.find((p) => p.id === headId)!;
    if (head.partCount !== null && new Set(parts.map((p) => p.partIndex)).size !== head.partCount) continue;
    const concat = <T>(pick: (p: ResultRow) => T[] | null): T[] | null =>
      parts.some((p) => pick(p) !== null) ? parts.flatMap((p) => pick(p) ?? []) : null;
    out.push({
      id: head.id,
      jobId: head.jobId,
      deviceId: head.deviceId,
      agentId: head.agentId,
      status: head.status,
      startedAt: head.startedAt,
      finishedAt: head.finishedAt,
      receivedAt: new Date(Math.max(...parts.map((p) => p.receivedAt.getTime()))),
      varbinds: concat((p) => p.varbinds),
      tr181: concat((p) => p.tr181),
      error: parts.findLast((p) => p.error !== null)?.error ?? null,
    });
  }
  return out;
}
