import { LIVE_CLOSE_CODES } from '@drm/protocol';
import type { BaseLogger } from 'pino';
import type { WebSocket } from 'ws';
import type { Db } from '../db/types.js';
import { closeSocket, LiveConnection, type LiveUser } from './connection.js';
import type { LiveHub } from './hub.js';
import type { LiveMetrics } from './metrics.js';
import type { SenderLimits } from './sender.js';
import { checkSession } from './session-check.js';

export interface LiveSocketsOptions {
  hub: LiveHub;
  db: Pick<Db, 'asSystem'>;
  metrics: LiveMetrics;
  log: Pick<BaseLogger, 'info' | 'debug' | 'warn' | 'error'>;
  limits: SenderLimits;
  /** A ping this often; a client that has not answered the previous one is cut. */
  heartbeatMs: number;
  /** How often each connection's token and tenant roles are checked again. */
  sessionCheckMs: number;
}

/**
 * The WebSocket clients of this hub: one heartbeat for all of them (a ping per interval; no
 * pong by the next one and the socket is cut, as a half-open TCP connection never says it
 * died), the periodic session check, and the close of every client when the hub stops.
 */
export class LiveSockets {
  readonly #conns = new Map<LiveConnection, number>();
  readonly #timer: NodeJS.Timeout;
  #checking = false;

  constructor(private readonly opts: LiveSocketsOptions) {
    this.#timer = setInterval(() => this.#beat(), opts.heartbeatMs);
    this.#timer.unref();
  }

  accept(ws: WebSocket, user: LiveUser): LiveConnection {
    const conn = new LiveConnection(ws, user, {
      hub: this.opts.hub,
      metrics: this.opts.metrics,
      log: this.opts.log,
      limits: this.opts.limits,
      heartbeatSeconds: Math.max(1, Math.ceil(this.opts.heartbeatMs / 1000)),
    });
    this.#conns.set(conn, Date.now());
    this.opts.metrics.clients.inc({ transport: 'ws' });
    ws.once('close', () => {
      this.#conns.delete(conn);
      conn.closed();
      this.opts.metrics.clients.dec({ transport: 'ws' });
    });
    return conn;
  }

  get size(): number {
    return this.#conns.size;
  }

  /** The connections open now (their senders' state, for tests and the bench). */
  connections(): LiveConnection[] {
    return [...this.#conns.keys()];
  }

  /** Closes every client with 1001 so it reconnects (to another replica, or to us once back). */
  async closeAll(reason = 'hub shutting down'): Promise<void> {
    clearInterval(this.#timer);
    const closing = [...this.#conns.keys()].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.ws.readyState === conn.ws.CLOSED) return resolve();
          conn.ws.once('close', () => resolve());
          conn.sender.close();
          closeSocket(conn.ws, LIVE_CLOSE_CODES.GOING_AWAY, reason);
        }),
    );
    await Promise.all(closing);
  }

  #beat(): void {
    const now = Date.now();
    const due: LiveConnection[] = [];
    for (const [conn, checkedAt] of this.#conns) {
      if (!conn.alive) {
        this.opts.metrics.dropped.inc({ transport: 'ws', reason: 'heartbeat' });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      if (now - checkedAt >= this.opts.sessionCheckMs) due.push(conn);
    }
    if (due.length > 0 && !this.#checking) void this.#checkSessions(due, now);
  }

  /** One connection after the other: a few cheap queries, never a burst of them. */
  async #checkSessions(conns: LiveConnection[], now: number): Promise<void> {
    this.#checking = true;
    try {
      for (const conn of conns) {
        if (!this.#conns.has(conn)) continue;
        this.#conns.set(conn, now);
        const state = await checkSession(this.opts.db, conn.user.tokenHash, conn.tenants()).catch(
          (err: unknown) => {
            this.opts.log.warn({ err }, 'live session check failed');
            return null;
          },
        );
        if (state?.ended) {
          this.opts.metrics.dropped.inc({ transport: 'ws', reason: 'session' });
          conn.sender.close();
          closeSocket(conn.ws, LIVE_CLOSE_CODES.POLICY, 'session ended');
        } else {
          for (const tenantId of state?.lostTenants ?? []) conn.revokeTenant(tenantId);
        }
      }
    } finally {
      this.#checking = false;
    }
  }
}
