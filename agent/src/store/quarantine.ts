import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** Rows kept at most; older ones go first. */
const MAX_ROWS = 1000;

/**
 * Rows that failed validation when read back, moved aside so that one bad row cannot block
 * the inbox, the outbox or the desired state forever. They are kept for inspection
 * (`sqlite3 agent.db 'SELECT * FROM quarantine'`), counted in `status`, and logged at error.
 */
export class Quarantine {
  readonly #insert: Database.Statement<[string, string, string, string, number]>;
  readonly #trim: Database.Statement<[number]>;
  readonly #count: Database.Statement<[], { n: number }>;

  constructor(
    db: Database.Database,
    private readonly log: Logger,
    private readonly now: () => number,
    /** A read-only store cannot move rows: bad ones are only skipped (and logged). */
    readonly readonly: boolean,
  ) {
    this.#insert = db.prepare(
      'INSERT INTO quarantine (source, row_key, body, problem, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#trim = db.prepare('DELETE FROM quarantine WHERE seq <= (SELECT max(seq) FROM quarantine) - ?');
    this.#count = db.prepare('SELECT count(*) AS n FROM quarantine');
  }

  /** Records a bad row; the caller deletes it from its own table in the same transaction. */
  add(source: string, key: string, row: unknown, problem: string): void {
    this.log.error({ source, key, problem }, 'invalid row moved to quarantine');
    if (this.readonly) return;
    this.#insert.run(source, key, JSON.stringify(row), problem, this.now());
    this.#trim.run(MAX_ROWS);
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}
