import websocket from '@fastify/websocket';
import fp from 'fastify-plugin';
import { LIVE_MAX_CLIENT_FRAME_BYTES } from '@drm/protocol';
import { LiveHub } from '../live/hub.js';
import { liveMetrics } from '../live/metrics.js';
import { PgLiveRelay } from '../live/relay.js';
import { DEFAULT_SENDER_LIMITS, type SenderLimits } from '../live/sender.js';
import { LiveSockets } from '../live/sockets.js';
import { SseStreams } from '../live/sse.js';

export interface LivePluginOptions {
  /** WebSocket ping interval; a client that misses a pong is cut at the next one. Default 30 s. */
  heartbeatMs?: number | undefined;
  /** How often a stream's token and roles are checked again. Default 60 s. */
  sessionCheckMs?: number | undefined;
  /** Slow-client bounds (see `FrameSender`). */
  limits?: Partial<SenderLimits> | undefined;
  /** SSE keep-alive comment interval. Default 15 s. */
  sseKeepAliveMs?: number | undefined;
  /** SSE `retry:` in ms. Default 3 s. */
  sseRetryMs?: number | undefined;
  /**
   * PostgreSQL to relay committed changes between hub replicas through (`LISTEN/NOTIFY`).
   * Default: DATABASE_URL when the hub runs on PostgreSQL; none on the embedded database.
   */
  relayUrl?: string | undefined;
}

/** The live stream's parts, for the routes and the sources of events. */
export interface LiveService {
  /** The fan-out; also the `LiveNotifier` that ingestion, dispatch and the job service call. */
  hub: LiveHub;
  sockets: LiveSockets;
  sse: SseStreams;
  /** Starts relaying changes between replicas through this PostgreSQL (once). */
  startRelay(url: string): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    live: LiveService;
  }
}

/**
 * Live push to browsers and scripts: the fan-out (`app.live.hub`), WebSocket clients and SSE
 * streams. The routes (`/api/v1/live`, the job event streams) are feature routes registered
 * after the auth plugin; this plugin is registered before the agent link, which feeds it.
 * On close, every WebSocket gets 1001 and every SSE stream ends, so clients reconnect.
 */
export const livePlugin = fp<LivePluginOptions>(
  async (app, opts) => {
    const log = app.log.child({ component: 'live' });
    const metrics = liveMetrics(app.metrics);
    const limits = { ...DEFAULT_SENDER_LIMITS, ...opts.limits };
    const sessionCheckMs = opts.sessionCheckMs ?? 60_000;
    const hub = new LiveHub({ db: app.db, log, metrics });
    const sockets = new LiveSockets({
      hub,
      db: app.db,
      metrics,
      log,
      limits,
      heartbeatMs: opts.heartbeatMs ?? 30_000,
      sessionCheckMs,
    });
    const sse = new SseStreams({
      hub,
      db: app.db,
      metrics,
      log,
      limits,
      keepAliveMs: opts.sseKeepAliveMs ?? 15_000,
      sessionCheckMs,
      retryMs: opts.sseRetryMs ?? 3_000,
    });
    let relay: PgLiveRelay | null = null;
    const startRelay = async (url: string) => {
      if (relay) return;
      relay = new PgLiveRelay(url, hub, log);
      hub.attachRelay(relay);
      await relay.start();
    };
    app.decorate<LiveService>('live', { hub, sockets, sse, startRelay });
    const relayUrl = opts.relayUrl ?? (app.db.engine === 'postgres' ? app.config.DATABASE_URL : undefined);
    if (relayUrl) await startRelay(relayUrl);
    await app.register(websocket, {
      // ws closes a connection whose frame is larger with 1009 (RFC 6455 section 7.4.1).
      options: { maxPayload: LIVE_MAX_CLIENT_FRAME_BYTES },
      preClose: (done) => {
        sse.closeAll();
        sockets.closeAll().then(
          () => done(),
          () => done(),
        );
      },
    });
    app.addHook('onClose', async () => {
      await relay?.close();
      await hub.close();
    });
  },
  { name: 'drm-live', dependencies: ['drm-db', 'drm-metrics'] },
);
