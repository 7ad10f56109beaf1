import { recomputeJobStatus } from '../../modules/jobs/service.js';
import { receiptTargets } from '../ingest/repo.js';
import type { InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

/**
 * `receipts`: the agent has these targets in its SQLite inbox, so they need no re-sending. Only
 * this agent's targets are touched; a receipt for a job it was never sent changes nothing.
 * A job named with its targets is receipted for those only (the agent stored one part of a
 * split job); a job named without them, whole.
 */
export function receiptsHandler(deps: Pick<HandlerDeps, 'db' | 'live'>): InboundHandler<'receipts'> {
  return async (message, ctx) => {
    const { tenantId, agentId } = ctx;
    const { jobIds, targets = [] } = message.body;
    const withTargets = new Set(targets.map((t) => t.jobId.toLowerCase()));
    const wholeJobs = [...new Set(jobIds.map((id) => id.toLowerCase()))].filter((id) => !withTargets.has(id));
    const pairs = targets.flatMap((t) =>
      t.deviceIds.map((deviceId) => ({ jobId: t.jobId.toLowerCase(), deviceId: deviceId.toLowerCase() })),
    );
    const changed = await deps.db.withTenant(tenantId, async (q) => {
      const jobs = await receiptTargets(q, tenantId, agentId, { wholeJobs, pairs }, ctx.receivedAt);
      for (const jobId of jobs) await recomputeJobStatus(q, tenantId, jobId);
      return jobs;
    });
    for (const jobId of changed) deps.live?.jobChanged(tenantId, jobId);
    ctx.log.debug(
      { jobs: jobIds.length, targets: pairs.length, changed: changed.length },
      'job receipts stored',
    );
  };
}
