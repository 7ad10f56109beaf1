import type { Db } from './types.js';

/** Months prepared ahead of the current one: a hub down for weeks still finds its partitions. */
export const SAMPLE_MONTHS_AHEAD = 3;

/** Any constant shared by all replicas: the advisory lock that makes one of them do the work. */
const PARTITION_LOCK_KEY = 0x64726d01;

/**
 * Creates the monthly `samples` partitions from this month on that do not exist yet (and moves
 * rows of those months out of the DEFAULT partition), as the table's owner. Replicas that run
 * it at once queue on a transaction-level advisory lock, so each month is created once.
 * Returns how many partitions it created.
 */
export async function ensureSamplePartitions(
  db: Db,
  opts: { from?: Date; months?: number } = {},
): Promise<number> {
  const from = (opts.from ?? new Date()).toISOString().slice(0, 10);
  return db.asOwner(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
    const { rows } = await q.query<{ n: number }>('SELECT drm_ensure_sample_partitions($1::date, $2) AS n', [
      from,
      (opts.months ?? SAMPLE_MONTHS_AHEAD) + 1,
    ]);
    return Number(rows[0]?.n ?? 0);
  });
}

export interface PartitionMaintenance {
  /** Resolves when the first run (at start) has finished, successfully or not. */
  readonly firstRun: Promise<void>;
  /** No further runs; resolves once a run in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `ensureSamplePartitions` now and then every `everyMs` (a day by default). A failure is
 * logged and retried at the next run: inserts never fail for want of a partition (the DEFAULT
 * partition takes them), they only land in the wrong place until the next run moves them.
 */
export function startPartitionMaintenance(opts: {
  db: Db;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  everyMs?: number;
}): PartitionMaintenance {
  let stopped = false;
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    if (stopped || running) return running ?? Promise.resolve();
    running = ensureSamplePartitions(opts.db)
      .then((created) => {
        if (created > 0) opts.log.info({ created }, 'sample partitions created');
      })
      .catch((err: unknown) => {
        if (!stopped) opts.log.error({ err }, 'sample partition maintenance failed');
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const firstRun = run();
  const timer = setInterval(run, opts.everyMs ?? 24 * 60 * 60 * 1000);
  timer.unref();
  return {
    firstRun,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
