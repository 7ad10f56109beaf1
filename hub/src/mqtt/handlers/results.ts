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
import { GroupCommit } from '../ingest/group-commit.js';
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
 * Only targets that exist in this tenant and were dispatched to the sending agent take its
 * results. The targets of the whole group are locked here, first, in one statement and in key
 * order, for the moves that follow.
 */
async function authorizeResults(q: Queryable, tenantId: string, batches: Batch[]): Promise<void> {
  const pairs = new Map<string, { jobId: string; deviceId: string }>();
  for (const b of batches) for (const r of b.results) pairs.set(pairKey(r.jobId, r.deviceId), r);
  const owners = await repo.lockTargets(q, tenantId, [...pairs.values()]);
  const ownerOf = new Map(owners.map((o) => [pairKey(o.jobId, o.deviceId), o.agentId?.toLowerCase()]));
  for (const b of batches) {
    const agentId = b.ctx.agentId.toLowerCase();
    b.results = b.results.filter((r) => {
      const key = pairKey(r.jobId, r.deviceId);
      const reason = !ownerOf.has(key)
        ? `no job ${r.jobId} with target ${r.deviceId} in this tenant`
        : ownerOf.get(key) !== agentId
          ? `job ${r.jobId} target ${r.deviceId} is not assigned to this agent`
          : null;
      if (reason) b.rejected.push({ id: r.id, reason });
      return reason === null;
    });
  }
}

/** Samples are taken only for devices of the sending agent: one query per agent of the group. */
async function authorizeSamples(q: Queryable, tenantId: string, batches: Batch[]): Promise<void> {
  const byAgent = new Map<string, Batch[]>();
  for (const b of batches) {
    if (b.samples.length === 0) continue;
    const agentId = b.ctx.agentId.toLowerCase();
    byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), b]);
  }
  for (const [agentId, mine] of byAgent) {
    const ids = [...new Set(mine.flatMap((b) => b.samples.map((s) => s.deviceId.toLowerCase())))];
    const devices = await repo.agentDevices(q, tenantId, agentId, ids);
    for (const b of mine) {
      b.samples = b.samples.filter((s) => {
        const ok = devices.has(s.deviceId.toLowerCase());
        if (!ok)
          b.rejected.push({ id: s.id, reason: `device ${s.deviceId} is not one of this agent's devices` });
        return ok;
      });
    }
  }
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

/** One `results` message on its way through a group's transaction. */
interface Batch {
  ctx: InboundContext;
  items: ResultItem[];
  /** Narrowed to the authorized ones as the steps go. */
  results: ResultRecord[];
  samples: SampleRecord[];
  rejected: Rejection[];
}

function batchOf(ctx: InboundContext, items: ResultItem[]): Batch {
  return {
    ctx,
    items,
    results: items.filter((i): i is ResultRecord => i.kind === 'result'),
    samples: items.filter((i): i is SampleRecord => i.kind === 'sample'),
    rejected: [],
  };
}

/**
 * The steps of a group of batches of one tenant, in one transaction: authorize, persist,
 * settle targets (each job recomputed once for the whole group). An item id sent twice in the
 * group (an agent re-sending a batch it has no ack for yet) is stored once and committed to
 * both.
 */
async function ingestGroup(q: Queryable, tenantId: string, batches: Batch[]): Promise<BatchOutcome[]> {
  await authorizeResults(q, tenantId, batches);
  await authorizeSamples(q, tenantId, batches);
  const seen = new Set<string>();
  const firstSeen = <T extends { id: string }>(item: T) => {
    const id = item.id.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  // Each batch's share of what is written: its items not already in an earlier batch.
  const shares = batches.map((b) => ({
    results: b.results.filter(firstSeen),
    samples: b.samples.filter(firstSeen),
  }));
  const results = batches.flatMap((b, i) =>
    shares[i]!.results.map((record) => ({ record, agentId: b.ctx.agentId, receivedAt: b.ctx.receivedAt })),
  );
  const insertedResults = await repo.insertResults(q, tenantId, results);
  const insertedSamples = await repo.insertSamples(
    q,
    tenantId,
    shares.flatMap((share) => share.samples),
  );
  const isNew = (set: Set<string>) => (item: { id: string }) => set.has(item.id.toLowerCase());
  const jobsChanged = await settleTargets(
    q,
    tenantId,
    results.map((r) => r.record).filter(isNew(insertedResults)),
  );
  return batches.map((b, i) => {
    const refused = new Set(b.rejected.map((r) => r.id));
    const freshSamples = shares[i]!.samples.filter(isNew(insertedSamples));
    return {
      // Already-stored ids are committed too: the agent lost our earlier ack and must still delete them.
      committed: b.items.filter((item) => !refused.has(item.id)).map((item) => item.id),
      rejected: b.rejected,
      inserted: {
        results: shares[i]!.results.filter(isNew(insertedResults)).length,
        samples: freshSamples.length,
      },
      accepted: { results: b.results.length, samples: b.samples.length },
      // The group's job changes are told once, with its first batch.
      jobsChanged: i === 0 ? jobsChanged : [],
      samplesStored: freshSamples,
    };
  });
}

/** A group stops growing at this many items: eight batches of the agent's usual 500. */
const GROUP_MAX_ITEMS = 4000;

/**
 * `results`: each batch is stored in a transaction, together with the batches of the same
 * tenant that arrived while the previous transaction ran (`GroupCommit`), then acked on its
 * own: the application-level ack names what is now committed and what is refused for good. A
 * batch that fails to commit is not acked: the agent keeps it in its outbox and sends it again.
 */
export function resultsHandler(deps: HandlerDeps): InboundHandler<'results'> {
  const groups = new GroupCommit<Batch, BatchOutcome>(
    (tenantId, batches) => deps.db.withTenant(tenantId, (q) => ingestGroup(q, tenantId, batches)),
    { maxItems: GROUP_MAX_ITEMS, sizeOf: (b) => b.items.length },
  );
  return async (message, ctx) => {
    const items = uniqueById(message.body.items);
    const outcome = await groups.submit(ctx.tenantId.toLowerCase(), batchOf(ctx, items));
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
