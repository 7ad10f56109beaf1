import { recomputeJobStatus } from '../../modules/jobs/service.js';
import { receiptTargets } from '../ingest/repo.js';
import type { InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

/**
 * `receipts`: the agent has these jobs in its SQLite inbox, so they need no re-sending. Only
 * this agent's targets are touched; a receipt for a job it was never sent changes nothing.
 */
export function receiptsHandler(deps: Pick<HandlerDeps, 'db' | 'live'>): InboundHandler<'receipts'> {
  return async (message, ctx) => {
    const { tenantId, agentId } = ctx;
    const jobIds = [...new Set(message.body.jobIds.map((id) => id.toLowerCase()))];
    const changed = await deps.db.withTenant(tenantId, async (q) => {
      const jobs = await receiptTargets(q, tenantId, agentId, jobIds, ctx.receivedAt);
      for (const jobId of jobs) await recomputeJobStatus(q, tenantId, jobId);
      return jobs;
    });
    for (const jobId of changed) deps.live?.jobChanged(tenantId, jobId);
    ctx.log.debug({ jobs: jobIds.length, changed: changed.length }, 'job receipts stored');
  };
}
