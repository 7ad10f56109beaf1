/**
 * How values come back, identical on both engines (the contract suite checks it):
 *
 * | PostgreSQL type        | JavaScript                                                   |
 * |------------------------|--------------------------------------------------------------|
 * | int2, int4, float4/8   | number                                                       |
 * | int8 (bigint, count()) | number when it is a safe integer, else the exact decimal string |
 * | int8[]                 | (number or string)[], same rule per element                  |
 * | numeric                | string (exact); cast in SQL (`::float8`, `::int8`) for a number |
 * | timestamptz            | Date                                                         |
 * | date                   | string `YYYY-MM-DD` (a calendar day has no time zone)        |
 * | bytea                  | Buffer                                                       |
 * | json, jsonb            | parsed value                                                 |
 * | uuid, text             | string; arrays of them: string[]                             |
 *
 * int8 as a number covers every counter and revision this schema holds (2^53 bytes is 8 PiB)
 * without BigInt, which JSON.stringify cannot serialise.
 */

export const OID = {
  BYTEA: 17,
  INT8: 20,
  DATE: 1082,
  NUMERIC: 1700,
  INT8_ARRAY: 1016,
  DATE_ARRAY: 1182,
} as const;

export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

export function parseBytea(text: string): Buffer {
  // Hex format (bytea_output = hex, the default since PostgreSQL 9.0): \x0102…
  return Buffer.from(text.slice(2), 'hex');
}

export function identity(text: string): string {
  return text;
}
