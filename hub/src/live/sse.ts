import type { ServerResponse } from 'node:http';
import {
  isTerminalStatus,
  type LiveJobState,
  liveTopicKey,
  SSE_EVENT_END,
  SSE_EVENT_SNAPSHOT,
} from '@drm/protocol';
import type { BaseLogger } from 'pino';
import type { Db } from '../db/types.js';
import type { LiveUser } from './connection.js';
import type { LiveHub } from './hub.js';
import type { LiveMetrics } from './metrics.js';
import type { EncodedFrame, LiveSubscriber } from './registry.js';
import { FrameSender, type SenderLimits, type Transport } from './sender.js';
import { checkSession } from './session-check.js';

export interface SseOptions {
  hub: LiveHub;
  db: Pick<Db, 'asSystem'>;
  metrics: LiveMetrics;
  log: Pick<BaseLogger, 'warn' | 'error'>;
  limits: SenderLimits;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs: number;
  /** How often each stream's token and tenant role are checked again. */
  sessionCheckMs: number;
  /** The `retry:` a client's EventSource waits before it reconnects, in ms. */
  retryMs: number;
}

const CLOSE_GRACE_MS = 2_000;

function sseEvent(event: string, data: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** One job's SSE stream: the snapshot, then its progress and updates, `end` when it finished. */
class SseStream implements LiveSubscriber {
  readonly sender: FrameSender;
  readonly key: string;
  #open = false;
  checkedAt = Date.now();

  constructor(
    readonly res: ServerResponse,
    readonly user: LiveUser,
    readonly tenantId: string,
    readonly jobId: string,
    opts: SseOptions,
  ) {
    this.key = liveTopicKey({ kind: 'job', tenantId, jobId });
    const transport: Transport = {
      kind: 'sse',
      get bufferedAmount() {
        return res.writableLength;
      },
      write: (data) => {
        if (!res.writableEnded) res.write(data);
      },
      close: () => this.end(),
    };
    this.sender = new FrameSender(transport, opts.limits, opts.metrics);
  }

  accepts(key: string): boolean {
    return this.#open && key === this.key;
  }

  deliver(frame: EncodedFrame): void {
    const { frame: f } = frame;
    if (f.type !== 'job.progress' && f.type !== 'job.updated') return;
    frame.sse ??= sseEvent(f.type, f);
    this.sender.send(frame.sse, frame.coalesceKey);
    if (f.type === 'job.updated') this.#endIfFinished(f.job);
  }

  /** Writes the snapshot and opens the stream to updates; ends it at once for a finished job. */
  opened(snapshot: LiveJobState): void {
    this.#open = true;
    this.sender.send(sseEvent(SSE_EVENT_SNAPSHOT, snapshot));
    this.#endIfFinished(snapshot);
  }

  keepAlive(): void {
    this.sender.send(Buffer.from(': keep-alive\n\n'));
  }

  /** Ends the response (without `end`: a client that did not see `end` reconnects). */
  end(): void {
    this.#open = false;
    this.sender.close();
    if (!this.res.writableEnded) this.res.end();
    setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS).unref();
  }

  #endIfFinished(job: LiveJobState): void {
    if (!isTerminalStatus(job.status)) return;
    this.sender.send(sseEvent(SSE_EVENT_END, { jobId: job.jobId, status: job.status }));
    this.#open = false;
    this.sender.close();
    this.res.end();
  }
}

/** The SSE streams of this hub: keep-alives, periodic session checks, the end of all on close. */
export class SseStreams {
  readonly #streams = new Set<SseStream>();
  readonly #timer: NodeJS.Timeout;
  #checking = false;

  constructor(private readonly opts: SseOptions) {
    this.#timer = setInterval(() => this.#tick(), opts.keepAliveMs);
    this.#timer.unref();
  }

  /**
   * Takes over `res` (already authorised for the job) and streams the job. The route has
   * checked access; the hub checks it again when it reads the snapshot, in order with updates.
   */
  start(res: ServerResponse, user: LiveUser, tenantId: string, jobId: string): void {
    const t = tenantId.toLowerCase();
    const j = jobId.toLowerCase();
    const stream = new SseStream(res, user, t, j, this.opts);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise hold events back in their buffer.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${this.opts.retryMs}\n\n`);
    this.#streams.add(stream);
    this.opts.metrics.clients.inc({ transport: 'sse' });
    const topic = { kind: 'job' as const, tenantId: t, jobId: j };
    res.once('close', () => {
      this.#streams.delete(stream);
      this.opts.hub.registry.remove(stream.key, topic, stream);
      stream.sender.close();
      this.opts.metrics.clients.dec({ transport: 'sse' });
    });
    this.opts.hub.registry.add(stream.key, topic, stream);
    this.opts.hub.open(topic, user.userId, (result) => {
      if (stream.sender.closed) return;
      if (result.ok && result.snapshot && !Array.isArray(result.snapshot)) stream.opened(result.snapshot);
      else stream.end();
    });
  }

  get size(): number {
    return this.#streams.size;
  }

  closeAll(): void {
    clearInterval(this.#timer);
    for (const stream of this.#streams) stream.end();
  }

  #tick(): void {
    const now = Date.now();
    const due: SseStream[] = [];
    for (const stream of this.#streams) {
      stream.keepAlive();
      if (now - stream.checkedAt >= this.opts.sessionCheckMs) due.push(stream);
    }
    if (due.length > 0 && !this.#checking) void this.#check(due, now);
  }

  async #check(streams: SseStream[], now: number): Promise<void> {
    this.#checking = true;
    try {
      for (const s of streams) {
        s.checkedAt = now;
        const state = await checkSession(this.opts.db, s.user.tokenHash, [s.tenantId]).catch(
          (err: unknown) => {
            this.opts.log.warn({ err }, 'live session check failed');
            return null;
          },
        );
        if (state && (state.ended || state.lostTenants.length > 0)) {
          this.opts.metrics.dropped.inc({ transport: 'sse', reason: 'session' });
          s.end();
        }
      }
    } finally {
      this.#checking = false;
    }
  }
}
