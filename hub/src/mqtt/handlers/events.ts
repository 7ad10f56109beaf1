import type { ResultAck } from '@drm/protocol';
import { insertTrap } from '../ingest/repo.js';
import type { InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

/**
 * `events`: a trap or inform the agent received, stored once per agent-made id. It is dated
 * by the agent's receive time (it may have waited in the agent while the uplink was down),
 * but never later than the hub's, so a fast agent clock cannot date it in the future.
 * After the commit, the `ack` names the event, and the agent deletes it from its queue; a
 * replay is acked again (the agent lost the first ack). A failed commit sends no ack, so the
 * agent sends the event again.
 */
export function eventsHandler(
  deps: Pick<HandlerDeps, 'db' | 'metrics' | 'live' | 'mqtt'>,
): InboundHandler<'events'> {
  return async (message, ctx) => {
    const trap = message.body;
    const agentTime = new Date(trap.receivedAt);
    const at = agentTime < ctx.receivedAt ? agentTime : ctx.receivedAt;
    const inserted = await deps.db.withTenant(ctx.tenantId, (q) =>
      insertTrap(q, ctx.tenantId, ctx.agentId, trap, at),
    );
    if (inserted) {
      deps.metrics.rows.inc({ table: 'events' });
      deps.live?.trapStored(ctx.tenantId, trap.id);
    } else deps.metrics.duplicates.inc({ table: 'events' });
    const ack: ResultAck = { batchId: message.id, committed: [trap.id] };
    await deps.mqtt.publish(ctx.tenantId, ctx.agentId, 'ack', ack);
  };
}
