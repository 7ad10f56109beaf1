import type Database from 'better-sqlite3';
import { z } from 'zod';
import { type SampleRecord, Uuid } from '@drm/protocol';
import type { AppendOutcome, Outbox } from './outbox.js';
import type { Quarantine } from './quarantine.js';
import { describeIssues, EpochMs, NullableEpochMs, toIso, toIsoOrNull } from './rows.js';

/** Where one schedule stands, so polling resumes on time after a restart. */
export interface ScheduleRun {
  scheduleId: string;
  /** When the last run started; null before the first. */
  lastRunAt: string | null;
  nextDueAt: string;
  updatedAt: string;
}

export interface ScheduleTimes {
  /** Left out: keep the stored one. */
  lastRunAt?: Date | string | null;
  nextDueAt: Date | string;
}

const ScheduleRow = z
  .object({
    schedule_id: Uuid,
    last_run_at: NullableEpochMs,
    next_due_at: EpochMs,
    updated_at: EpochMs,
  })
  .transform(
    (r): ScheduleRun => ({
      scheduleId: r.schedule_id,
      lastRunAt: toIsoOrNull(r.last_run_at),
      nextDueAt: toIso(r.next_due_at),
      updatedAt: toIso(r.updated_at),
    }),
  );

type Row = Record<string, unknown>;

function msOf(t: Date | string): number {
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
}

/** Per schedule id: last run and next due time. */
export class ScheduleState {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], Row>;
  readonly #all: Database.Statement<[], Row>;
  readonly #upsert: Database.Statement<
    [{ id: string; last: number | null; next: number; given: number; at: number }]
  >;
  readonly #retain: Database.Statement<[string]>;
  readonly #remove: Database.Statement<[unknown]>;
  readonly #clear: Database.Statement<[]>;

  constructor(
    db: Database.Database,
    private readonly outbox: Outbox,
    private readonly quarantine: Quarantine,
    private readonly now: () => number,
  ) {
    this.#db = db;
    this.#get = db.prepare('SELECT * FROM schedule_state WHERE schedule_id = ?');
    this.#all = db.prepare('SELECT * FROM schedule_state ORDER BY next_due_at, schedule_id');
    // `given` says whether last_run_at was given (1) or must be kept (0).
    this.#upsert = db.prepare(
      `INSERT INTO schedule_state (schedule_id, last_run_at, next_due_at, updated_at)
       VALUES (@id, @last, @next, @at)
       ON CONFLICT (schedule_id) DO UPDATE SET
         last_run_at = iif(@given, excluded.last_run_at, last_run_at),
         next_due_at = excluded.next_due_at, updated_at = excluded.updated_at`,
    );
    this.#retain = db.prepare(
      'DELETE FROM schedule_state WHERE schedule_id NOT IN (SELECT value FROM json_each(?))',
    );
    this.#remove = db.prepare('DELETE FROM schedule_state WHERE schedule_id = ?');
    this.#clear = db.prepare('DELETE FROM schedule_state');
  }

  get(scheduleId: string): ScheduleRun | null {
    const raw = this.#get.get(scheduleId.toLowerCase());
    return raw === undefined ? null : this.#read(raw);
  }

  /** Every schedule's state, soonest due first. */
  all(): ScheduleRun[] {
    return this.#all.all().flatMap((raw) => this.#read(raw) ?? []);
  }

  /**
   * Records a run (or just a new due time) and appends the samples it produced, in one
   * transaction: after a crash either both are stored or neither, so a poll is neither lost
   * nor stored twice. Returns the outbox's outcome for the samples.
   */
  record(scheduleId: string, times: ScheduleTimes, samples: readonly SampleRecord[] = []): AppendOutcome {
    const id = Uuid.parse(scheduleId).toLowerCase();
    const given = times.lastRunAt !== undefined;
    const last = times.lastRunAt == null ? null : msOf(times.lastRunAt);
    const next = msOf(times.nextDueAt);
    return this.#db
      .transaction(() => {
        this.#upsert.run({ id, last, next, given: given ? 1 : 0, at: this.now() });
        return this.outbox.appendMany(samples);
      })
      .immediate();
  }

  /** Deletes the state of schedules not in `scheduleIds`; returns how many. */
  retain(scheduleIds: readonly string[]): number {
    return this.#retain.run(JSON.stringify(scheduleIds.map((id) => id.toLowerCase()))).changes;
  }

  clear(): void {
    this.#clear.run();
  }

  /** A bad row is quarantined and reads as absent: the scheduler then treats the schedule as new. */
  #read(raw: Row): ScheduleRun | null {
    const parsed = ScheduleRow.safeParse(raw);
    if (parsed.success) return parsed.data;
    const move = () => {
      this.quarantine.add('schedule_state', String(raw.schedule_id), raw, describeIssues(parsed.error));
      if (!this.quarantine.readonly) this.#remove.run(raw.schedule_id);
    };
    if (this.quarantine.readonly) move();
    else this.#db.transaction(move).immediate();
    return null;
  }
}
