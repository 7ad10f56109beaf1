import { isTerminalStatus, type ProgressEvent, type TargetStatus } from '@drm/protocol';
import { applyTargetTransition } from '../../modules/jobs/service.js';
import { markJobRunning } from '../../modules/jobs/state.js';
import type { InboundContext, InboundHandler } from '../types.js';
import type { HandlerDeps } from './deps.js';

/** At most one progress write per target in this window; state changes are never held back. */
export const PROGRESS_WRITE_INTERVAL_MS = 1000;
/** Past this many tracked targets, entries idle for a minute are dropped. */
const MAX_TRACKED = 10_000;
const IDLE_MS = 60_000;

/**
 * When each target's progress was last written, keyed by tenant, agent, job and device. An
 * entry exists only after the target was checked to belong to that agent, so a throttled event
 * can be fanned out without a database read.
 */
class ProgressThrottle {
  readonly #lastWrite = new Map<string, number>();

  key(ctx: InboundContext, e: ProgressEvent): string {
    return `${ctx.tenantId}/${ctx.agentId}/${e.jobId.toLowerCase()}/${e.deviceId.toLowerCase()}`;
  }

  /** Whether the target was checked against its agent (and written) before. */
  known(key: string): boolean {
    return this.#lastWrite.has(key);
  }

  /** True when this event may skip the database: a mid-walk update soon after the last write. */
  skip(key: string, e: ProgressEvent, now: number): boolean {
    const last = this.#lastWrite.get(key);
    return e.state === 'varbinds' && last !== undefined && now - last < PROGRESS_WRITE_INTERVAL_MS;
  }

  wrote(key: string, e: ProgressEvent, now: number): void {
    if (e.state === 'done') {
      this.#lastWrite.delete(key);
      return;
    }
    this.#lastWrite.set(key, now);
    if (this.#lastWrite.size > MAX_TRACKED) {
      for (const [k, at] of this.#lastWrite) if (now - at > IDLE_MS) this.#lastWrite.delete(k);
    }
  }
}

/** `started`: written, and the target moved to running (its job's status may have changed). */
type Stored = 'written' | 'started' | 'foreign' | 'finished';

/** Moves the target to `running` the first time and keeps its latest progress; only this agent's targets. */
async function store(deps: Pick<HandlerDeps, 'db'>, ctx: InboundContext, e: ProgressEvent): Promise<Stored> {
  const { tenantId } = ctx;
  const progress = {
    state: e.state,
    counts: e.counts,
    ...(e.done !== undefined && { done: e.done }),
    ...(e.total !== undefined && { total: e.total }),
    at: ctx.receivedAt.toISOString(),
  };
  return deps.db.withTenant(tenantId, async (q) => {
    const { rows } = await q.query<{ agentId: string | null; status: TargetStatus }>(
      `SELECT agent_id AS "agentId", status FROM job_targets
        WHERE tenant_id = $1 AND job_id = $2 AND device_id = $3`,
      [tenantId, e.jobId, e.deviceId],
    );
    const target = rows[0];
    if (!target || target.agentId?.toLowerCase() !== ctx.agentId.toLowerCase()) return 'foreign';
    if (isTerminalStatus(target.status)) return 'finished';
    const moved = await applyTargetTransition(q, tenantId, e.jobId, e.deviceId, 'running', { progress });
    if (moved.kind !== 'applied') return 'written';
    await markJobRunning(q, tenantId, e.jobId);
    return 'started';
  });
}

/**
 * `progress` (best effort): the first event of a target marks it running, later ones keep the
 * latest progress on it, throttled; every checked event goes to `onProgress` for live views.
 * A target already checked goes out before its periodic write, so that write never delays it.
 */
export function progressHandler(
  deps: Pick<HandlerDeps, 'db' | 'onProgress' | 'live'>,
  now: () => number = Date.now,
): InboundHandler<'progress'> {
  const throttle = new ProgressThrottle();
  const fanOut = (ctx: InboundContext, e: ProgressEvent) => {
    try {
      deps.onProgress?.(ctx.tenantId, e);
    } catch (err) {
      // Live views are best effort; the stored state is what counts.
      ctx.log.error({ err }, 'progress fan-out failed');
    }
  };
  return async (message, ctx) => {
    const e = message.body;
    const key = throttle.key(ctx, e);
    const t = now();
    const checked = throttle.known(key);
    if (checked) fanOut(ctx, e);
    if (throttle.skip(key, e, t)) return;
    const stored = await store(deps, ctx, e);
    if (stored === 'foreign') {
      ctx.log.info(
        { jobId: e.jobId, deviceId: e.deviceId },
        'progress for a target not assigned to this agent',
      );
      return;
    }
    if (stored === 'finished') return;
    if (stored === 'started') deps.live?.jobChanged(ctx.tenantId, e.jobId);
    throttle.wrote(key, e, t);
    if (!checked) fanOut(ctx, e);
    deps.live?.progressStored(ctx.tenantId, e);
  };
}
