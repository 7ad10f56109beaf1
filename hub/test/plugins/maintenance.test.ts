import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_MONTHS_AHEAD } from '../../src/db/sample-partitions.js';
import { createTestHub, type TestHub } from '../helpers/hub.js';

function partitionName(monthsFromNow: number): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsFromNow, 1));
  return `samples_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

describe('database maintenance', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub?.close());

  it('has the sample partitions of this month and the next ones ready when the hub is', async () => {
    const wanted = Array.from({ length: SAMPLE_MONTHS_AHEAD + 1 }, (_, i) => partitionName(i));
    const { rows } = await hub.db.asOwner((q) =>
      q.query<{ name: string; ok: boolean }>(
        `SELECT w.name, EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                                 WHERE i.inhparent = 'samples'::regclass AND c.relname = w.name) AS ok
           FROM unnest($1::text[]) AS w(name)`,
        [wanted],
      ),
    );
    expect(rows).toEqual(wanted.map((name) => ({ name, ok: true })));
  });
});
