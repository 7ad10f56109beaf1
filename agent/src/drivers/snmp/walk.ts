import { oidIsUnder, type ResultError, type Varbind } from '@drm/protocol';
import { resultError, SnmpError, toResultError } from './errors.js';

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

/** How one walk fetches its pages; `SnmpSession.walk` supplies GetBulk or GetNext. */
export interface WalkPaging {
  /** The varbinds that follow `oid` (one GetNext, or one GetBulk of max-repetitions). */
  page(oid: string, signal: AbortSignal | undefined): Promise<Varbind[]>;
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

/** Numeric, arc-by-arc OID order (RFC 3416 section 4.2.2 defines "lexicographic successor" on arcs). */
export function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

type PageOutcome =
  | { kind: 'more'; cursor: string }
  | { kind: 'end' | 'limit' }
  | { kind: 'error'; error: ResultError };

function absorbPage(
  page: readonly Varbind[],
  root: string,
  cursor: string,
  into: Varbind[],
  opts: WalkSubtreeOptions,
): PageOutcome {
  let last = cursor;
  for (const vb of page) {
    // An exception ends a walk: endOfMibView is the agent's "no more" (RFC 3416 section 4.2.2),
    // and the other two must not appear in a GetNext/GetBulk response at all.
    if (vb.error !== undefined || !oidIsUnder(vb.oid, root)) return { kind: 'end' };
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

function aborted(target: string): ResultError {
  return resultError('cancelled', `${target}: walk aborted`);
}

/** A root that is an instance has no successors under it; snmpwalk then shows the root's own value. */
async function rootInstance(root: string, paging: WalkPaging, signal?: AbortSignal): Promise<Varbind[]> {
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
 */
export async function walkSubtree(
  root: string,
  paging: WalkPaging,
  opts: WalkSubtreeOptions,
): Promise<WalkResult> {
  const varbinds: Varbind[] = [];
  let pages = 0;
  let cursor = root;
  const done = (stop: WalkStop, error?: ResultError): WalkResult =>
    error ? { varbinds, stop, pages, error } : { varbinds, stop, pages };
  for (;;) {
    if (opts.signal?.aborted) return done('aborted', aborted(opts.target));
    let page: Varbind[];
    try {
      page = await paging.page(cursor, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) return done('aborted', aborted(opts.target));
      const error =
        err instanceof SnmpError ? err.result : toResultError(err, { target: opts.target, attempts: 1 });
      if (!paging.isEndOfView(error)) return done('error', error);
      page = [];
    }
    pages += 1;
    const outcome = absorbPage(page, root, cursor, varbinds, opts);
    if (outcome.kind !== 'error') opts.onProgress?.({ varbinds: varbinds.length, pages });
    switch (outcome.kind) {
      case 'more':
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
}
