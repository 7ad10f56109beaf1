/**
 * JSON escapes PostgreSQL refuses in jsonb: U+0000, and a UTF-16 surrogate not in a pair (a
 * string from JavaScript can hold one; JSON.stringify writes it as an escape). One such value
 * would fail the whole batch forever.
 */
export const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string PostgreSQL stores: U+0000 and unpaired surrogates become U+FFFD. */
function storable(value: string): string {
  return value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * The rows as JSON PostgreSQL takes. The replacer (a call per value, a good part of a batch's
 * cost) runs only when the text shows an escape it refuses (a valid pair of surrogates is
 * written as it is, not escaped, so it never triggers this), or a lookalike.
 */
export function jsonForPg(rows: unknown): string {
  const text = JSON.stringify(rows);
  if (!UNSTORABLE_ESCAPE.test(text)) return text;
  return JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === 'string' ? storable(value) : value,
  );
}
