import type { Logger } from 'pino';
import { JobCancel, type ProgressEvent } from '@drm/protocol';
import type { SessionPool } from '../drivers/snmp/index.js';
import type { InboxKey, InboxTarget, Store } from '../store/index.js';
import type { Component } from './component.js';
import type { ConcurrencyLimiter } from './limiter.js';
import { failedOutcome, MAX_RECORD_BYTES, type TargetOutcome, toResultRecords } from './result-records.js';
import { runTarget } from './target-run.js';

export interface ExecutorOptions {
  store: Store;
  pool: SessionPool;
  limiter: ConcurrencyLimiter;
  log: Logger;
  /**
   * Per-target time budget (ms). The job's `params.targetBudgetMs` (30 s when the job gives
   * none) still applies; this caps it. Undefined: the job's alone.
   */
  targetBudgetMs?: number;
  /** Best-effort live progress (the link publishes it on `progress`; may drop while offline). */
  onProgress: (event: ProgressEvent) => void;
  /** Called after results were appended to the outbox (the drain wakes up). */
  onOutbox: () => void;
  now?: () => number;
  /** How long `stop()` lets running targets finish before aborting them. Default 5000 ms. */
  graceMs?: number;
  /** How often queued targets are checked against their deadline. Default 1000 ms. */
  sweepMs?: number;
  /** At most one `varbinds` progress event per target per this many ms. Default 250. */
  progressIntervalMs?: number;
  /** Largest JSON of one result record; larger results are split into parts. */
  maxRecordBytes?: number;
}

/**
 * A target started this many times without ever completing is not started again: something
 * in it takes the agent down (a crash loop would otherwise run it forever).
 */
export const MAX_ATTEMPTS = 5;
/** After the grace period, how long `stop()` waits for aborted targets to unwind. */
const ABORT_SETTLE_MS = 2000;

/** A target taken from the inbox: waiting for a slot (still `queued` in the store), then running. */
interface Claim {
  target: InboxTarget;
  wait: AbortController;
  run?: AbortController;
  /** Why `run` was aborted: a cancel reports what was read, a stop reports nothing. */
  reason?: 'cancel' | 'stop';
}

const keyOf = (t: InboxKey) => `${t.jobId.toLowerCase()}/${t.deviceId.toLowerCase()}`;
/** True if `promise` settled within `ms`; the timer is cleared either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the job targets of the inbox: picks queued targets oldest first, up to the limiter's
 * global bound and never more than its per-device bound for one device, so a slow or dead
 * device holds only its own slots; runs each within its budget; and reports each exactly once
 * through `inbox.complete` (target done and results in the outbox in one transaction).
 */
export class Executor implements Component {
  readonly #o: ExecutorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #claims = new Map<string, Claim>();
  readonly #tasks = new Set<Promise<void>>();
  #sweep: NodeJS.Timeout | undefined;
  #started = false;
  #stopping = false;
  /** Set once stop has given up on running targets: nothing is written after it. */
  #closed = false;
  #stopped: Promise<void> | undefined;

  constructor(opts: ExecutorOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ component: 'executor' });
    this.#now = opts.now ?? Date.now;
  }

  /** Picks up queued targets left from before (also after kill -9: the store requeued them). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#expire();
    this.#sweep = setInterval(() => {
      this.#expire();
      this.#pump();
    }, this.#o.sweepMs ?? 1000);
    this.#sweep.unref();
    this.#pump();
  }

  /** New targets were stored in the inbox. */
  wake(): void {
    this.#pump();
  }

  /**
   * The hub cancelled a job (or some targets): queued ones become `cancelled` results at once,
   * running ones are aborted and report `cancelled` with what they read.
   */
  cancel(cancel: JobCancel): void {
    const parsed = JobCancel.safeParse(cancel);
    if (!parsed.success) {
      this.#log.warn({ issues: parsed.error.issues.length }, 'invalid cancel ignored');
      return;
    }
    const jobId = parsed.data.jobId.toLowerCase();
    const only = parsed.data.targetIds && new Set(parsed.data.targetIds.map((id) => id.toLowerCase()));
    try {
      const outcome = this.#o.store.inbox.cancel(jobId, parsed.data.targetIds);
      for (const key of outcome.cancelled) this.#claims.get(keyOf(key))?.wait.abort();
      let aborted = 0;
      for (const claim of this.#claims.values()) {
        const t = claim.target;
        if (t.jobId !== jobId || (only && !only.has(t.deviceId)) || !claim.run) continue;
        claim.reason ??= 'cancel';
        claim.run.abort();
        aborted += 1;
      }
      this.#log.info({ jobId, cancelled: outcome.cancelled.length, aborted }, 'job cancelled');
      if (outcome.cancelled.length > 0) this.#notifyOutbox();
    } catch (err) {
      this.#log.error({ err, jobId }, 'cancel failed');
    }
  }

  /**
   * Stops taking work; waits up to `graceMs` for running targets, then aborts them WITHOUT
   * writing results: each goes back to `queued`, its start not counted as an attempt (one that
   * does not unwind in time stays `running`, and the store re-queues it on next open).
   */
  stop(): Promise<void> {
    if (!this.#started) return Promise.resolve();
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweep);
    // Targets still waiting for a slot are still `queued` in the store: just let them go.
    for (const claim of this.#claims.values()) if (!claim.run) claim.wait.abort();
    const settled = () => Promise.allSettled([...this.#tasks]);
    if (!(await settlesWithin(settled(), this.#o.graceMs ?? 5000))) {
      const running = [...this.#claims.values()].filter((c) => c.run);
      this.#log.warn({ targets: running.length }, 'aborting running targets; they run again on next start');
      for (const claim of running) {
        claim.reason = 'stop';
        claim.run?.abort();
      }
      await settlesWithin(settled(), ABORT_SETTLE_MS);
    }
    this.#closed = true;
  }

  /** Takes queued targets while the global and per-device bounds leave room. */
  #pump(): void {
    if (!this.#started || this.#stopping) return;
    const { limiter, store } = this.#o;
    try {
      for (;;) {
        const room = limiter.global - this.#claims.size;
        if (room <= 0) return;
        const perDevice = new Map<string, number>();
        let waiting = 0;
        for (const claim of this.#claims.values()) {
          const d = claim.target.deviceId;
          perDevice.set(d, (perDevice.get(d) ?? 0) + 1);
          if (!claim.run) waiting += 1;
        }
        const full = [...perDevice].filter(([, n]) => n >= limiter.perDevice).map(([d]) => d);
        // Claims still waiting are `queued` in the store and come back: ask for that many more.
        const rows = store.inbox.nextRunnable(room + waiting, full);
        let taken = 0;
        for (const t of rows) {
          if (this.#claims.size >= limiter.global) break;
          if (this.#claims.has(keyOf(t)) || (perDevice.get(t.deviceId) ?? 0) >= limiter.perDevice) continue;
          perDevice.set(t.deviceId, (perDevice.get(t.deviceId) ?? 0) + 1);
          this.#claim(t);
          taken += 1;
        }
        if (taken === 0) return;
      }
    } catch (err) {
      this.#log.error({ err }, 'could not read the inbox');
    }
  }

  #claim(target: InboxTarget): void {
    const key = keyOf(target);
    const claim: Claim = { target, wait: new AbortController() };
    this.#claims.set(key, claim);
    const task = this.#run(claim).finally(() => {
      this.#claims.delete(key);
      this.#tasks.delete(task);
      this.#pump();
    });
    this.#tasks.add(task);
  }

  async #run(claim: Claim): Promise<void> {
    let release: () => void;
    try {
      release = await this.#o.limiter.acquire(claim.target.deviceId, claim.wait.signal);
    } catch {
      return; // cancelled, expired or stopping while it waited: the store holds its state
    }
    try {
      await this.#runClaimed(claim);
    } catch (err) {
      this.#log.error({ err, jobId: claim.target.jobId, deviceId: claim.target.deviceId }, 'target failed');
    } finally {
      release();
    }
  }

  async #runClaimed(claim: Claim): Promise<void> {
    const t = claim.target;
    const ids = { jobId: t.jobId, deviceId: t.deviceId };
    if (this.#stopping) return;
    if (Date.parse(t.deadline) <= this.#now() && this.#expire().has(keyOf(t))) return;
    if (!this.#o.store.inbox.markRunning(t.jobId, t.deviceId)) return; // cancelled or finished meanwhile
    const run = new AbortController();
    claim.run = run;
    let outcome: TargetOutcome;
    if (t.attempts >= MAX_ATTEMPTS) {
      this.#log.error({ ...ids, attempts: t.attempts }, 'target interrupted too often; not run again');
      const text = `the agent stopped ${t.attempts} times while running this target; it is not run again`;
      outcome = failedOutcome('internal', text, new Date(this.#now()));
    } else {
      if (t.attempts > 0)
        this.#log.warn({ ...ids, attempts: t.attempts }, 'running an interrupted target again');
      outcome = await runTarget(t, {
        pool: this.#o.pool,
        signal: run.signal,
        budgetMs: this.#o.targetBudgetMs,
        onProgress: this.#o.onProgress,
        progressIntervalMs: this.#o.progressIntervalMs ?? 250,
        now: this.#now,
      });
    }
    if (this.#closed) return; // unwound too late: left `running`, requeued on next open
    if (claim.reason === 'stop') {
      // A clean stop: queued again now, and the start not counted against it.
      this.#release(t);
      return;
    }
    this.#report(t, outcome);
  }

  #release(t: InboxTarget): void {
    try {
      this.#o.store.inbox.release(t.jobId, t.deviceId);
    } catch (err) {
      // Left `running`: the next open queues it again, counting this start.
      this.#log.warn(
        { err, jobId: t.jobId, deviceId: t.deviceId },
        'could not release an interrupted target',
      );
    }
  }

  /** Completes the target with its records; anything thrown on the way becomes an `internal` result. */
  #report(t: InboxTarget, outcome: TargetOutcome): void {
    const { store } = this.#o;
    const ids = { jobId: t.jobId, deviceId: t.deviceId };
    let completed: boolean;
    try {
      const records = toResultRecords(ids, outcome, {
        now: this.#now(),
        maxBytes: this.#o.maxRecordBytes ?? MAX_RECORD_BYTES,
      });
      completed = store.inbox.complete(t.jobId, t.deviceId, records);
      if (completed) {
        this.#log.info(
          { ...ids, status: outcome.status, code: outcome.error?.code, records: records.length },
          'target finished',
        );
      }
    } catch (err) {
      this.#log.error({ err, ...ids }, 'could not store the result; reporting an internal failure');
      try {
        const failed = failedOutcome(
          'internal',
          `the result could not be stored: ${String(err)}`,
          new Date(this.#now()),
        );
        completed = store.inbox.complete(
          t.jobId,
          t.deviceId,
          toResultRecords(ids, failed, { now: this.#now() }),
        );
      } catch (again) {
        this.#log.error(
          { err: again, ...ids },
          'could not store an internal failure; the target runs again on next start',
        );
        return;
      }
    }
    if (completed) this.#notifyOutbox();
    else this.#log.warn(ids, 'target was already finished; result dropped');
  }

  /** Queued targets past their deadline become `expired` results; returns their keys. */
  #expire(): Set<string> {
    try {
      const expired = this.#o.store.inbox.expire();
      if (expired.length === 0) return new Set();
      const keys = new Set(expired.map(keyOf));
      for (const key of keys) this.#claims.get(key)?.wait.abort();
      this.#log.info({ targets: expired.length }, 'queued targets expired');
      this.#notifyOutbox();
      return keys;
    } catch (err) {
      this.#log.error({ err }, 'could not expire queued targets');
      return new Set();
    }
  }

  #notifyOutbox(): void {
    try {
      this.#o.onOutbox();
    } catch (err) {
      this.#log.error({ err }, 'outbox listener failed');
    }
  }
}
