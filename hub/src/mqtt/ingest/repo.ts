import type { ResultError, ResultRecord, SampleRecord, TargetStatus, TrapEvent } from '@drm/protocol';
import { jsonForPg as json, UNSTORABLE_ESCAPE } from '../../db/json.js';
import type { Queryable } from '../../db/types.js';

/*
 * Batched SQL for ingestion. Rows go in as one jsonb array expanded by jsonb_to_recordset: a
 * single multi-row statement per table and batch, like unnest over arrays, but nested JSON
 * columns (varbinds, errors) need no array-literal escaping, which the two engines' drivers
 * do differently.
 */

/**
 * Where insert statements read a batch's rows from: the `results` message's own text, when it
 * holds exactly the validated items and `storableAsText` says PostgreSQL takes it as it is (its
 * `body.items` of the statement's kind, less `skip`, are then the very records to store), or
 * else the records serialised here. Storing the text as sent spares serialising every record
 * again, a good part of a batch's cost in the hub.
 */
export interface ItemsText {
  message: string;
  /** Ids of items the batch refused, which the text still holds. */
  skip: readonly string[];
}

/**
 * Number spellings that JavaScript reads as a plain double but PostgreSQL may refuse: an
 * exponent of three digits or more (`0e-20000` overflows numeric, `1e-400` double precision)
 * and more digits than any serialiser writes for a double (`0.000…1`). Matched only as a value
 * (after `:`, `,` or `[`), so ids and hex inside strings (`…4e812…`) do not; JSON.stringify
 * writes such an exponent only for doubles beyond 1e±100. A text that shows one (a string that
 * happens to look like one included) is serialised again instead.
 */
const UNSAFE_NUMBER = /[:,[]\s*-?(?:[\d.]{31}|[\d.]+[eE][+-]?\d{3})/;

/**
 * Whether a message's text can go to PostgreSQL as it is: no escape jsonb refuses (NUL, or a
 * surrogate, paired or not, which serialising again writes as it is or replaces) and no
 * number spelled in a way PostgreSQL may refuse.
 */
export function storableAsText(text: string): boolean {
  return !UNSTORABLE_ESCAPE.test(text) && !UNSAFE_NUMBER.test(text);
}

/** The statement's JSON parameter and whether it is a whole message (else an array of records). */
function rowsParam(records: readonly unknown[], source: ItemsText | null): [string, boolean, string[]] {
  if (source) return [source.message, true, [...source.skip]];
  return [json(records), false, []];
}

/**
 * The JSON array that `rowsParam`'s parameters hold, for `jsonb_to_recordset`: `$n` the text,
 * `$n+1` whether it is a whole message.
 */
const itemsOf = (n: number) =>
  `CASE WHEN $${n + 1}::boolean THEN $${n}::jsonb -> 'body' -> 'items' ELSE $${n}::jsonb END`;

/** Where a target goes, with the times and error its result reports. */
export interface TargetMove {
  jobId: string;
  deviceId: string;
  to: TargetStatus;
  startedAt: string;
  finishedAt?: string | undefined;
  error?: ResultError | null | undefined;
}

/** A target's key, `job/device` in lower case: lower-case uuid text sorts as PostgreSQL sorts uuids. */
export const targetKey = (t: { jobId: string; deviceId: string }) =>
  `${t.jobId.toLowerCase()}/${t.deviceId.toLowerCase()}`;

/** `targets` in key order (job, then device), the order every writer of several targets locks them in. */
function inKeyOrder<T extends { jobId: string; deviceId: string }>(targets: readonly T[]): T[] {
  const keyed = targets.map((t) => ({ key: targetKey(t), t }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.t);
}

/**
 * Applies many target moves in one statement (`drm_move_targets`, migration
 * schema/006_target_moves.sql): forward only, never out of a terminal status, as
 * `canTransition` says; a terminal move sets finished_at, a move to running sets started_at;
 * an error given replaces the stored one. With `agentId`, only that agent's targets move.
 *
 * No lock is taken first: the update re-checks a row that another transaction changed while
 * it waited, so a target moved meanwhile is still moved on from where it is now. The moves are
 * sorted here by job, then device, the order every writer of several targets locks them in.
 * Returns how many targets of each job moved.
 */
export async function moveTargets(
  q: Queryable,
  tenantId: string,
  moves: readonly TargetMove[],
  agentId: string | null = null,
): Promise<Map<string, number>> {
  if (moves.length === 0) return new Map();
  const { rows } = await q.query<{ jobId: string; moved: number }>(
    'SELECT job_id AS "jobId", moved FROM drm_move_targets($1, $2, $3::jsonb)',
    [tenantId, agentId, json(inKeyOrder(moves))],
  );
  return new Map(rows.map((r) => [r.jobId.toLowerCase(), r.moved]));
}

/**
 * Locks these targets, in key order, each found by its own primary-key lookup. A batch with
 * parts of split results takes this first: whether a result's last part is in is counted after
 * the batch's own parts are stored, and two batches counting at once, each without the other's
 * uncommitted part, would both leave the target running. With the lock, the later batch waits
 * for the earlier one to commit and then counts its parts too. Locking every target of the
 * batch here, before any move, keeps one lock order for the whole transaction.
 */
export async function lockTargets(
  q: Queryable,
  tenantId: string,
  keys: readonly { jobId: string; deviceId: string }[],
): Promise<void> {
  if (keys.length === 0) return;
  const sorted = inKeyOrder(keys);
  await q.query(
    `SELECT 1 FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS k(job_id, device_id, n)
      CROSS JOIN LATERAL (
            SELECT 1 FROM job_targets
             WHERE tenant_id = $1 AND job_id = k.job_id AND device_id = k.device_id
             LIMIT 1 FOR UPDATE) AS t
      ORDER BY k.n`,
    [tenantId, sorted.map((k) => k.jobId), sorted.map((k) => k.deviceId)],
  );
}

/** A target as stored: the agent it was dispatched to. */
export interface TargetOwner {
  jobId: string;
  deviceId: string;
  agentId: string | null;
}

/**
 * The targets among `keys` that exist in the tenant, with their agents; each found by its own
 * primary-key lookup (the LIMIT keeps the planner from turning the lateral subquery into a
 * join that may hash every target of the tenant). Nothing is locked.
 */
export async function targetOwners(
  q: Queryable,
  tenantId: string,
  keys: readonly { jobId: string; deviceId: string }[],
): Promise<TargetOwner[]> {
  if (keys.length === 0) return [];
  const { rows } = await q.query<TargetOwner>(
    `SELECT t.job_id AS "jobId", t.device_id AS "deviceId", t.agent_id AS "agentId"
       FROM unnest($2::uuid[], $3::uuid[]) AS k(job_id, device_id)
      CROSS JOIN LATERAL (
            SELECT job_id, device_id, agent_id FROM job_targets
             WHERE tenant_id = $1 AND job_id = k.job_id AND device_id = k.device_id
             LIMIT 1) AS t`,
    [tenantId, keys.map((k) => k.jobId), keys.map((k) => k.deviceId)],
  );
  return rows;
}

/** The devices among `ids` that belong to `agentId` in the tenant. */
export async function agentDevices(
  q: Queryable,
  tenantId: string,
  agentId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await q.query<{ id: string }>(
    'SELECT id FROM devices WHERE tenant_id = $1 AND agent_id = $2 AND id = ANY($3::uuid[])',
    [tenantId, agentId, ids],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Inserts result records as the agent sent them (the records themselves are the JSON rows;
 * from the message's text when `source` gives it), skipping ids already stored; returns how
 * many were new.
 */
export async function insertResults(
  q: Queryable,
  tenantId: string,
  agentId: string,
  receivedAt: Date,
  records: readonly ResultRecord[],
  source: ItemsText | null = null,
): Promise<number> {
  if (records.length === 0) return 0;
  const [rows, isMessage, skip] = rowsParam(records, source);
  const { rowCount } = await q.query(
    `INSERT INTO job_results (tenant_id, id, job_id, device_id, agent_id, status, started_at, finished_at,
                              received_at, varbinds, tr181, error, part_index, part_count)
     SELECT $1, r.id, r."jobId", r."deviceId", $2, r.status, r."startedAt", r."finishedAt", $3,
            r.varbinds, r.tr181, r.error, (r.part ->> 'index')::integer, (r.part ->> 'count')::integer
       FROM jsonb_to_recordset(${itemsOf(4)}) AS r(kind text, id uuid, "jobId" uuid, "deviceId" uuid,
            status text, "startedAt" timestamptz, "finishedAt" timestamptz, varbinds jsonb, tr181 jsonb,
            error jsonb, part jsonb)
      WHERE r.kind = 'result' AND r.id <> ALL ($6::uuid[])
     ON CONFLICT (tenant_id, id) DO NOTHING`,
    [tenantId, agentId, receivedAt.toISOString(), rows, isMessage, skip],
  );
  return rowCount;
}

/**
 * Stores whole results and ends their targets in one statement (`drm_store_results`,
 * migrations schema/012 and 013: the targets are moved first, in key order, and the results
 * inserted only when every one of them moved, i.e. is the agent's and still open); returns how
 * many results were new and how many targets of each job moved, or null when that did not
 * hold, in which case nothing was written and the batch goes step by step. Parts of split
 * results are refused the same way.
 */
export async function storeResults(
  q: Queryable,
  tenantId: string,
  agentId: string,
  receivedAt: Date,
  records: readonly ResultRecord[],
  source: ItemsText | null = null,
): Promise<{ inserted: number; moved: Map<string, number> } | null> {
  if (records.length === 0) return { inserted: 0, moved: new Map() };
  const [rows, isMessage, skip] = rowsParam(records, source);
  const { rows: out } = await q.query<{
    stored: boolean;
    inserted: number;
    jobIds: string[] | null;
    moved: number[] | null;
  }>(
    `SELECT stored, inserted, job_ids AS "jobIds", moved
       FROM drm_store_results($1, $2, $3, ${itemsOf(4)}, $6::uuid[])`,
    [tenantId, agentId, receivedAt.toISOString(), rows, isMessage, skip],
  );
  const r = out[0];
  if (!r?.stored) return null;
  const jobIds = r.jobIds ?? [];
  return { inserted: r.inserted, moved: new Map(jobIds.map((id, i) => [id.toLowerCase(), r.moved![i]!])) };
}

/**
 * Inserts poll samples as the agent sent them (the records are the JSON rows; from the
 * message's text when `source` gives it), skipping ids already stored; returns the ids
 * inserted now (lower case).
 */
export async function insertSamples(
  q: Queryable,
  tenantId: string,
  samples: readonly SampleRecord[],
  source: ItemsText | null = null,
): Promise<Set<string>> {
  if (samples.length === 0) return new Set();
  const [rows, isMessage, skip] = rowsParam(samples, source);
  const { rows: inserted } = await q.query<{ id: string }>(
    `INSERT INTO samples (tenant_id, id, device_id, schedule_id, ts, oid, name, value_num, value_text)
     SELECT $1, s.id, s."deviceId", s."scheduleId", s.ts, s.oid, s.name, s."valueNum", s."valueText"
       FROM jsonb_to_recordset(${itemsOf(2)}) AS s(kind text, id uuid, "deviceId" uuid, "scheduleId" uuid,
            ts timestamptz, oid text, name text, "valueNum" double precision, "valueText" text)
      WHERE s.kind = 'sample' AND s.id <> ALL ($4::uuid[])
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [tenantId, rows, isMessage, skip],
  );
  return new Set(inserted.map((r) => r.id.toLowerCase()));
}

/** A split result: the parts stored so far of one (job, device, part count, times). */
export interface PartGroup {
  jobId: string;
  deviceId: string;
  count: number;
  startedAt: string;
  finishedAt: string;
}

export interface PartProgress extends PartGroup {
  stored: number;
  /** The error of the last part that carries one. */
  error: ResultError | null;
}

/** How many distinct parts of each group are stored, grouped as the results API merges them. */
export async function storedParts<G extends PartGroup>(
  q: Queryable,
  tenantId: string,
  groups: readonly G[],
): Promise<(G & PartProgress)[]> {
  if (groups.length === 0) return [];
  const keys = groups.map((g, i) => ({
    i,
    job_id: g.jobId,
    device_id: g.deviceId,
    part_count: g.count,
    started_at: g.startedAt,
    finished_at: g.finishedAt,
  }));
  const { rows } = await q.query<{ i: number; stored: number; error: ResultError | null }>(
    `SELECT k.i, count(DISTINCT r.part_index)::int AS stored,
            (array_agg(r.error ORDER BY r.part_index DESC) FILTER (WHERE r.error IS NOT NULL))[1] AS error
       FROM jsonb_to_recordset($2::jsonb) AS k(i integer, job_id uuid, device_id uuid, part_count integer,
            started_at timestamptz, finished_at timestamptz)
       JOIN job_results r ON r.tenant_id = $1 AND r.job_id = k.job_id AND r.device_id = k.device_id
        AND r.part_count = k.part_count AND r.started_at = k.started_at AND r.finished_at = k.finished_at
      GROUP BY k.i`,
    [tenantId, JSON.stringify(keys)],
  );
  return rows.map((r) => ({ ...groups[r.i]!, stored: r.stored, error: r.error }));
}

/**
 * Marks the agent's targets as stored in its inbox: the (job, device) pairs of `pairs`, and
 * every target of `wholeJobs` (receipts that name no targets). A queued one (its dispatch was
 * not recorded yet) becomes `dispatched`. Each target is found by its own primary-key lookup
 * and locked in key order, however many targets the agent has. Returns the jobs whose targets
 * changed.
 */
export async function receiptTargets(
  q: Queryable,
  tenantId: string,
  agentId: string,
  receipt: { wholeJobs: readonly string[]; pairs: readonly { jobId: string; deviceId: string }[] },
  at: Date,
): Promise<string[]> {
  const keys = [...receipt.pairs];
  if (receipt.wholeJobs.length > 0) {
    const { rows } = await q.query<{ jobId: string; deviceId: string }>(
      `SELECT job_id AS "jobId", device_id AS "deviceId" FROM job_targets
        WHERE tenant_id = $1 AND job_id = ANY($2::uuid[]) AND agent_id = $3`,
      [tenantId, receipt.wholeJobs, agentId],
    );
    keys.push(...rows);
  }
  if (keys.length === 0) return [];
  const sorted = inKeyOrder(keys);
  const { rows } = await q.query<{ jobId: string }>(
    `UPDATE job_targets t SET
        receipted_at = $3,
        status = CASE WHEN t.status = 'queued' THEN 'dispatched' ELSE t.status END,
        dispatched_at = COALESCE(t.dispatched_at, $3)
       FROM (SELECT x.job_id, x.device_id
               FROM unnest($4::uuid[], $5::uuid[]) WITH ORDINALITY AS k(job_id, device_id, n)
              CROSS JOIN LATERAL (
                    SELECT job_id, device_id FROM job_targets
                     WHERE tenant_id = $1 AND job_id = k.job_id AND device_id = k.device_id
                       AND agent_id = $2 AND receipted_at IS NULL
                       AND status IN ('queued', 'dispatched', 'running')
                     LIMIT 1 FOR UPDATE) AS x
              ORDER BY k.n) AS locked
      WHERE t.tenant_id = $1 AND t.job_id = locked.job_id AND t.device_id = locked.device_id
      RETURNING t.job_id AS "jobId"`,
    [tenantId, agentId, at.toISOString(), sorted.map((k) => k.jobId), sorted.map((k) => k.deviceId)],
  );
  return [...new Set(rows.map((r) => r.jobId.toLowerCase()))].sort();
}

/**
 * Stores a trap once (its id is the agent's). The device is kept only when it is one of
 * this agent's; the summary is the trap's MIB name when the catalogue knows its OID.
 */
export async function insertTrap(
  q: Queryable,
  tenantId: string,
  agentId: string,
  trap: TrapEvent,
  receivedAt: Date,
): Promise<boolean> {
  const host = trap.source.address.includes(':') ? `[${trap.source.address}]` : trap.source.address;
  const { rowCount } = await q.query(
    `INSERT INTO events (tenant_id, id, agent_id, device_id, kind, received_at, source, trap_oid, summary, payload)
     VALUES ($1, $2, $3,
             (SELECT d.id FROM devices d WHERE d.tenant_id = $1 AND d.id = $4::uuid AND d.agent_id = $3),
             $5, $6, $7, $8::text, COALESCE((SELECT m.name FROM mib_objects m WHERE m.oid = $8::text), $8::text),
             $9::jsonb)
     ON CONFLICT (tenant_id, id) DO NOTHING`,
    [
      tenantId,
      trap.id,
      agentId,
      trap.deviceId ?? null,
      trap.pdu,
      receivedAt.toISOString(),
      `${host}:${trap.source.port}`,
      trap.trapOid,
      json(trap),
    ],
  );
  return rowCount > 0;
}

/**
 * Records a revision the agent stored. A revision above the hub's own means the hub's
 * database went back in time (a restore): the hub's revision then jumps past the agent's, so
 * that the agent, which ignores lower revisions, takes the next push. Returns that new revision.
 */
export async function ackConfigRevision(
  q: Queryable,
  tenantId: string,
  agentId: string,
  revision: number,
): Promise<{ found: boolean; raisedTo: number | null }> {
  const { rows } = await q.query<{ before: number; after: number }>(
    `UPDATE agents a SET
        acked_config_revision = GREATEST(a.acked_config_revision, $3),
        config_revision = CASE WHEN $3 > a.config_revision THEN $3 + 1 ELSE a.config_revision END
       FROM (SELECT id, config_revision FROM agents WHERE tenant_id = $1 AND id = $2 FOR UPDATE) AS b
      WHERE a.tenant_id = $1 AND a.id = b.id
      RETURNING b.config_revision AS before, a.config_revision AS after`,
    [tenantId, agentId, revision],
  );
  const row = rows[0];
  if (!row) return { found: false, raisedTo: null };
  return { found: true, raisedTo: row.after !== row.before ? row.after : null };
}
