import { z } from 'zod';

const MAX_ARC = 2 ** 32 - 1;
/** RFC 2578 section 3.5: at most 128 sub-identifiers. */
const MAX_ARCS = 128;
const SHAPE = 'must be a numeric OID such as 1.3.6.1.2.1.1.1.0';
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * Why `oid` is not a valid numeric OID, or `null` when it is. A leading dot is allowed.
 *
 * The shape is `.?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+`. One pass over the characters, with
 * nothing allocated: every OID of every message a hub or an agent receives goes through here
 * (three per result, one per sample), and splitting each into an array of numbers was a
 * measurable part of the hub's work per batch.
 */
export function oidProblem(oid: string): string | null {
  const end = oid.length;
  let i = oid.charCodeAt(0) === DOT ? 1 : 0;
  let arcs = 0;
  let first = 0;
  let second = 0;
  let tooBig = false;
  for (;;) {
    const start = i;
    let value = 0;
    for (let c = oid.charCodeAt(i); c >= ZERO && c <= NINE; c = oid.charCodeAt(++i)) {
      // Stops growing once past the limit, so a long arc stays a small, exact number.
      if (value <= MAX_ARC) value = value * 10 + (c - ZERO);
    }
    if (i === start || (i - start > 1 && oid.charCodeAt(start) === ZERO)) return SHAPE;
    if (value > MAX_ARC) tooBig = true;
    if (arcs === 0) first = value;
    else if (arcs === 1) second = value;
    arcs += 1;
    if (i === end) break;
    if (oid.charCodeAt(i) !== DOT) return SHAPE;
    i += 1;
  }
  if (arcs < 2) return SHAPE;
  if (arcs > MAX_ARCS) return `must have at most ${MAX_ARCS} sub-identifiers`;
  // X.690 section 8.19.4: the first arc is 0, 1 or 2; under 0 and 1 the second is 0..39.
  if (first > 2) return 'first sub-identifier must be 0, 1 or 2';
  if (first < 2 && second > 39) return 'second sub-identifier must be 0..39 under 0 and 1';
  if (tooBig) return 'sub-identifiers must be at most 4294967295';
  return null;
}

/** Strips the leading dot some tools print (`.1.3.6.1`), giving the canonical form. */
export function normalizeOid(oid: string): string {
  return oid.startsWith('.') ? oid.slice(1) : oid;
}

/**
 * A numeric dotted OID. A leading dot is accepted and removed, so every OID stored or compared
 * is in one canonical form. Names such as `sysDescr.0` are not OIDs here: MIB lookup is the
 * agent's business, and the result carries the name beside the OID.
 */
export const Oid = z
  .string()
  .max(1500)
  .check((ctx) => {
    const problem = oidProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  })
  .overwrite(normalizeOid);
export type Oid = z.infer<typeof Oid>;

/** True when `oid` is `prefix` or lies under it (arc-wise, so 1.3.6.1.2 is not under 1.3.6.1.20). */
export function oidIsUnder(oid: string, prefix: string): boolean {
  const a = normalizeOid(oid);
  const p = normalizeOid(prefix);
  return a === p || a.startsWith(`${p}.`);
}
