import { insertAgentEvent } from '../../modules/agents/repo.js';
import { ackConfigRevision } from '../ingest/repo.js';
import type { InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

/**
 * `config-ack`: the agent stored a revision (recorded, so a reconnect need not push it
 * again) or refused one (logged, and kept in the tenant's event log for operators).
 */
export function configAckHandler(
  deps: Pick<HandlerDeps, 'db' | 'pushConfig' | 'live' | 'finishRotation'>,
): InboundHandler<'config-ack'> {
  return async (message, ctx) => {
    const { tenantId, agentId } = ctx;
    const { revision, ok, error, rotationId } = message.body;
    if (!ok) {
      ctx.log.warn({ revision, reason: error }, 'agent refused its config');
      await deps.db.withTenant(tenantId, (q) =>
        insertAgentEvent(q, tenantId, {
          agentId,
          kind: 'agent.config-refused',
          summary: `agent refused config revision ${revision}`,
          payload: { revision, ...(error !== undefined && { error }) },
        }),
      );
      return;
    }
    const acked = await deps.db.withTenant(tenantId, (q) =>
      ackConfigRevision(q, tenantId, agentId, revision),
    );
    if (acked.found) deps.live?.agentChanged(tenantId, agentId);
    // The agent holds the new MQTT password of this rotation (stored before it acknowledged).
    if (acked.found && rotationId) await deps.finishRotation?.(tenantId, agentId, rotationId);
    if (acked.raisedTo === null) return;
    ctx.log.warn(
      { revision, raisedTo: acked.raisedTo },
      "agent holds a config revision above the hub's; pushing a higher one",
    );
    await deps.pushConfig?.(tenantId, agentId);
  };
}
