import { normalizeOid, type ResultError, type Varbind } from '@drm/protocol';
import { resultError, SnmpError, toResultError } from './errors.js';

const DOT = 0x2e;
const ZERO = 0x30;

/** Why a walk stopped. Only `end` means the whole subtree was read. */
export type WalkStop = 'end' | 'limit' | 'aborted' | 'error';

export interface WalkResult {
  /** Varbinds of the subtree in order; on any stop but `end`, what was read before it. */
  varbinds: Varbind[];
  stop: WalkStop;
  /** Requests answered. */
  pages: number;
  /** Set unless `stop` is `end`. */
  error?: ResultError;
}

export interface WalkProgress {
  varbinds: number;
  pages: number;
}

/**
 * How one walk fetches its pages; `SnmpSession.walk` supplies GetBulk or GetNext. A page comes
 * back as `Entry`s as they came off the wire (net-snmp's varbinds there) and is converted only
 * after the next request has left, so that the conversion runs while the device works.
 */
export interface WalkPaging<Entry = Varbind> {
  /** The entries that follow `oid` (one GetNext, or one GetBulk of max-repetitions). */
  page(oid: string, signal: AbortSignal | undefined): Promise<Entry[]>;
  /** An entry's OID, enough to ask for the next page. */
  oidOf(entry: Entry): string;
  /** True for an RFC 3416 section 4.2.1 exception (endOfMibView, noSuchObject, noSuchInstance). */
  isException(entry: Entry): boolean;
  /** The page as protocol `Varbind`s, in the same order. */
  convert(entries: Entry[]): Varbind[];
  /** A Get of the root itself, for a root that names an instance (`sysDescr.0`). */
  get(oid: string, signal: AbortSignal | undefined): Promise<Varbind[]>;
  /** True when a failed page means the end of the agent's view rather than an error. */
  isEndOfView(error: ResultError): boolean;
}

export interface WalkSubtreeOptions {
  maxVarbinds: number;
  onProgress?: ((progress: WalkProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** A context string for error messages, usually `host:port`. */
  target: string;
}

/**
 * Numeric, arc-by-arc OID order (RFC 3416 section 4.2.2 defines "lexicographic successor" on
 * arcs). Runs once per varbind of every walk, so it reads the arcs in place rather than
 * splitting both strings: the common text is skipped, and arcs are read as numbers only from
 * the one in which the two first differ.
 */
export function compareOids(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length && i === b.length) return 0;
  while (i > 0 && a.charCodeAt(i - 1) !== DOT) i--;
  let x = i;
  let y = i;
  for (;;) {
    const moreA = x < a.length;
    const moreB = y < b.length;
    if (!moreA || !moreB) return Number(moreA) - Number(moreB);
    let p = 0;
    for (; x < a.length && a.charCodeAt(x) !== DOT; x++) p = p * 10 + a.charCodeAt(x) - ZERO;
    let q = 0;
    for (; y < b.length && b.charCodeAt(y) !== DOT; y++) q = q * 10 + b.charCodeAt(y) - ZERO;
    if (p !== q) return p - q;
    x++;
    y++;
  }
}

/** True when `oid` (already without a leading dot) is `root` or lies under it. */
function isUnder(oid: string, root: string, rootDot: string): boolean {
  return oid.startsWith(rootDot) || oid === root;
}

type PageOutcome =
  | { kind: 'more'; cursor: string }
  | { kind: 'end' | 'limit' }
  | { kind: 'error'; error: ResultError };

interface Subtree {
  root: string;
  rootDot: string;
}

function absorbPage(
  page: readonly Varbind[],
  tree: Subtree,
  cursor: string,
  into: Varbind[],
  opts: WalkSubtreeOptions,
): PageOutcome {
  let last = cursor;
  for (const vb of page) {
    // An exception ends a walk: endOfMibView is the agent's "no more" (RFC 3416 section 4.2.2),
    // and the other two must not appear in a GetNext/GetBulk response at all.
    if (vb.error !== undefined || !isUnder(vb.oid, tree.root, tree.rootDot)) return { kind: 'end' };
    if (compareOids(vb.oid, last) <= 0) {
      const message = `${opts.target}: OID not increasing: ${vb.oid} after ${last}`;
      return { kind: 'error', error: resultError('protocol', message) };
    }
    if (into.length >= opts.maxVarbinds) return { kind: 'limit' };
    into.push(vb);
    last = vb.oid;
  }
  // An empty page would ask for the same OID again forever.
  return page.length === 0 ? { kind: 'end' } : { kind: 'more', cursor: last };
}

/**
 * Where the page after `entries` starts, judged from its last entry alone, or `undefined` when
 * the walk will stop at this page: the last entry is an exception or outside the subtree, does
 * not follow the cursor, or the page fills `maxVarbinds`. When the whole page then checks out,
 * this is exactly the cursor `absorbPage` returns; when it does not, the request made from it
 * is abandoned.
 */
function nextCursor<Entry>(
  entries: readonly Entry[],
  paging: WalkPaging<Entry>,
  tree: Subtree,
  cursor: string,
  room: number,
): string | undefined {
  const last = entries[entries.length - 1];
  if (last === undefined || entries.length > room || paging.isException(last)) return undefined;
  const oid = normalizeOid(paging.oidOf(last));
  if (!isUnder(oid, tree.root, tree.rootDot) || compareOids(oid, cursor) <= 0) return undefined;
  return oid;
}

function aborted(target: string): ResultError {
  return resultError('cancelled', `${target}: walk aborted`);
}

/** A root that is an instance has no successors under it; snmpwalk then shows the root's own value. */
async function rootInstance(
  root: string,
  paging: Pick<WalkPaging<unknown>, 'get'>,
  signal?: AbortSignal,
): Promise<Varbind[]> {
  try {
    const [vb] = await paging.get(root, signal);
    return vb && vb.error === undefined ? [vb] : [];
  } catch {
    return [];
  }
}

/**
 * Reads the subtree under `root` page by page, stopping where the subtree ends (first OID
 * outside it, endOfMibView, or SNMPv1's noSuchName), after `maxVarbinds`, on an error, or when
 * `signal` aborts. Never rejects: whatever was read is returned with the reason it stopped.
 *
 * Each request leaves as soon as the previous page's last OID is known, before that page is
 * converted and checked: a walk is a chain of round trips, and work done between a response
 * and the next request adds to every one of them, while work done after it overlaps with the
 * device answering. A request made for a page that then turns out to end the walk (an OID out
 * of order, an exception in mid-page) is abandoned.
 */
export async function walkSubtree<Entry>(
  root: string,
  paging: WalkPaging<Entry>,
  opts: WalkSubtreeOptions,
): Promise<WalkResult> {
  const varbinds: Varbind[] = [];
  const tree: Subtree = { root: normalizeOid(root), rootDot: `${normalizeOid(root)}.` };
  let pages = 0;
  let cursor = tree.root;
  const done = (stop: WalkStop, error?: ResultError): WalkResult =>
    error ? { varbinds, stop, pages, error } : { varbinds, stop, pages };
  // Ends an abandoned request at once rather than at its timeout.
  const own = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, own.signal]) : own.signal;
  const request = (oid: string): Promise<Entry[]> => {
    const page = paging.page(oid, signal);
    // An abandoned request may still reject; that is no longer anyone's concern.
    page.catch(() => {});
    return page;
  };
  if (opts.signal?.aborted) return done('aborted', aborted(opts.target));
  let pending = request(cursor);
  try {
    for (;;) {
      if (opts.signal?.aborted) return done('aborted', aborted(opts.target));
      let entries: Entry[];
      try {
        entries = await pending;
      } catch (err) {
        if (opts.signal?.aborted) return done('aborted', aborted(opts.target));
        const error =
          err instanceof SnmpError ? err.result : toResultError(err, { target: opts.target, attempts: 1 });
        if (!paging.isEndOfView(error)) return done('error', error);
        entries = [];
      }
      pages += 1;
      const next = nextCursor(entries, paging, tree, cursor, opts.maxVarbinds - varbinds.length);
      const ahead = next === undefined ? undefined : request(next);
      const outcome = absorbPage(paging.convert(entries), tree, cursor, varbinds, opts);
      if (outcome.kind !== 'error') opts.onProgress?.({ varbinds: varbinds.length, pages });
      switch (outcome.kind) {
        case 'more':
          // nextCursor agrees with absorbPage whenever a page checks out; the second request
          // is only a safety net.
          pending = ahead !== undefined && outcome.cursor === next ? ahead : request(outcome.cursor);
          cursor = outcome.cursor;
          continue;
        case 'limit':
          return done(
            'limit',
            resultError('limit', `stopped after ${opts.maxVarbinds} varbinds (maxVarbinds)`),
          );
        case 'error':
          return done('error', outcome.error);
        case 'end':
          if (varbinds.length === 0) varbinds.push(...(await rootInstance(root, paging, opts.signal)));
          return done('end');
      }
    }
  } finally {
    own.abort();
  }
}
