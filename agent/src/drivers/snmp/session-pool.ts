import { createHash } from 'node:crypto';
import { type SnmpTarget, SnmpSession, type SnmpTiming } from './session.js';

export interface SessionPoolOptions {
  /** Close a session nobody has used for this long. Default 60 s. */
  idleMs?: number;
  /** Above this many open sessions, idle ones are closed oldest first. Default 256. */
  maxSessions?: number;
}

/** A session borrowed from the pool; give it back with `release()`. */
export interface SessionLease {
  readonly session: SnmpSession;
  /** `discard: true` drops the session from the pool (it closes once no lease holds it). */
  release(opts?: { discard?: boolean }): void;
}

interface Entry {
  key: string;
  session: SnmpSession;
  leases: number;
  lastUsed: number;
  idleTimer: NodeJS.Timeout | undefined;
  retired: boolean;
}

const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_MAX_SESSIONS = 256;

/**
 * The pool key: everything that makes two sessions differ. Hashed so that communities and keys
 * are not kept as readable map keys; the session holds them anyway.
 */
function poolKey(target: SnmpTarget, timing: SnmpTiming): string {
  const a = target.access;
  const credentials =
    a.version === '3'
      ? [a.username, a.securityLevel, a.authProtocol, a.authKey, a.privProtocol, a.privKey, a.context ?? '']
      : [a.community];
  const material = JSON.stringify([
    target.host,
    a.port,
    a.version,
    credentials,
    timing.timeoutMs,
    timing.retries,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

/**
 * Reuses one `SnmpSession` per device, credentials and timing. A warm SNMPv3 session skips
 * engine discovery and key localisation (RFC 3414 sections 4 and 2.6), which make a cold walk
 * two to three times slower. Sessions may be shared by concurrent leases: net-snmp matches
 * responses to requests by request-id.
 */
export class SessionPool {
  readonly #entries = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #maxSessions: number;
  #closed = false;

  constructor(opts: SessionPoolOptions = {}) {
    this.#idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    this.#maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  /** Open sessions held by the pool. */
  get size(): number {
    return this.#entries.size;
  }

  acquire(target: SnmpTarget, timing: SnmpTiming): SessionLease {
    if (this.#closed) throw new Error('session pool is closed');
    const key = poolKey(target, timing);
    let entry = this.#entries.get(key);
    if (entry?.session.closed) {
      this.#retire(entry);
      entry = undefined;
    }
    if (!entry) {
      this.#evictIdle(this.#maxSessions - 1);
      entry = {
        key,
        session: new SnmpSession(target, timing),
        leases: 0,
        lastUsed: Date.now(),
        idleTimer: undefined,
        retired: false,
      };
      this.#entries.set(key, entry);
    }
    return this.#lease(entry);
  }

  /** Borrows a session for the duration of `fn`. */
  async use<T>(target: SnmpTarget, timing: SnmpTiming, fn: (session: SnmpSession) => Promise<T>): Promise<T> {
    const lease = this.acquire(target, timing);
    try {
      return await fn(lease.session);
    } finally {
      lease.release();
    }
  }

  /** Closes every session, leased or not; in-flight requests reject with `cancelled`. */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) {
      this.#retire(entry);
      entry.session.close();
    }
  }

  #lease(entry: Entry): SessionLease {
    entry.leases += 1;
    entry.lastUsed = Date.now();
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let released = false;
    return {
      session: entry.session,
      release: (opts) => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        entry.lastUsed = Date.now();
        if (opts?.discard) this.#retire(entry);
        if (entry.leases > 0) return;
        if (entry.retired) entry.session.close();
        else this.#scheduleIdleClose(entry);
      },
    };
  }

  #scheduleIdleClose(entry: Entry): void {
    entry.idleTimer = setTimeout(() => {
      if (entry.leases > 0) return;
      this.#retire(entry);
      entry.session.close();
    }, this.#idleMs);
    // An idle session must not keep the agent's process alive.
    entry.idleTimer.unref();
  }

  #retire(entry: Entry): void {
    entry.retired = true;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
  }

  /** Closes idle sessions, least recently used first, until at most `limit` remain. */
  #evictIdle(limit: number): void {
    if (this.#entries.size <= limit) return;
    const idle = [...this.#entries.values()]
      .filter((e) => e.leases === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (this.#entries.size <= limit) return;
      this.#retire(entry);
      entry.session.close();
    }
  }
}
