import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type JobDispatch,
  JobReceipt,
  MAX_RECEIPT_JOB_TARGETS,
  MAX_RECEIPT_JOBS,
  MAX_RECEIPT_TARGETS,
  type ResultRecord,
  ResultRecord as ResultRecordSchema,
} from '@drm/protocol';
import { receiptChunks } from '../../src/store/inbox.js';
import { Store } from '../../src/store/index.js';
import { cleanupDirs, dispatch, openStore, result, tempDir } from './fixtures.js';

const open: Store[] = [];
function track(store: Store): Store {
  open.push(store);
  return store;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  cleanupDirs();
});

/** Results in the outbox, in order. */
function outboxResults(store: Store): ResultRecord[] {
  return store.outbox
    .peekBatch(1000, Number.MAX_SAFE_INTEGER)
    .flatMap((e) => (e.item.kind === 'result' ? [e.item] : []));
}

describe('inbox', () => {
  it('stores every target of a dispatch and reads them back validated, oldest first', () => {
    const store = track(openStore());
    const d = dispatch({ targets: 3 });
    expect(store.inbox.put(d)).toEqual({ jobId: d.jobId, inserted: 3, duplicates: 0 });
    const runnable = store.inbox.nextRunnable(10);
    expect(runnable.map((t) => t.deviceId)).toEqual(d.targets.map((t) => t.deviceId));
    expect(runnable[0]).toMatchObject({
      jobId: d.jobId,
      tenantId: d.tenantId,
      spec: { kind: 'snmp.get', params: d.params },
      access: d.targets[0],
      deadline: d.deadline,
      state: 'queued',
      attempts: 0,
      startedAt: null,
      receipted: false,
    });
    expect(store.inbox.nextRunnable(2)).toHaveLength(2);
  });

  it('is idempotent: a re-delivery never resets a running or finished target', () => {
    const store = track(openStore());
    const d = dispatch({ targets: 3 });
    const [a, b] = d.targets.map((t) => t.deviceId) as [string, string, string];
    store.inbox.put(d);
    expect(store.inbox.markRunning(d.jobId, a)).toBe(true);
    store.inbox.markRunning(d.jobId, b);
    expect(store.inbox.complete(d.jobId, b, [result(d.jobId, b)])).toBe(true);

    expect(store.inbox.put(d)).toEqual({ jobId: d.jobId, inserted: 0, duplicates: 3 });
    expect(store.inbox.get(d.jobId, a)).toMatchObject({ state: 'running', attempts: 1 });
    expect(store.inbox.get(d.jobId, b)).toMatchObject({ state: 'done' });
    expect(store.inbox.counts()).toEqual({ queued: 1, running: 1, done: 1, cancelled: 0 });
    expect(outboxResults(store)).toHaveLength(1);
  });

  it('adds the targets of a job split over several dispatches, receipted dispatch by dispatch', () => {
    const store = track(openStore());
    const jobId = randomUUID();
    const first = dispatch({ jobId, targets: 2 });
    store.inbox.put(first);
    const firstTargets = [{ jobId, deviceIds: first.targets.map((t) => t.deviceId) }];
    expect(store.inbox.pendingReceipts()).toEqual(firstTargets);
    expect(store.inbox.markReceipted(firstTargets)).toBe(2);
    expect(store.inbox.pendingReceipts()).toEqual([]);
    const second = dispatch({ jobId, targets: 1 });
    expect(store.inbox.put(second).inserted).toBe(1);
    expect(store.inbox.counts().queued).toBe(3);
    // Only the target of the second dispatch waits for a receipt.
    expect(store.inbox.pendingReceipts()).toEqual([{ jobId, deviceIds: [second.targets[0]!.deviceId] }]);
  });

  it('lists unreceipted targets by job, oldest first, until they are marked', () => {
    const store = track(openStore());
    const jobs = [dispatch(), dispatch({ targets: 2 }), dispatch()];
    for (const d of jobs) store.inbox.put(d);
    const of = (d: JobDispatch) => ({ jobId: d.jobId, deviceIds: d.targets.map((t) => t.deviceId) });
    expect(store.inbox.pendingReceipts()).toEqual(jobs.map(of));
    // One target of the second job only: its other one stays pending.
    const [b0, b1] = jobs[1]!.targets.map((t) => t.deviceId) as [string, string];
    expect(store.inbox.markReceipted([{ jobId: jobs[1]!.jobId, deviceIds: [b0] }])).toBe(1);
    expect(store.inbox.pendingReceipts()).toEqual([
      of(jobs[0]!),
      { jobId: jobs[1]!.jobId, deviceIds: [b1] },
      of(jobs[2]!),
    ]);
    expect(store.inbox.markReceipted([of(jobs[1]!), of(jobs[0]!)])).toBe(2);
    expect(store.inbox.pendingReceipts()).toEqual([of(jobs[2]!)]);
    expect(store.inbox.get(jobs[1]!.jobId, b0)?.receipted).toBe(true);
  });

  it('cuts receipts at the protocol bounds: 4000 targets, 1000 jobs', () => {
    const many = Array.from({ length: 4500 }, (_, i) => [`job-${Math.floor(i / 900)}`, `dev-${i}`] as const);
    const chunks = receiptChunks(many);
    expect(chunks.map((c) => c.reduce((n, t) => n + t.deviceIds.length, 0))).toEqual([
      MAX_RECEIPT_TARGETS,
      500,
    ]);
    // job-4 (devices 3600..4499) is split between the two receipts.
    expect(chunks[0]!.at(-1)).toMatchObject({ jobId: 'job-4' });
    expect(chunks[1]!.map((t) => t.jobId)).toEqual(['job-4']);
    const single = Array.from({ length: 1500 }, (_, i) => [`job-${i}`, 'dev'] as const);
    expect(receiptChunks(single).map((c) => c.length)).toEqual([MAX_RECEIPT_JOBS, 500]);
    expect(receiptChunks([])).toEqual([]);
  });

  it('cuts a big job into receipt entries of at most 1000 targets, each receipt valid', () => {
    // Two dispatch messages of 1000 targets of one job, stored before one flush of receipts,
    // and a smaller job behind them.
    const big = randomUUID();
    const small = randomUUID();
    const pairs = [
      ...Array.from({ length: 2500 }, () => [big, randomUUID()] as const),
      ...Array.from({ length: 3 }, () => [small, randomUUID()] as const),
    ];
    const chunks = receiptChunks(pairs);
    expect(chunks.map((c) => c.map((t) => [t.jobId, t.deviceIds.length]))).toEqual([
      [[big, MAX_RECEIPT_JOB_TARGETS]],
      [[big, MAX_RECEIPT_JOB_TARGETS]],
      [
        [big, 500],
        [small, 3],
      ],
    ]);
    for (const targets of chunks) {
      expect(JobReceipt.safeParse({ jobIds: targets.map((t) => t.jobId), targets }).success).toBe(true);
    }
  });

  it('skips busy devices and targets past their deadline', () => {
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    const store = track(openStore({ now: () => now }));
    const soon = dispatch({ targets: 2, deadline: '2025-03-01T12:01:00.000Z' });
    const later = dispatch({ deadline: '2025-03-01T13:00:00.000Z' });
    store.inbox.put(soon);
    store.inbox.put(later);
    const busy = soon.targets[0]!.deviceId;
    expect(store.inbox.nextRunnable(10, [busy]).map((t) => t.deviceId)).toEqual([
      soon.targets[1]!.deviceId,
      later.targets[0]!.deviceId,
    ]);
    now += 61_000;
    expect(store.inbox.nextRunnable(10).map((t) => t.jobId)).toEqual([later.jobId]);

    // expire() reports them: done, with one `expired` result each, in the same transaction.
    const expired = store.inbox.expire();
    expect(expired).toHaveLength(2);
    expect(store.inbox.get(soon.jobId, busy)).toMatchObject({ state: 'done', access: null });
    const results = outboxResults(store);
    expect(results.map((r) => [r.deviceId, r.status, r.error?.code])).toEqual(
      soon.targets.map((t) => [t.deviceId, 'failed', 'expired']),
    );
    expect(store.inbox.expire()).toEqual([]);
  });

  it('completes a target and appends its results in one step, exactly once', () => {
    const store = track(openStore());
    const d = dispatch();
    const deviceId = d.targets[0]!.deviceId;
    store.inbox.put(d);
    store.inbox.markRunning(d.jobId, deviceId);
    const parts = [
      result(d.jobId, deviceId, { part: { index: 0, count: 2 } }),
      result(d.jobId, deviceId, { part: { index: 1, count: 2 } }),
    ];
    expect(store.inbox.complete(d.jobId, deviceId, parts)).toBe(true);
    expect(store.inbox.complete(d.jobId, deviceId, [result(d.jobId, deviceId)])).toBe(false);
    expect(store.inbox.markRunning(d.jobId, deviceId)).toBe(false);
    expect(outboxResults(store).map((r) => r.id)).toEqual(parts.map((p) => p.id));
    const done = store.inbox.get(d.jobId, deviceId)!;
    expect(done).toMatchObject({ state: 'done', attempts: 1 });
    // Credentials are not kept once the target is finished.
    expect(done.access).toBeNull();
    const raw = store.db.prepare('SELECT access FROM inbox').get() as { access: string | null };
    expect(raw.access).toBeNull();
  });

  it('rejects results for another target without changing anything', () => {
    const store = track(openStore());
    const d = dispatch();
    const deviceId = d.targets[0]!.deviceId;
    store.inbox.put(d);
    expect(() => store.inbox.complete(d.jobId, deviceId, [result(d.jobId, randomUUID())])).toThrow(
      /another target/,
    );
    expect(() => store.inbox.complete(d.jobId, deviceId, [])).toThrow(/at least one/);
    expect(store.inbox.get(d.jobId, deviceId)?.state).toBe('queued');
    expect(store.outbox.stats().count).toBe(0);
  });

  it('cancels queued targets with a result each and lists running ones for the executor', () => {
    const store = track(openStore());
    const d = dispatch({ targets: 4 });
    const [a, b, c, e] = d.targets.map((t) => t.deviceId) as [string, string, string, string];
    store.inbox.put(d);
    store.inbox.markRunning(d.jobId, b);
    store.inbox.markRunning(d.jobId, c);
    store.inbox.complete(d.jobId, c, [result(d.jobId, c)]);

    expect(store.inbox.cancel(d.jobId, [a, b, c])).toEqual({
      cancelled: [{ jobId: d.jobId, deviceId: a }],
      running: [{ jobId: d.jobId, deviceId: b }],
    });
    expect(store.inbox.get(d.jobId, a)).toMatchObject({ state: 'cancelled', access: null });
    expect(store.inbox.get(d.jobId, e)?.state).toBe('queued');
    const cancelled = outboxResults(store).filter((r) => r.deviceId === a);
    expect(cancelled).toHaveLength(1);
    expect(ResultRecordSchema.parse(cancelled[0])).toMatchObject({
      status: 'failed',
      error: { code: 'cancelled' },
    });

    // The running one finishes (aborted) through complete; a second cancel changes nothing more.
    expect(store.inbox.complete(d.jobId, b, [result(d.jobId, b, { status: 'failed' })])).toBe(true);
    expect(store.inbox.cancel(d.jobId).cancelled).toEqual([{ jobId: d.jobId, deviceId: e }]);
    expect(store.inbox.cancel(d.jobId)).toEqual({ cancelled: [], running: [] });
    expect(store.inbox.counts()).toEqual({ queued: 0, running: 0, done: 2, cancelled: 2 });
    expect(outboxResults(store)).toHaveLength(4);
  });

  it('puts targets left running back in the queue when the store is reopened', () => {
    const dir = join(tempDir(), 'data');
    const store = Store.open(dir);
    const d = dispatch({ targets: 2 });
    store.inbox.put(d);
    store.inbox.markRunning(d.jobId, d.targets[0]!.deviceId);
    store.close();
    const again = track(Store.open(dir));
    expect(again.report.requeued).toBe(1);
    expect(again.inbox.get(d.jobId, d.targets[0]!.deviceId)).toMatchObject({
      state: 'queued',
      attempts: 1,
      startedAt: null,
    });
  });

  it('prunes finished, receipted targets once their deadline has passed', () => {
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    const store = track(openStore({ now: () => now }));
    const d = dispatch({ targets: 2, deadline: '2025-03-01T13:00:00.000Z' });
    const [a] = d.targets.map((t) => t.deviceId) as [string, string];
    store.inbox.put(d);
    store.inbox.complete(d.jobId, a, [result(d.jobId, a)]);
    now += 1000;
    expect(store.inbox.prune(new Date(Date.parse('2025-03-02T00:00:00.000Z')))).toBe(0); // not receipted
    store.inbox.markReceipted([{ jobId: d.jobId, deviceIds: d.targets.map((t) => t.deviceId) }]);
    expect(store.inbox.prune(new Date(Date.parse('2025-03-01T12:30:00.000Z')))).toBe(0); // deadline ahead
    expect(store.inbox.prune(new Date(Date.parse('2025-03-02T00:00:00.000Z')))).toBe(1);
    expect(store.inbox.counts()).toEqual({ queued: 1, running: 0, done: 0, cancelled: 0 });
  });

  it('moves a row that fails validation to the quarantine instead of running it', () => {
    const store = track(openStore());
    const good = dispatch();
    const bad = dispatch();
    store.inbox.put(bad);
    store.inbox.put(good);
    store.db
      .prepare(`UPDATE inbox SET spec = json_set(spec, '$.kind', 'snmp.reboot') WHERE job_id = ?`)
      .run(bad.jobId);
    expect(store.inbox.nextRunnable(10).map((t) => t.jobId)).toEqual([good.jobId]);
    expect(store.inbox.get(bad.jobId, bad.targets[0]!.deviceId)).toBeNull();
    expect(store.quarantine.count()).toBe(1);
    const q = store.db.prepare('SELECT source, row_key, body, problem FROM quarantine').get() as Record<
      string,
      string
    >;
    expect(q.source).toBe('inbox');
    expect(q.row_key).toBe(`${bad.jobId}/${bad.targets[0]!.deviceId}`);
    expect(q.problem).toMatch(/spec/);
    expect(q.body).not.toContain('secret-community');
  });
});
