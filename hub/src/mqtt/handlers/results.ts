import type {
  ResultAck,
  ResultError,
  ResultItem,
  ResultRecord,
  SampleRecord,
  TargetStatus,
} from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { advanceJobStatus, recomputeJobStatus } from '../../modules/jobs/state.js';
import * as repo from '../ingest/repo.js';
import type { InboundContext, InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

type Rejection = NonNullable<ResultAck['rejected']>[number];

interface BatchOutcome {
  committed: string[];
  rejected: Rejection[];
  inserted: { results: number; samples: number };
  accepted: { results: number; samples: number };
  /** Jobs whose targets moved, and samples newly stored: for live views, after the commit. */
  jobsChanged: string[];
  samplesStored: SampleRecord[];
  /** How the batch's results were stored; null when it had none. */
  path: 'one-statement' | 'step-by-step' | null;
}

/** A failed result whose error says cancelled or expired ends the target in that status. */
function targetStatusOf(status: ResultRecord['status'], error: ResultError | null | undefined): TargetStatus {
  if (status === 'failed' && (error?.code === 'cancelled' || error?.code === 'expired')) return error.code;
  return status;
}

/** Keeps the first of repeated ids: a batch may carry an item twice after an outbox hiccup. */
function uniqueById(items: readonly ResultItem[]): ResultItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = item.id.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Only targets that exist in this tenant and were dispatched to the sending agent take its
 * results. The batch's targets are moved here, first: a whole result moves its target to its
 * end status, a part to `running` (the last part ends it, in `settleParts`; a batch with parts
 * locks its targets before anything else, see `lockTargets`). When every claim
 * moved its target, all were the sender's; otherwise the targets are looked up to tell a
 * replay (a target already where the result would move it) from a target that does not exist
 * or is another agent's. Narrows `batch.results` to the authorized ones; returns the jobs
 * whose targets moved.
 */
async function claimTargets(q: Queryable, tenantId: string, batch: Batch): Promise<Set<string>> {
  const claims = new Map<string, repo.TargetMove>();
  for (const r of batch.results) {
    const key = repo.targetKey(r);
    // A whole result's move wins over a part's.
    if (claims.has(key) && (r.part || claims.get(key)!.to !== 'running')) continue;
    claims.set(key, {
      jobId: r.jobId,
      deviceId: r.deviceId,
      to: r.part ? 'running' : targetStatusOf(r.status, r.error),
      startedAt: r.startedAt,
      ...(!r.part && { finishedAt: r.finishedAt, error: r.error }),
    });
  }
  const agentId = batch.ctx.agentId.toLowerCase();
  const targets = [...claims.values()];
  if (batch.results.some((r) => r.part)) await repo.lockTargets(q, tenantId, targets);
  const moved = await repo.moveTargets(q, tenantId, targets, agentId);
  const jobsMoved = new Set(moved.keys());
  let movedCount = 0;
  for (const n of moved.values()) movedCount += n;
  if (movedCount === claims.size) return jobsMoved;
  const owners = await repo.targetOwners(q, tenantId, targets);
  const ownerOf = new Map(owners.map((t) => [repo.targetKey(t), t.agentId?.toLowerCase()]));
  batch.results = batch.results.filter((r) => {
    const key = repo.targetKey(r);
    const reason = !ownerOf.has(key)
      ? `no job ${r.jobId} with target ${r.deviceId} in this tenant`
      : ownerOf.get(key) !== agentId
        ? `job ${r.jobId} target ${r.deviceId} is not assigned to this agent`
        : null;
    if (reason) batch.rejected.push({ id: r.id, reason });
    return reason === null;
  });
  return jobsMoved;
}

/** Samples are taken only for devices of the sending agent. */
async function authorizeSamples(q: Queryable, tenantId: string, batch: Batch): Promise<void> {
  if (batch.samples.length === 0) return;
  const ids = [...new Set(batch.samples.map((s) => s.deviceId.toLowerCase()))];
  const devices = await repo.agentDevices(q, tenantId, batch.ctx.agentId, ids);
  batch.samples = batch.samples.filter((s) => {
    const ok = devices.has(s.deviceId.toLowerCase());
    if (!ok)
      batch.rejected.push({ id: s.id, reason: `device ${s.deviceId} is not one of this agent's devices` });
    return ok;
  });
}

/**
 * Ends the targets whose split results are complete with the parts of this batch stored: once
 * every part of a result is stored, its target ends as the result did (a replayed last part
 * finds its target already ended, and moves nothing). Returns the jobs whose targets moved.
 */
async function settleParts(q: Queryable, tenantId: string, results: ResultRecord[]): Promise<string[]> {
  const groups = new Map<string, repo.PartGroup & { status: ResultRecord['status'] }>();
  for (const r of results) {
    if (!r.part) continue;
    const times = { startedAt: r.startedAt, finishedAt: r.finishedAt };
    const group = { jobId: r.jobId, deviceId: r.deviceId, count: r.part.count, ...times, status: r.status };
    groups.set(`${repo.targetKey(r)}/${r.part.count}/${r.startedAt}/${r.finishedAt}`, group);
  }
  if (groups.size === 0) return [];
  const moves: repo.TargetMove[] = [];
  for (const p of await repo.storedParts(q, tenantId, [...groups.values()])) {
    if (p.stored < p.count) continue;
    const { jobId, deviceId, startedAt, finishedAt } = p;
    moves.push({
      jobId,
      deviceId,
      to: targetStatusOf(p.status, p.error),
      startedAt,
      finishedAt,
      error: p.error,
    });
  }
  return [...(await repo.moveTargets(q, tenantId, moves)).keys()];
}

/** One `results` message on its way through its transaction. */
interface Batch {
  ctx: InboundContext;
  items: ResultItem[];
  /** Narrowed to the authorized ones as the steps go. */
  results: ResultRecord[];
  samples: SampleRecord[];
  rejected: Rejection[];
  /**
   * The message's text when it holds exactly these items (validated, none repeated) and can go
   * to PostgreSQL as it is.
   */
  text: string | null;
}

function batchOf(ctx: InboundContext, items: ResultItem[], text: string | null): Batch {
  return {
    ctx,
    items,
    text,
    results: items.filter((i): i is ResultRecord => i.kind === 'result'),
    samples: items.filter((i): i is SampleRecord => i.kind === 'sample'),
    rejected: [],
  };
}

/** The steps of one batch in its transaction: authorize, persist, settle targets, recompute jobs. */
async function ingestBatch(q: Queryable, tenantId: string, batch: Batch): Promise<BatchOutcome> {
  const { agentId, receivedAt } = batch.ctx;
  const hadResults = batch.results.length > 0;
  const source = () =>
    batch.text === null ? null : { message: batch.text, skip: batch.rejected.map((r) => r.id) };
  // The usual batch, whole results of open targets of the sender, in one statement; anything
  // else (parts, replays, targets not the sender's) step by step.
  const whole = batch.results.some((r) => r.part)
    ? null
    : await repo.storeResults(q, tenantId, agentId, receivedAt, batch.results, source());
  const jobsMoved = whole ? new Set(whole.moved.keys()) : await claimTargets(q, tenantId, batch);
  await authorizeSamples(q, tenantId, batch);
  const insertedResults =
    whole?.inserted ?? (await repo.insertResults(q, tenantId, agentId, receivedAt, batch.results, source()));
  const insertedSamples = await repo.insertSamples(q, tenantId, batch.samples, source());
  for (const jobId of await settleParts(q, tenantId, batch.results)) jobsMoved.add(jobId.toLowerCase());
  // Each job once, in id order: the order every writer locks job rows in.
  const jobsChanged = [...jobsMoved].sort();
  for (const jobId of jobsChanged) {
    // Targets that only ended (the one-statement path) move the job on by their number, unless
    // they finish it; anything else is counted again from the targets.
    const ended = whole?.moved.get(jobId);
    if (ended && (await advanceJobStatus(q, tenantId, jobId, ended))) continue;
    await recomputeJobStatus(q, tenantId, jobId);
  }
  const refused = new Set(batch.rejected.map((r) => r.id));
  const freshSamples = batch.samples.filter((s) => insertedSamples.has(s.id.toLowerCase()));
  return {
    // Already-stored ids are committed too: the agent lost our earlier ack and must still delete them.
    committed: batch.items.filter((item) => !refused.has(item.id)).map((item) => item.id),
    rejected: batch.rejected,
    inserted: { results: insertedResults, samples: freshSamples.length },
    accepted: { results: batch.results.length, samples: batch.samples.length },
    jobsChanged,
    samplesStored: freshSamples,
    path: !hadResults ? null : whole ? 'one-statement' : 'step-by-step',
  };
}

/**
 * `results`: one transaction per batch, then the application-level ack naming what is now
 * committed and what is refused for good. A batch that fails to commit is not acked: the
 * agent keeps it in its outbox and sends it again. (Storing the batches that arrive together in
 * one transaction was measured, for one agent and for ten of a tenant, and gained nothing:
 * bench/README.md.)
 */
export function resultsHandler(deps: HandlerDeps): InboundHandler<'results'> {
  return async (message, ctx) => {
    const items = uniqueById(message.body.items);
    // The rows are stored from the message's own text when it holds exactly these items and
    // PostgreSQL takes it as it is; checked once here for every statement of the batch.
    const exact = items.length === message.body.items.length ? (ctx.payloadText?.() ?? null) : null;
    const text = exact !== null && repo.storableAsText(exact) ? exact : null;
    const outcome = await deps.db.withTenant(ctx.tenantId, (q) =>
      ingestBatch(q, ctx.tenantId, batchOf(ctx, items, text)),
    );
    const { metrics } = deps;
    for (const jobId of outcome.jobsChanged) deps.live?.jobChanged(ctx.tenantId, jobId);
    if (outcome.samplesStored.length > 0) deps.live?.samplesStored(ctx.tenantId, outcome.samplesStored);
    metrics.rows.inc({ table: 'job_results' }, outcome.inserted.results);
    metrics.rows.inc({ table: 'samples' }, outcome.inserted.samples);
    metrics.duplicates.inc({ table: 'job_results' }, outcome.accepted.results - outcome.inserted.results);
    metrics.duplicates.inc({ table: 'samples' }, outcome.accepted.samples - outcome.inserted.samples);
    if (outcome.path) metrics.resultBatches.inc({ path: outcome.path });
    if (outcome.rejected.length > 0) {
      const kindOf = new Map(items.map((i) => [i.id, i.kind]));
      for (const r of outcome.rejected) metrics.rejected.inc({ kind: kindOf.get(r.id) ?? 'result' });
      ctx.log.info(
        { batchId: message.id, rejected: outcome.rejected.length, first: outcome.rejected[0] },
        'result items rejected',
      );
    }
    const ack: ResultAck = {
      batchId: message.id,
      committed: outcome.committed,
      ...(outcome.rejected.length > 0 && { rejected: outcome.rejected }),
    };
    await deps.mqtt.publish(ctx.tenantId, ctx.agentId, 'ack', ack);
    ctx.log.debug(
      { batchId: message.id, committed: ack.committed.length, ...outcome.inserted },
      'result batch committed',
    );
  };
}
