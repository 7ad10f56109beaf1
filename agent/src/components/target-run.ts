import { isSnmpKind, type ProgressEvent } from '@drm/protocol';
import { runSnmpJob, type SessionPool, type SnmpJobSpec, type SnmpProgress } from '../drivers/snmp/index.js';
import type { InboxTarget } from '../store/index.js';
import { failedOutcome, type TargetOutcome } from './result-records.js';

/**
 * How long past its budget a target may still run before the executor gives up on it. The
 * driver stops at its budget on its own; this only guards against a bug that would keep a
 * slot forever.
 */
const WATCHDOG_SLACK_MS = 10_000;

export interface TargetRunOptions {
  pool: SessionPool;
  /** Aborted to cancel the target (or to stop the agent). */
  signal: AbortSignal;
  /** Caps the job's own `targetBudgetMs`; undefined leaves it alone. */
  budgetMs: number | undefined;
  /** Progress with the target's ids; `varbinds` events are throttled here. */
  onProgress: (event: ProgressEvent) => void;
  progressIntervalMs: number;
  now: () => number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Forwards the driver's progress with the target's ids, at most one `varbinds` event per interval. */
function progressOf(t: InboxTarget, opts: TargetRunOptions): (p: SnmpProgress) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (p) => {
    if (p.state === 'varbinds') {
      const at = opts.now();
      if (at - last < opts.progressIntervalMs) return;
      last = at;
    }
    try {
      opts.onProgress({ jobId: t.jobId, deviceId: t.deviceId, ...p });
    } catch {
      // Progress is best effort (see ProgressEvent); a failing listener must not fail the job.
    }
  };
}

/**
 * Runs one inbox target and returns what it produced. Never rejects: a job kind without a
 * driver, missing access material and anything thrown all become failed outcomes.
 */
export async function runTarget(t: InboxTarget, opts: TargetRunOptions): Promise<TargetOutcome> {
  const progress = progressOf(t, opts);
  const startedAt = new Date(opts.now());
  const refuse = (code: string, text: string): TargetOutcome => {
    progress({ state: 'started', counts: { varbinds: 0 } });
    progress({ state: 'done', counts: { varbinds: 0 } });
    return failedOutcome(code, text, startedAt);
  };
  const { spec, access } = t;
  if (!isSnmpKind(spec.kind)) {
    return refuse(
      'not-supported',
      `${spec.kind} jobs are not supported by this agent yet: it has no TR-181 driver`,
    );
  }
  if (!access?.snmp) {
    return refuse('config', `device ${t.deviceId} was sent without SNMP access, so ${spec.kind} cannot run`);
  }
  const job = spec as SnmpJobSpec;
  const budgetMs = Math.min(opts.budgetMs ?? Number.POSITIVE_INFINITY, job.params.targetBudgetMs);
  let watchdog: NodeJS.Timeout | undefined;
  try {
    const run = runSnmpJob(
      job,
      { host: access.address, access: access.snmp },
      { pool: opts.pool, signal: opts.signal, budgetMs, onProgress: progress },
    );
    const stuck = new Promise<TargetOutcome>((resolve) => {
      watchdog = setTimeout(() => {
        resolve(
          failedOutcome(
            'budget',
            `${access.address}: the target did not stop within ${WATCHDOG_SLACK_MS} ms after its budget of ${budgetMs} ms`,
            startedAt,
            new Date(opts.now()),
          ),
        );
      }, budgetMs + WATCHDOG_SLACK_MS);
    });
    return await Promise.race([run, stuck]);
  } catch (err) {
    return failedOutcome(
      'internal',
      `${spec.kind} failed inside the agent: ${message(err)}`,
      startedAt,
      new Date(opts.now()),
    );
  } finally {
    clearTimeout(watchdog);
  }
}
