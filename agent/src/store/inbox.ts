import type Database from 'better-sqlite3';
import {
  JobDispatch,
  MAX_RECEIPT_JOB_TARGETS,
  MAX_RECEIPT_JOBS,
  MAX_RECEIPT_TARGETS,
  type ReceiptedTargets,
  ResultRecord,
} from '@drm/protocol';
import {
  type CancelOutcome,
  failedResult,
  INBOX_STATES,
  type InboxCounts,
  type InboxKey,
  type InboxState,
  InboxRow,
  type InboxTarget,
  keyOf,
  type PutOutcome,
  type Row,
} from './inbox-schema.js';
import type { Outbox } from './outbox.js';
import type { Quarantine } from './quarantine.js';
import { relaxed } from './database.js';
import { describeIssues, toMs } from './rows.js';

export {
  type CancelOutcome,
  INBOX_STATES,
  type InboxCounts,
  type InboxKey,
  type InboxState,
  type InboxTarget,
  type PutOutcome,
} from './inbox-schema.js';

const FINISH = 'finished_at = ?, access = NULL';

/** The inbox's statements, prepared once per connection. */
function prepareInbox(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO inbox (job_id, device_id, seq, tenant_id, spec, access, deadline, created_at,
         state, received_at)
       VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM inbox), ?, ?, ?, ?, ?, 'queued', ?)
       ON CONFLICT (job_id, device_id) DO NOTHING`,
    ),
    get: db.prepare<[string, string], Row>('SELECT * FROM inbox WHERE job_id = ? AND device_id = ?'),
    runnable: db.prepare<[number, string, number], Row>(
      `SELECT * FROM inbox WHERE state = 'queued' AND deadline > ?
         AND device_id NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`,
    ),
    markRunning: db.prepare(
      `UPDATE inbox SET state = 'running', attempts = attempts + 1, started_at = ?
        WHERE job_id = ? AND device_id = ? AND state = 'queued'`,
    ),
    finish: db.prepare(
      `UPDATE inbox SET state = 'done', ${FINISH}
        WHERE job_id = ? AND device_id = ? AND state IN ('queued', 'running')`,
    ),
    cancel: db.prepare(
      `UPDATE inbox SET state = 'cancelled', ${FINISH}
        WHERE job_id = ? AND device_id = ? AND state = 'queued'`,
    ),
    ofJob: db.prepare<[string], Row>('SELECT * FROM inbox WHERE job_id = ? ORDER BY seq'),
    expired: db.prepare<[number], Row>(
      `SELECT * FROM inbox WHERE state = 'queued' AND deadline <= ? ORDER BY seq`,
    ),
    requeue: db.prepare(`UPDATE inbox SET state = 'queued', started_at = NULL WHERE state = 'running'`),
    release: db.prepare(
      `UPDATE inbox SET state = 'queued', started_at = NULL, attempts = max(attempts - 1, 0)
        WHERE job_id = ? AND device_id = ? AND state = 'running'`,
    ),
    pending: db.prepare<[number], { job_id: string; device_id: string }>(
      'SELECT job_id, device_id FROM inbox WHERE receipted = 0 ORDER BY seq LIMIT ?',
    ),
    receipted: db.prepare(
      `UPDATE inbox SET receipted = 1 WHERE receipted = 0 AND (job_id, device_id) IN
         (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
    ),
    counts: db.prepare<[], { state: string; n: number }>(
      'SELECT state, count(*) AS n FROM inbox GROUP BY state',
    ),
    prune: db.prepare(
      `DELETE FROM inbox WHERE state IN ('done', 'cancelled') AND receipted = 1
         AND finished_at < ? AND deadline < ?`,
    ),
    remove: db.prepare('DELETE FROM inbox WHERE job_id = ? AND device_id = ?'),
  };
}

/**
 * The inbox: job targets received from the hub, keyed by (jobId, deviceId).
 *
 * Life of a target: `queued` → `running` → `done`, or `queued` → `cancelled`. `done` and
 * `cancelled` both mean "its result is in the outbox"; the move there and the append happen
 * in one transaction, which is what keeps a target from running again once it has reported.
 * A target caught `running` by a crash goes back to `queued` when the store is next opened
 * (at-least-once: a job interrupted mid-way runs again, so an SNMP SET may reach the device
 * twice; its result is reported once).
 */
export class Inbox {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepareInbox>;

  constructor(
    db: Database.Database,
    private readonly outbox: Outbox,
    private readonly quarantine: Quarantine,
    private readonly now: () => number,
  ) {
    this.#db = db;
    this.#s = prepareInbox(db);
  }

  /**
   * Stores every target of a dispatch, in one transaction, before any receipt is sent.
   * Idempotent: a target already stored keeps its state (a re-delivered job never resets a
   * running or finished target). Send a receipt after every put, duplicates included: a
   * re-delivery means the hub did not get the earlier one.
   */
  put(dispatch: JobDispatch): PutOutcome {
    const d = JobDispatch.parse(dispatch);
    const jobId = d.jobId.toLowerCase();
    const spec = JSON.stringify({ kind: d.kind, params: d.params });
    const deadline = toMs(d.deadline);
    const createdAt = toMs(d.createdAt);
    return this.#db
      .transaction(() => {
        const at = this.now();
        let inserted = 0;
        for (const target of d.targets) {
          const deviceId = target.deviceId.toLowerCase();
          const access = JSON.stringify({ ...target, deviceId });
          inserted += this.#s.insert.run(
            jobId,
            deviceId,
            d.tenantId.toLowerCase(),
            spec,
            access,
            deadline,
            createdAt,
            at,
          ).changes;
        }
        return { jobId, inserted, duplicates: d.targets.length - inserted };
      })
      .immediate();
  }

  get(jobId: string, deviceId: string): InboxTarget | null {
    const raw = this.#s.get.get(jobId.toLowerCase(), deviceId.toLowerCase());
    return raw === undefined ? null : this.#read(raw);
  }

  /**
   * Queued targets whose deadline has not passed, oldest first, skipping `excludeDevices`
   * (devices already at their concurrency limit). Several targets of one device may come back.
   */
  nextRunnable(limit: number, excludeDevices: Iterable<string> = []): InboxTarget[] {
    const exclude = JSON.stringify([...excludeDevices].map((id) => id.toLowerCase()));
    const rows = this.#s.runnable.all(this.now(), exclude, Math.max(0, limit));
    return rows.flatMap((raw) => this.#read(raw) ?? []);
  }

  /**
   * `queued` → `running` (attempts + 1); false if the target is not queued (cancelled or
   * finished meanwhile). Call it before starting the work.
   */
  markRunning(jobId: string, deviceId: string): boolean {
    const at = this.now();
    const key = [jobId.toLowerCase(), deviceId.toLowerCase()] as const;
    // Not fsynced alone: if a power cut loses it, the target is simply still queued.
    return relaxed(this.#db, () => this.#s.markRunning.run(at, ...key).changes === 1);
  }

  /**
   * `running` → `queued` for a target a clean stop interrupted: its start is not counted as
   * an attempt (attempts count the starts a crash cut off, and too many end the target).
   */
  release(jobId: string, deviceId: string): boolean {
    const key = [jobId.toLowerCase(), deviceId.toLowerCase()] as const;
    return this.#db.transaction(() => this.#s.release.run(...key).changes === 1).immediate();
  }

  /**
   * Marks the target done and appends its result records to the outbox, in ONE transaction.
   * Returns false, appending nothing, when the target is not queued or running (already done,
   * cancelled, or unknown), so a result is never reported twice.
   */
  complete(jobId: string, deviceId: string, results: readonly ResultRecord[]): boolean {
    const key = { jobId: jobId.toLowerCase(), deviceId: deviceId.toLowerCase() };
    if (results.length === 0) throw new TypeError('complete needs at least one result record');
    const records = results.map((r) => ResultRecord.parse(r));
    for (const r of records) {
      if (r.jobId.toLowerCase() !== key.jobId || r.deviceId.toLowerCase() !== key.deviceId) {
        throw new TypeError(`result ${r.id} is for another target than ${key.jobId}/${key.deviceId}`);
      }
    }
    return this.#db
      .transaction(() => {
        if (this.#s.finish.run(this.now(), key.jobId, key.deviceId).changes === 0) return false;
        this.outbox.appendMany(records);
        return true;
      })
      .immediate();
  }

  /**
   * Cancels the queued targets of a job (all, or those of `deviceIds`): each becomes
   * `cancelled` with a failed result (code `cancelled`) in the outbox, in one transaction.
   * Running targets are listed for the executor to abort; finished ones are left alone.
   */
  cancel(jobId: string, deviceIds?: readonly string[]): CancelOutcome {
    const only = deviceIds ? new Set(deviceIds.map((id) => id.toLowerCase())) : null;
    return this.#db
      .transaction(() => {
        const targets = this.#s.ofJob
          .all(jobId.toLowerCase())
          .flatMap((raw) => this.#read(raw) ?? [])
          .filter((t) => only === null || only.has(t.deviceId));
        const queued = targets.filter((t) => t.state === 'queued');
        const at = this.now();
        for (const t of queued) this.#s.cancel.run(at, t.jobId, t.deviceId);
        const error = { code: 'cancelled', message: 'Cancelled before it started on the agent' };
        this.outbox.appendMany(queued.map((t) => failedResult(t, at, error)));
        return {
          cancelled: queued.map(keyOf),
          running: targets.filter((t) => t.state === 'running').map(keyOf),
        };
      })
      .immediate();
  }

  /**
   * Queued targets whose deadline has passed become `done` with a failed result (code
   * `expired`) in the outbox, in one transaction. Returns them.
   */
  expire(): InboxKey[] {
    return this.#db
      .transaction(() => {
        const at = this.now();
        const due = this.#s.expired.all(at).flatMap((raw) => this.#read(raw) ?? []);
        for (const t of due) this.#s.finish.run(at, t.jobId, t.deviceId);
        const error = { code: 'expired', message: 'The deadline passed before the target started' };
        this.outbox.appendMany(due.map((t) => failedResult(t, at, error)));
        return due.map(keyOf);
      })
      .immediate();
  }

  /** Crash recovery, run when the store opens: `running` → `queued`. Returns how many. */
  requeueRunning(): number {
    return this.#db.transaction(() => this.#s.requeue.run().changes).immediate();
  }

  /**
   * Targets stored but not yet receipted, by job, oldest first: at most one receipt's worth
   * (`MAX_RECEIPT_TARGETS` targets of at most `MAX_RECEIPT_JOBS` jobs).
   */
  pendingReceipts(): ReceiptedTargets[] {
    return (
      receiptChunks(this.#s.pending.all(MAX_RECEIPT_TARGETS).map((r) => [r.job_id, r.device_id]))[0] ?? []
    );
  }

  /** Call once the receipt naming these targets is published. Returns how many rows it marked. */
  markReceipted(targets: readonly ReceiptedTargets[]): number {
    if (targets.length === 0) return 0;
    const pairs = JSON.stringify(
      targets.flatMap((t) => t.deviceIds.map((d) => [t.jobId.toLowerCase(), d.toLowerCase()])),
    );
    return this.#db.transaction(() => this.#s.receipted.run(pairs).changes).immediate();
  }

  counts(): InboxCounts {
    const counts: InboxCounts = { queued: 0, running: 0, done: 0, cancelled: 0 };
    for (const { state, n } of this.#s.counts.all()) {
      if ((INBOX_STATES as readonly string[]).includes(state)) counts[state as InboxState] = n;
    }
    return counts;
  }

  /**
   * Deletes finished, receipted targets that finished and whose deadline passed before
   * `before`. Until then a finished target is kept, so that a re-delivered job is recognised.
   */
  prune(before: Date): number {
    const ms = before.getTime();
    return this.#db.transaction(() => this.#s.prune.run(ms, ms).changes).immediate();
  }

  /** Parses a row; a bad one goes to the quarantine (without its credentials) and reads as null. */
  #read(raw: Row): InboxTarget | null {
    const parsed = InboxRow.safeParse(raw);
    if (parsed.success) return parsed.data;
    const key = `${String(raw.job_id)}/${String(raw.device_id)}`;
    if (this.quarantine.readonly) {
      this.quarantine.add('inbox', key, { ...raw, access: null }, describeIssues(parsed.error));
      return null;
    }
    this.#db
      .transaction(() => {
        this.quarantine.add('inbox', key, { ...raw, access: null }, describeIssues(parsed.error));
        this.#s.remove.run(raw.job_id, raw.device_id);
      })
      .immediate();
    return null;
  }
}

/**
 * Groups (job, device) pairs by job, in the order of their first pair, into receipts of at
 * most `MAX_RECEIPT_TARGETS` targets and `MAX_RECEIPT_JOBS` jobs each, and at most
 * `MAX_RECEIPT_JOB_TARGETS` targets of one job. A job's targets may be split across
 * receipts; each names only what it carries.
 */
export function receiptChunks(pairs: Iterable<readonly [string, string]>): ReceiptedTargets[][] {
  const chunks: ReceiptedTargets[][] = [];
  let jobs = new Map<string, ReceiptedTargets>();
  let targets = 0;
  for (const [jobId, deviceId] of pairs) {
    let entry = jobs.get(jobId);
    if (
      targets === MAX_RECEIPT_TARGETS ||
      entry?.deviceIds.length === MAX_RECEIPT_JOB_TARGETS ||
      (!entry && jobs.size === MAX_RECEIPT_JOBS)
    ) {
      chunks.push([...jobs.values()]);
      jobs = new Map();
      targets = 0;
      entry = undefined;
    }
    if (!entry) {
      entry = { jobId, deviceIds: [] };
      jobs.set(jobId, entry);
    }
    entry.deviceIds.push(deviceId);
    targets += 1;
  }
  if (jobs.size > 0) chunks.push([...jobs.values()]);
  return chunks;
}
