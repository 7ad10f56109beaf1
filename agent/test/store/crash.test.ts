import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { cleanupDirs, tempDir } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanupDirs();
});

/**
 * Starts the child on `dir`, waits until `until` accepts one of its JSON lines, kills it with
 * SIGKILL, and returns the last line it printed before dying.
 */
async function runAndKill<T>(mode: string, dir: string, until: (msg: T) => boolean): Promise<T> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, mode, dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  let last: T | undefined;
  let killed = false;
  for await (const line of createInterface({ input: child.stdout! })) {
    last = JSON.parse(line) as T;
    if (!killed && until(last)) {
      child.kill('SIGKILL');
      killed = true;
    }
  }
  const signal = await exited;
  if (!killed) throw new Error(`child ended on its own (${signal}): ${stderr}`);
  expect(signal).toBe('SIGKILL');
  return last!;
}

interface Ready {
  ready: { jobId: string; deviceId: string; resultId?: string };
}

function resultsFor(store: Store, jobId: string, deviceId: string): string[] {
  return store.outbox
    .peekBatch(100_000, Number.MAX_SAFE_INTEGER)
    .flatMap((e) =>
      e.item.kind === 'result' && e.item.jobId === jobId && e.item.deviceId === deviceId ? [e.id] : [],
    );
}

describe('the store after kill -9', () => {
  it('puts a target that was running back in the queue', async () => {
    const dir = join(tempDir(), 'data');
    const { ready } = await runAndKill<Ready>('running', dir, (m) => 'ready' in m);
    const store = Store.open(dir);
    try {
      expect(store.report.requeued).toBe(1);
      expect(store.inbox.get(ready.jobId, ready.deviceId)).toMatchObject({ state: 'queued', attempts: 1 });
      expect(store.inbox.nextRunnable(10).map((t) => t.jobId)).toEqual([ready.jobId]);
      expect(store.outbox.stats().count).toBe(0);
    } finally {
      store.close();
    }
  });

  it('keeps a target completed just before the kill done, with its result once, and never runs it again', async () => {
    const dir = join(tempDir(), 'data');
    const { ready } = await runAndKill<Ready>('completed', dir, (m) => 'ready' in m);
    const store = Store.open(dir);
    try {
      expect(store.report.requeued).toBe(0);
      expect(store.inbox.get(ready.jobId, ready.deviceId)?.state).toBe('done');
      expect(resultsFor(store, ready.jobId, ready.deviceId)).toEqual([ready.resultId]);
      expect(store.inbox.nextRunnable(10)).toEqual([]);
      expect(store.inbox.markRunning(ready.jobId, ready.deviceId)).toBe(false);
    } finally {
      store.close();
    }
  });

  it('holds its invariants when killed at an arbitrary point of a busy loop', async () => {
    const dir = join(tempDir(), 'data');
    const last = await runAndKill<{ done: number }>('churn', dir, (m) => m.done >= 300);
    const store = Store.open(dir);
    try {
      const targets = store.db.prepare('SELECT job_id, device_id, state FROM inbox').all() as {
        job_id: string;
        device_id: string;
        state: string;
      }[];
      const done = targets.filter((t) => t.state === 'done');
      // Nothing the child saw committed is lost.
      expect(done.length).toBeGreaterThanOrEqual(last.done);
      expect(targets.every((t) => t.state === 'done' || t.state === 'queued')).toBe(true);
      expect(targets.length - done.length).toBeLessThanOrEqual(1);
      // A done target has exactly one result; a queued one (requeued) has none.
      const results = new Map<string, number>();
      for (const e of store.outbox.peekBatch(1_000_000, Number.MAX_SAFE_INTEGER)) {
        if (e.item.kind !== 'result') continue;
        const key = `${e.item.jobId}/${e.item.deviceId}`;
        results.set(key, (results.get(key) ?? 0) + 1);
      }
      for (const t of targets) {
        expect(results.get(`${t.job_id}/${t.device_id}`) ?? 0).toBe(t.state === 'done' ? 1 : 0);
      }
      // The running totals agree with the rows.
      const real = store.db.prepare('SELECT count(*) AS n, sum(bytes) AS b FROM outbox').get() as {
        n: number;
        b: number;
      };
      expect(store.outbox.stats()).toMatchObject({ count: real.n, bytes: real.b });
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      store.close();
    }
  });
});
