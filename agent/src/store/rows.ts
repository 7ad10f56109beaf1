import { z } from 'zod';

/**
 * A row read back from SQLite did not match its schema: the file was edited by hand, damaged,
 * or written by a build whose schema this one does not know.
 */
export class StoreCorruptError extends Error {
  constructor(
    readonly table: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`agent store: row ${key} of ${table} is invalid: ${problem}`);
    this.name = 'StoreCorruptError';
  }
}

/** A TEXT column holding JSON, parsed and then validated by `schema`. */
export function jsonColumn<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'is not JSON', input: text });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** Epoch milliseconds as SQLite hands them back (INTEGER columns). */
export const EpochMs = z.int().min(0);
export const NullableEpochMs = EpochMs.nullable();

/** A 0/1 INTEGER column as a boolean. */
export const Flag = z.union([z.literal(0), z.literal(1)]).transform((v) => v === 1);

/** One line naming each failing path, for error messages and logs. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Validates one row; throws `StoreCorruptError` naming the table and key when it does not match. */
export function parseRow<T extends z.ZodType>(
  schema: T,
  row: unknown,
  table: string,
  key: string,
): z.output<T> {
  const parsed = schema.safeParse(row);
  if (!parsed.success) throw new StoreCorruptError(table, key, describeIssues(parsed.error));
  return parsed.data;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

export function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : toIso(ms);
}

/** Epoch milliseconds of an ISO timestamp already validated by the protocol's `Timestamp`. */
export function toMs(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not a timestamp: ${iso}`);
  return ms;
}
