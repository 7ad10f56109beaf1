import dgram from 'node:dgram';
import { type LookupOneOptions, lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import snmp from 'net-snmp';
import type { SetVarbind, SnmpAccess, Varbind } from '@drm/protocol';
import { type ErrorContext, resultError, SnmpError, toResultError } from './errors.js';
import { fromRawVarbind, type RawVarbind, toRawVarbind } from './varbinds.js';
import { type WalkPaging, type WalkProgress, type WalkResult, walkSubtree } from './walk.js';
import { WireVarbind } from './wire/varbinds.js';
import { type PageHandlers, WireSession, type WireStats } from './wire/wire-session.js';

/** One device as the driver reaches it: the address from `DeviceAccess` and its SNMP access. */
export interface SnmpTarget {
  host: string;
  access: SnmpAccess;
}

/** Per-request timing: `retries` re-sends after the first attempt, each waiting `timeoutMs`. */
export interface SnmpTiming {
  timeoutMs: number;
  retries: number;
}

export interface RequestOptions {
  /** Aborting rejects the pending request at once with code `cancelled`. */
  signal?: AbortSignal | undefined;
}

export interface SessionWalkOptions extends RequestOptions {
  maxRepetitions: number;
  /** `bulk` pages with GetBulk; `next` with GetNext. SNMPv1 has no GetBulk and always uses GetNext. */
  method: 'bulk' | 'next';
  maxVarbinds: number;
  onProgress?: ((progress: WalkProgress) => void) | undefined;
  /** MIB names for the varbinds, given page by page while the next page is on the wire. */
  names?: ((oid: string) => string | undefined) | undefined;
}

type Callback<T> = (error: Error | null, result?: T) => void;
type BulkResult = (RawVarbind | RawVarbind[])[];
/** A walk page's entry: read by our own message layer, or already converted after net-snmp read it. */
type WalkEntry = WireVarbind | Varbind;

/** net-snmp internals this wrapper reaches into (not in @types/net-snmp). */
interface SessionInternals {
  dgram?: {
    removeAllListeners(event: 'message'): void;
    on(event: 'message', listener: (buffer: Buffer) => void): void;
  };
  onMsg(buffer: Buffer): void;
  /** Set once SNMPv3 discovery has learnt the authoritative engine (RFC 3414 section 4). */
  msgSecurityParameters?: unknown;
}

/**
 * If a response is handled without ever reaching its callback (a bug in net-snmp's handling of
 * a malformed packet), this guard still settles the promise. It allows for SNMPv3 discovery
 * and a report-triggered re-send, each with their own retries.
 */
const GUARD_FACTOR = 3;
const GUARD_SLACK_MS = 1000;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * A `dgram.send` to an address goes through `lookup` first, and `dns.lookup` answers even an IP
 * literal on the next tick: the datagram then waits for whatever the current callback still
 * does. A walk asks for its next page and then converts the last one, so answer literals at
 * once and let the request leave before that work. Names still go to `dns.lookup`.
 */
function literalLookup(host: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const version = isIP(host);
  if (version !== 0) callback(null, host, version);
  // dgram passes the family as a number, whatever its type declarations say.
  else if (typeof options === 'number') dnsLookup(host, options, callback);
  else dnsLookup(host, options, callback);
}

/** The `dgram` net-snmp creates its socket with (its `dgramModule` option). */
const DGRAM = {
  createSocket: (type: 'udp4' | 'udp6') => dgram.createSocket({ type, lookup: literalLookup }),
};

function createRawSession(target: SnmpTarget, timing: SnmpTiming): snmp.Session {
  const { host, access } = target;
  const common = {
    port: access.port,
    timeout: timing.timeoutMs,
    retries: timing.retries,
    backoff: 1,
    transport: isIPv6(host) ? ('udp6' as const) : ('udp4' as const),
    dgramModule: DGRAM,
  };
  if (access.version !== '3') {
    const version = access.version === '1' ? snmp.Version1 : snmp.Version2c;
    return snmp.createSession(host, access.community, { ...common, version });
  }
  const user: snmp.User = { name: access.username, level: snmp.SecurityLevel[access.securityLevel] };
  if (access.authProtocol && access.authKey !== undefined) {
    user.authProtocol = snmp.AuthProtocols[access.authProtocol];
    user.authKey = access.authKey;
  }
  if (access.privProtocol && access.privKey !== undefined) {
    user.privProtocol = snmp.PrivProtocols[access.privProtocol];
    user.privKey = access.privKey;
  }
  return snmp.createV3Session(host, user, {
    ...common,
    version: snmp.Version3,
    context: access.context ?? '',
  });
}

/** `host:port` (`[v6]:port`) for messages; never the credentials. */
export function targetLabel(target: SnmpTarget): string {
  const host = isIPv6(target.host) ? `[${target.host}]` : target.host;
  return `${host}:${target.access.port}`;
}

/** GetBulk answers come grouped per requested OID; put them back in wire order (RFC 3416 section 4.2.3). */
function flattenBulk(result: BulkResult): RawVarbind[] {
  const out: RawVarbind[] = [];
  const columns: RawVarbind[][] = [];
  for (const item of result) {
    if (Array.isArray(item)) columns.push(item);
    else out.push(item);
  }
  const rows = columns.reduce((max, column) => Math.max(max, column.length), 0);
  for (let row = 0; row < rows; row++) {
    for (const column of columns) {
      const vb = column[row];
      if (vb) out.push(vb);
    }
  }
  return out;
}

/**
 * One net-snmp session to one device, as promises: the only place in the agent where
 * net-snmp's callbacks are seen. Every method resolves with protocol `Varbind`s or rejects
 * with an `SnmpError` whose `result` is the protocol's `ResultError`; `walk` never rejects.
 */
export class SnmpSession {
  readonly target: SnmpTarget;
  readonly timing: SnmpTiming;
  /** `host:port`, for messages; never the credentials. */
  readonly label: string;
  readonly #raw: snmp.Session;
  /** Our own message layer for walk pages, opened by the first walk. */
  #wire: WireSession | undefined;
  #closed = false;
  #internalError: unknown;

  constructor(target: SnmpTarget, timing: SnmpTiming) {
    this.target = target;
    this.timing = timing;
    this.label = targetLabel(target);
    this.#raw = createRawSession(target, timing);
    // net-snmp emits 'error' for an undecodable datagram; unheard, that would kill the process.
    // The request it belonged to times out as if the datagram were lost.
    this.#raw.on('error', (err) => {
      this.#internalError = err;
    });
    this.#raw.on('close', () => {
      this.#closed = true;
    });
    this.#guardMessages();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** How the walks of this session were paged: by our own message layer, or by net-snmp. */
  get walkStats(): Readonly<WireStats> {
    return this.#wire?.stats ?? { pages: 0, fallbacks: 0, dropped: 0, resyncs: 0 };
  }

  get(oids: readonly string[], opts?: RequestOptions): Promise<Varbind[]> {
    return this.#request<RawVarbind[]>(oids, opts, (cb) => this.#raw.get([...oids], cb)).then((vbs) =>
      vbs.map(fromRawVarbind),
    );
  }

  getNext(oids: readonly string[], opts?: RequestOptions): Promise<Varbind[]> {
    return this.#request<RawVarbind[]>(oids, opts, (cb) => this.#raw.getNext([...oids], cb)).then((vbs) =>
      vbs.map(fromRawVarbind),
    );
  }

  /** GetBulk (RFC 3416 section 4.2.3), flattened in wire order. SNMPv1 has none: `not-supported`. */
  getBulk(
    oids: readonly string[],
    nonRepeaters: number,
    maxRepetitions: number,
    opts?: RequestOptions,
  ): Promise<Varbind[]> {
    return this.#getBulkRaw(oids, nonRepeaters, maxRepetitions, opts).then((vbs) => vbs.map(fromRawVarbind));
  }

  /** One SetRequest; the device applies all varbinds or none (RFC 3416 section 4.2.5). */
  set(varbinds: readonly SetVarbind[], opts?: RequestOptions): Promise<Varbind[]> {
    const raw = varbinds.map(toRawVarbind);
    const oids = raw.map((vb) => vb.oid);
    return this.#request<RawVarbind[]>(oids, opts, (cb) => this.#raw.set(raw as snmp.Varbind[], cb)).then(
      (vbs) => vbs.map(fromRawVarbind),
    );
  }

  /**
   * Reads the subtree under `oid` with an explicit prefix check (net-snmp's own `walk()` runs
   * past the subtree). Resolves with what was read and why it stopped; never rejects.
   */
  walk(oid: string, opts: SessionWalkOptions): Promise<WalkResult> {
    const v1 = this.target.access.version === '1';
    const method = opts.method === 'bulk' && !v1 ? 'bulk' : 'next';
    const wire = this.#wireSession();
    const handlers = this.#pageHandlers();
    const { maxRepetitions } = opts;
    const paging: WalkPaging<WalkEntry> = {
      page: (from, signal) => wire.page({ method, oid: from, maxRepetitions }, signal, handlers),
      oidOf: (entry) => (entry instanceof WireVarbind ? entry.oid() : entry.oid),
      isException: (entry) =>
        entry instanceof WireVarbind ? entry.isException() : entry.error !== undefined,
      convert: (entries) => {
        const page = entries.map((entry) => (entry instanceof WireVarbind ? entry.toVarbind() : entry));
        if (opts.names) {
          for (const vb of page) {
            const name = opts.names(vb.oid);
            if (name !== undefined) vb.name = name;
          }
        }
        return page;
      },
      get: (root, signal) => this.get([root], { signal }),
      // RFC 1157 section 4.1.3: an SNMPv1 agent answers noSuchName past the end of its view.
      isEndOfView: (error) => v1 && error.snmpStatus === 'noSuchName',
    };
    return walkSubtree(oid, paging, {
      maxVarbinds: opts.maxVarbinds,
      onProgress: opts.onProgress,
      signal: opts.signal,
      target: this.label,
    });
  }

  /** Closes the socket; requests still in flight reject with `cancelled`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wire?.close();
    try {
      this.#raw.close();
    } catch {
      // Already closed underneath (socket error): nothing left to release.
    }
  }

  /** GetBulk as net-snmp decoded it, in wire order; a walk converts pages itself. */
  #getBulkRaw(
    oids: readonly string[],
    nonRepeaters: number,
    maxRepetitions: number,
    opts?: RequestOptions,
  ): Promise<RawVarbind[]> {
    if (this.target.access.version === '1') {
      const error = resultError('not-supported', `${this.label}: GetBulk does not exist in SNMPv1`);
      return Promise.reject(new SnmpError(error));
    }
    // RFC 3416 section 4.2.3: N = min(non-repeaters, L); net-snmp miscounts past L.
    const n = Math.min(nonRepeaters, oids.length);
    return this.#request<BulkResult>(oids, opts, (cb) =>
      this.#raw.getBulk([...oids], n, maxRepetitions, cb),
    ).then(flattenBulk);
  }

  /**
   * How the pages of one walk end when our own message layer does not answer them: net-snmp
   * reads the page instead, and failures become `SnmpError`s as net-snmp's would. Made once
   * per walk, so a page costs no closures of its own.
   */
  #pageHandlers(): PageHandlers<Varbind[]> {
    const attempts = this.timing.retries + 1;
    return {
      fallback: (page, signal) =>
        (page.method === 'bulk'
          ? this.#getBulkRaw([page.oid], 0, page.maxRepetitions, { signal })
          : this.#request<RawVarbind[]>([page.oid], { signal }, (cb) => this.#raw.getNext([page.oid], cb))
        ).then((vbs) => vbs.map(fromRawVarbind)),
      cancelled: () => new SnmpError(resultError('cancelled', `${this.label}: request aborted`)),
      // The page's OID names the varbind an error-status points at, as net-snmp's path does.
      failed: (err, keysSuspect, page) =>
        this.#toError(err, { target: this.label, attempts, oids: [page.oid] }, keysSuspect),
    };
  }

  #wireSession(): WireSession {
    if (!this.#wire) {
      this.#wire = new WireSession({
        host: this.target.host,
        access: this.target.access,
        timeoutMs: this.timing.timeoutMs,
        retries: this.timing.retries,
        lookup: literalLookup,
      });
    }
    return this.#wire;
  }

  #discovered(): boolean {
    return (this.#raw as unknown as SessionInternals).msgSecurityParameters != null;
  }

  /**
   * A cold SNMPv3 request whose discovery was answered but whose authenticated request never
   * was: the engine is there and drops what it cannot authenticate or decrypt. RFC 3414 section
   * 3.2 asks for a usmStats report instead, but not every agent sends one (net-snmp's does not).
   */
  #toError(err: unknown, ctx: ErrorContext, keysSuspect: boolean): SnmpError {
    let result = toResultError(err, ctx);
    if (keysSuspect && result.code === 'timeout') {
      result = resultError(
        'auth',
        `${this.label}: SNMPv3 engine answered discovery but not the authenticated request after ` +
          `${ctx.attempts} attempts; authKey or privKey is probably wrong`,
      );
    }
    return new SnmpError(result, { cause: err });
  }

  #request<T>(
    oids: readonly string[],
    opts: RequestOptions | undefined,
    start: (cb: Callback<T>) => void,
  ): Promise<T> {
    const ctx: ErrorContext = { target: this.label, attempts: this.timing.retries + 1, oids };
    const signal = opts?.signal;
    const cold = this.target.access.version === '3' && !this.#discovered();
    return new Promise<T>((resolve, reject) => {
      if (this.#closed)
        return reject(new SnmpError(resultError('cancelled', `${this.label}: session is closed`)));
      if (signal?.aborted)
        return reject(new SnmpError(resultError('cancelled', `${this.label}: request aborted`)));
      const settle = () => {
        clearTimeout(guard);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        reject(new SnmpError(resultError('cancelled', `${this.label}: request aborted`)));
      };
      const guardMs = this.timing.timeoutMs * (this.timing.retries + 1) * GUARD_FACTOR + GUARD_SLACK_MS;
      const guard = setTimeout(() => {
        settle();
        const detail = this.#internalError instanceof Error ? `: ${this.#internalError.message}` : '';
        reject(
          new SnmpError(resultError('protocol', `${this.label}: response could not be processed${detail}`)),
        );
      }, guardMs);
      guard.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        start((error, result) => {
          settle();
          if (error) reject(this.#toError(error, ctx, cold && this.#discovered()));
          else resolve(result as T);
        });
      } catch (err) {
        settle();
        reject(this.#toError(err, ctx, cold && this.#discovered()));
      }
    });
  }

  /** An exception thrown while net-snmp handles a datagram would be uncaught; keep it as data. */
  #guardMessages(): void {
    const raw = this.#raw as unknown as SessionInternals;
    const socket = raw.dgram;
    if (typeof socket?.removeAllListeners !== 'function') return;
    socket.removeAllListeners('message');
    socket.on('message', (buffer) => {
      try {
        raw.onMsg(buffer);
      } catch (err) {
        this.#internalError = err;
      }
    });
  }
}
