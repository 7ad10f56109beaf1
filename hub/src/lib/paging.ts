import { Errors } from '../errors.js';

/**
 * Keyset paging over `(time, id)` descending: the cursor names the last row of the previous
 * page, so pages stay stable while new rows arrive. Opaque to clients (base64url JSON).
 */
export interface Cursor {
  t: string;
  id: string;
}

export function encodeCursor(at: Date | string, id: string): string {
  const t = at instanceof Date ? at.toISOString() : at;
  return Buffer.from(JSON.stringify({ t, id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Cursor).t === 'string' &&
      !Number.isNaN(Date.parse((value as Cursor).t)) &&
      typeof (value as Cursor).id === 'string' &&
      /^[0-9a-f-]{36}$/i.test((value as Cursor).id)
    ) {
      return { t: (value as Cursor).t, id: (value as Cursor).id };
    }
  } catch {
    // fall through to the error below
  }
  throw new Errors.BAD_CURSOR();
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says that more exist.
 */
export function pageFrom<R, T>(
  rows: readonly R[],
  limit: number,
  key: (row: R) => { at: Date | string; id: string },
  map: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  const k = more && last ? key(last) : null;
  return { items: kept.map(map), nextCursor: k ? encodeCursor(k.at, k.id) : null };
}

/**
 * The sort time of a row at full (microsecond) precision, selected as `"cursorAt"`. A cursor
 * made from a JS Date keeps only milliseconds and would skip rows later in that millisecond.
 */
/** A row of a list query, with its full-precision sort time. */
export type Listed<R> = R & { cursorAt: string };

export function cursorAt(timeCol: string): string {
  return `to_char(${timeCol} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorAt"`;
}

/** Builds `AND (col_t, col_id) < ($n, $n+1)` for a cursor, appending its values to params. */
export function cursorClause(
  cursor: Cursor | null,
  timeCol: string,
  idCol: string,
  params: unknown[],
): string {
  if (!cursor) return '';
  params.push(cursor.t, cursor.id);
  return ` AND (${timeCol}, ${idCol}) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
}

export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
