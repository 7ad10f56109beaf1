import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { INBOX_RETENTION_MS, JobIntake } from '../../src/components/job-intake.js';
import type { Store } from '../../src/store/index.js';
import { cleanupDirs, dispatch, openStore, result, TENANT_ID } from '../store/fixtures.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  cleanupDirs();
});

/** The intake with a link that never connects: only its housekeeping runs. */
function intake(store: Store, now: () => number): JobIntake {
  return new JobIntake({
    link: {
      on: () => {},
      onConnected: () => {},
      publish: () => Promise.reject(new Error('not connected')),
      reject: () => {},
    },
    store,
    tenantId: TENANT_ID,
    log: pino({ level: 'silent' }),
    onJobs: () => {},
    onCancel: () => {},
    onConfig: () => {},
    now,
  });
}

describe('inbox housekeeping', () => {
  it('prunes finished, receipted targets a day past their deadline, from its start on', async () => {
    const deadline = Date.parse('2025-03-01T13:00:00.000Z');
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    const store = openStore({ now: () => now });
    stores.push(store);
    const d = dispatch({ targets: 3, deadline: new Date(deadline).toISOString() });
    const [a, b] = d.targets.map((t) => t.deviceId) as [string, string, string];
    store.inbox.put(d);
    store.inbox.complete(d.jobId, a, [result(d.jobId, a)]);
    store.inbox.complete(d.jobId, b, [result(d.jobId, b)]);
    store.inbox.markReceipted([{ jobId: d.jobId, deviceIds: [a] }]);

    const i = intake(store, () => now);
    now = deadline + INBOX_RETENTION_MS - 1;
    expect(i.prune()).toBe(0);
    now = deadline + INBOX_RETENTION_MS + 1;
    await i.start();
    // `a` went at start; `b` is not receipted and the third target never ran.
    expect(store.inbox.get(d.jobId, a)).toBeNull();
    expect(store.inbox.counts()).toEqual({ queued: 1, running: 0, done: 1, cancelled: 0 });
    await i.stop();
  });
});
