/** Errors of the database layer. Each has a stable `code` that callers may switch on. */
export class DbError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A tenant or user id that is not a UUID: refused before it reaches `set_config`. */
export class InvalidContextError extends DbError {
  constructor(field: 'tenantId' | 'userId', value: unknown) {
    super('DB_INVALID_CONTEXT', `${field} must be a UUID, got ${describe(value)}`);
  }
}

/**
 * A transaction started while another is still running in the same async flow. On PGlite,
 * which is one session, awaiting it would wait forever for the outer one; on PostgreSQL it
 * would run on a second connection, outside the outer transaction's atomicity.
 */
export class NestedTransactionError extends DbError {
  constructor() {
    super(
      'DB_NESTED_TRANSACTION',
      'a database transaction was started inside another; pass the Queryable down instead, ' +
        'or start the second one after the first has committed',
    );
  }
}

/** An applied migration whose file has changed since: never re-run, never ignored. */
export class MigrationChecksumError extends DbError {
  readonly file: string;

  constructor(file: string, applied: string, current: string) {
    super(
      'DB_MIGRATION_CHANGED',
      `migration ${file} was applied with checksum ${applied.slice(0, 12)}… but the file now has ` +
        `${current.slice(0, 12)}…; applied migrations must not be edited, add a new file instead`,
    );
    this.file = file;
  }
}

/** A migration file that failed to apply (its transaction was rolled back). */
export class MigrationFailedError extends DbError {
  readonly file: string;

  constructor(file: string, cause: unknown) {
    super('DB_MIGRATION_FAILED', `migration ${file} failed: ${(cause as Error)?.message ?? cause}`, {
      cause,
    });
    this.file = file;
  }
}

/** The migrations folder or one of its files is not where or what it should be. */
export class MigrationLayoutError extends DbError {
  constructor(message: string) {
    super('DB_MIGRATION_LAYOUT', message);
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
