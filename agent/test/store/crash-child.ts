/**
 * A process that works on a store until the test kills it with SIGKILL. It prints one JSON
 * line after each commit it wants the test to know about, then carries on or idles.
 *
 *   crash-child.ts running   DIR   puts a job target, marks it running, idles
 *   crash-child.ts completed DIR   ... and completes it with one result, idles
 *   crash-child.ts churn     DIR   puts, runs and completes targets and appends samples, forever
 */
import { randomUUID } from 'node:crypto';
import { Store } from '../../src/store/index.js';
import { dispatch, result, sample } from './fixtures.js';

const [mode, dir] = process.argv.slice(2);
if (!mode || !dir) throw new Error('usage: crash-child.ts running|completed|churn DIR');

const say = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const store = Store.open(dir);

function runOne(complete: boolean): { jobId: string; deviceId: string; resultId?: string } {
  const d = dispatch({ jobId: randomUUID() });
  const deviceId = d.targets[0]!.deviceId;
  store.inbox.put(d);
  store.inbox.markRunning(d.jobId, deviceId);
  if (!complete) return { jobId: d.jobId, deviceId };
  const r = result(d.jobId, deviceId);
  store.inbox.complete(d.jobId, deviceId, [r]);
  return { jobId: d.jobId, deviceId, resultId: r.id };
}

if (mode === 'running' || mode === 'completed') {
  say({ ready: runOne(mode === 'completed') });
  setInterval(() => {}, 60_000); // idle until killed
} else if (mode === 'churn') {
  let done = 0;
  for (;;) {
    const { jobId, deviceId } = runOne(false);
    store.outbox.appendMany([sample(), sample()]);
    store.inbox.complete(jobId, deviceId, [result(jobId, deviceId)]);
    done += 1;
    say({ done });
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
