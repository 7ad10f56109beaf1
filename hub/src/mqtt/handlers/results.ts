import type {
  ResultAck,
  ResultError,
  ResultItem,
  ResultRecord,
  SampleRecord,
  TargetStatus,
} from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { recomputeJobStatus } from '../../modules/jobs/service.js';
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
}

const pairKey = (jobId: string, deviceId: string) => `${jobId.toLowerCase()}/${deviceId.toLowerCase()}`;

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
 * Only targets that exist in this tenant and were dispatched to this agent take its results.
 * The targets are locked here, first and in key order, for the moves that follow.
 */
async function authorizeResults(
  q: Queryable,
  ctx: InboundContext,
  results: ResultRecord[],
  rejected: Rejection[],
): Promise<ResultRecord[]> {
  const pairs = new Map(results.map((r) => [pairKey(r.jobId, r.deviceId), r]));
  const owners = await repo.lockTargets(q, ctx.tenantId, [...pairs.values()]);
  const ownerOf = new Map(owners.map((o) => [pairKey(o.jobId, o.deviceId), o.agentId]));
  return results.filter((r) => {
    const key = pairKey(r.jobId, r.deviceId);
    const reason = !ownerOf.has(key)
      ? `no job ${r.jobId} with target ${r.deviceId} in this tenant`
      : ownerOf.get(key)?.toLowerCase() !== ctx.agentId.toLowerCase()
        ? `job ${r.jobId} target ${r.deviceId} is not assigned to this agent`
        : null;
    if (reason) rejected.push({ id: r.id, reason });
    return reason === null;
  });
}

async function authorizeSamples(
  q: Queryable,
  ctx: InboundContext,
  samples: SampleRecord[],
  rejected: Rejection[],
): Promise<SampleRecord[]> {
  const ids = [...new Set(samples.map((s) => s.deviceId.toLowerCase()))];
  const mine = await repo.agentDevices(q, ctx.tenantId, ctx.agentId, ids);
  return samples.filter((s) => {
    const ok = mine.has(s.deviceId.toLowerCase());
    if (!ok) rejected.push({ id: s.id, reason: `device ${s.deviceId} is not one of this agent's devices` });
    return ok;
  });
}

/**
 * Moves the targets of newly stored results: a whole result finishes its target; a part
 * finishes it once every part is stored, and until then marks it running. All moves go in one
 * statement (the rows are locked already), then each job is recomputed once, in id order.
 */
async function settleTargets(q: Queryable, tenantId: string, fresh: ResultRecord[]): Promise<string[]> {
  const moves = new Map<string, repo.TargetMove>();
  const groups = new Map<string, repo.PartGroup & { status: ResultRecord['status'] }>();
  for (const r of fresh) {
    const key = pairKey(r.jobId, r.deviceId);
    const times = { startedAt: r.startedAt, finishedAt: r.finishedAt };
    if (!r.part) {
      const to = targetStatusOf(r.status, r.error);
      moves.set(key, { jobId: r.jobId, deviceId: r.deviceId, to, ...times, error: r.error });
      continue;
    }
    const group = { jobId: r.jobId, deviceId: r.deviceId, count: r.part.count, ...times, status: r.status };
    groups.set(`${key}/${r.part.count}/${r.startedAt}/${r.finishedAt}`, group);
  }
  const progress = await repo.storedParts(q, tenantId, [...groups.values()]);
  for (const p of progress) {
    const key = pairKey(p.jobId, p.deviceId);
    const { jobId, deviceId, startedAt } = p;
    if (p.stored >= p.count) {
      const to = targetStatusOf(p.status, p.error);
      moves.set(key, { jobId, deviceId, to, startedAt, finishedAt: p.finishedAt, error: p.error });
    } else if (!moves.has(key)) {
      moves.set(key, { jobId, deviceId, to: 'running', startedAt });
    }
  }
  const jobs = await repo.moveTargets(q, tenantId, [...moves.values()]);
  for (const jobId of jobs) await recomputeJobStatus(q, tenantId, jobId);
  return jobs;
}

/** Steps of one batch inside its transaction: authorize, persist, settle targets. */
async function ingestBatch(q: Queryable, ctx: InboundContext, items: ResultItem[]): Promise<BatchOutcome> {
  const rejected: Rejection[] = [];
  const results = items.filter((i): i is ResultRecord => i.kind === 'result');
  const samples = items.filter((i): i is SampleRecord => i.kind === 'sample');
  const okResults = await authorizeResults(q, ctx, results, rejected);
  const okSamples = await authorizeSamples(q, ctx, samples, rejected);
  const inserted = await repo.insertResults(q, ctx.tenantId, ctx.agentId, ctx.receivedAt, okResults);
  const samplesInserted = await repo.insertSamples(q, ctx.tenantId, okSamples);
  const jobsChanged = await settleTargets(
    q,
    ctx.tenantId,
    okResults.filter((r) => inserted.has(r.id.toLowerCase())),
  );
  const refused = new Set(rejected.map((r) => r.id));
  return {
    // Already-stored ids are committed too: the agent lost our earlier ack and must still delete them.
    committed: items.filter((i) => !refused.has(i.id)).map((i) => i.id),
    rejected,
    inserted: { results: inserted.size, samples: samplesInserted },
    accepted: { results: okResults.length, samples: okSamples.length },
    jobsChanged,
    // A replayed batch stores nothing new; a partly replayed one may repeat a few samples live.
    samplesStored: samplesInserted > 0 ? okSamples : [],
  };
}

/**
 * `results`: one transaction per batch, then the application-level ack naming what is now
 * committed and what is refused for good. A batch that fails to commit is not acked: the
 * agent keeps it in its outbox and sends it again.
 */
export function resultsHandler(deps: HandlerDeps): InboundHandler<'results'> {
  return async (message, ctx) => {
    const items = uniqueById(message.body.items);
    const outcome = await deps.db.withTenant(ctx.tenantId, (q) => ingestBatch(q, ctx, items));
    const { metrics } = deps;
    for (const jobId of outcome.jobsChanged) deps.live?.jobChanged(ctx.tenantId, jobId);
    if (outcome.samplesStored.length > 0) deps.live?.samplesStored(ctx.tenantId, outcome.samplesStored);
    metrics.rows.inc({ table: 'job_results' }, outcome.inserted.results);
    metrics.rows.inc({ table: 'samples' }, outcome.inserted.samples);
    metrics.duplicates.inc({ table: 'job_results' }, outcome.accepted.results - outcome.inserted.results);
    metrics.duplicates.inc({ table: 'samples' }, outcome.accepted.samples - outcome.inserted.samples);
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
