import type { AgentToHubChannel, ChannelMessage } from '@drm/protocol';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/types.js';
import { insertAgentEvent } from '../modules/agents/repo.js';
import { applyStatus, markOffline, type PresenceState, touchLastSeen } from './presence-repo.js';
import type { AgentIdentity, InboundContext } from './types.js';

export interface PresenceOptions {
  db: Pick<Db, 'withTenant'>;
  log: Logger;
  /** At most one `last_seen_at` write per agent in this interval; default 5 s. */
  touchIntervalMs?: number;
}

/**
 * Agent presence in the `agents` table: `status` messages (with the last will), connections
 * that end without one, and `last_seen_at` from any message. Writes for one agent are applied
 * in the order they were taken, so a late `offline` cannot overtake the `online` after it.
 */
export class Presence {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly touched = new Map<string, number>();
  private readonly touches = new Set<Promise<void>>();
  private readonly touchIntervalMs: number;
  private readonly changeListeners: ((who: AgentIdentity) => void)[] = [];

  constructor(private readonly opts: PresenceOptions) {
    this.touchIntervalMs = opts.touchIntervalMs ?? 5_000;
  }

  /** Called after a presence change was committed (status message, connection ended), e.g. for live views. */
  onChange(listener: (who: AgentIdentity) => void): void {
    this.changeListeners.push(listener);
  }

  /** The `status` handler. The hub's receive time is the last-seen time, never the agent's clock. */
  readonly onStatus = (message: ChannelMessage<'status'>, ctx: InboundContext): Promise<void> => {
    const body = message.body;
    return this.serial(ctx, async () => {
      const previous = await this.opts.db.withTenant(ctx.tenantId, async (q) => {
        const before = await applyStatus(q, ctx.agentId, {
          state: body.state,
          seenAt: ctx.receivedAt,
          version: body.version,
          outbox: body.outbox && {
            count: body.outbox.count,
            bytes: body.outbox.bytes,
            oldestAt: body.outbox.oldestAt ? new Date(body.outbox.oldestAt) : null,
            dropped: body.outbox.dropped,
          },
          // A last will is composed at connect time: only `online` is sure to be current.
          heldConfigRevision:
            body.state === 'online' && body.configRevision >= 0 ? body.configRevision : undefined,
        });
        if (before !== null && before !== body.state) {
          await recordTransition(q, ctx.tenantId, ctx.agentId, body.state, { version: body.version });
        }
        return before;
      });
      if (previous === null) {
        ctx.log.warn('status from an agent that is not in the database');
        return;
      }
      if (previous !== body.state) ctx.log.info({ state: body.state }, `agent ${body.state}`);
      this.changed(ctx);
    });
  };

  /** The connection ended; `offline` unless a `status` already said so. */
  disconnected(who: AgentIdentity, at: Date): Promise<void> {
    this.touched.delete(keyOf(who));
    return this.serial(who, async () => {
      const previous = await this.opts.db.withTenant(who.tenantId, async (q) => {
        const before = await markOffline(q, who.agentId, at);
        if (before === 'online') {
          await recordTransition(q, who.tenantId, who.agentId, 'offline', { reason: 'connection ended' });
          this.opts.log.info(who, 'agent offline (connection ended)');
        }
        return before;
      });
      if (previous !== null) this.changed(who);
    }).catch((err: unknown) => this.opts.log.warn({ err, ...who }, 'could not mark agent offline'));
  }

  /** Any message proves the agent alive; written at most once per interval per agent. */
  seen(who: AgentIdentity, channel: AgentToHubChannel, at: Date): void {
    if (channel === 'status') return; // the status handler writes it anyway
    const key = keyOf(who);
    const last = this.touched.get(key);
    if (last !== undefined && at.getTime() - last < this.touchIntervalMs) return;
    this.touched.set(key, at.getTime());
    const task = this.opts.db
      .withTenant(who.tenantId, (q) => touchLastSeen(q, who.agentId, at))
      .catch((err: unknown) => this.opts.log.warn({ err, ...who }, 'could not update last_seen_at'));
    this.touches.add(task);
    void task.finally(() => this.touches.delete(task));
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.tails.values(), ...this.touches]);
  }

  private changed(who: AgentIdentity): void {
    const agent = { tenantId: who.tenantId, agentId: who.agentId };
    for (const listener of this.changeListeners) {
      try {
        listener(agent);
      } catch (err) {
        this.opts.log.error({ err, ...agent }, 'presence change listener failed');
      }
    }
  }

  private serial(who: AgentIdentity, step: () => Promise<void>): Promise<void> {
    const key = keyOf(who);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(step);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

async function recordTransition(
  q: Queryable,
  tenantId: string,
  agentId: string,
  state: PresenceState,
  payload: Record<string, unknown>,
): Promise<void> {
  await insertAgentEvent(q, tenantId, {
    agentId,
    kind: `agent.${state}`,
    summary: state === 'online' ? 'agent came online' : 'agent went offline',
    payload,
  });
}

function keyOf(who: AgentIdentity): string {
  return `${who.tenantId}/${who.agentId}`;
}
