import { LIVE_CLOSE_CODES } from '@drm/protocol';
import type { LiveMetrics } from './metrics.js';

/** Where one client's frames go: a WebSocket or an SSE response. */
export interface Transport {
  readonly kind: 'ws' | 'sse';
  /** Bytes accepted but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  write(data: Buffer): void;
  /** Ends the connection; `code` is a WebSocket close code (SSE just ends the response). */
  close(code: number, reason: string): void;
}

export interface SenderLimits {
  /** Above this many buffered bytes the client is slow: frames wait, and updates coalesce. */
  highWaterBytes: number;
  /** Frames waiting for a slow client may take this much; past it the client is dropped. */
  maxPendingBytes: number;
  /** A client slow for this long without catching up is dropped. */
  stuckMs: number;
  /** How often waiting frames are retried while the client is slow. */
  flushEveryMs: number;
}

export const DEFAULT_SENDER_LIMITS: SenderLimits = {
  highWaterBytes: 256 * 1024,
  maxPendingBytes: 1024 * 1024,
  stuckMs: 30_000,
  flushEveryMs: 25,
};

/**
 * One client's outgoing frames with bounded memory. While the transport keeps up, a frame is
 * written at once. Once it holds more than `highWaterBytes`, frames wait here in arrival
 * order; a frame with a coalescing key (a target's progress, an agent's state) replaces the
 * waiting one with the same key in place, so a slow client gets the latest value and never a
 * backlog of stale ones. A client that stays slow past `stuckMs`, or whose waiting frames
 * pass `maxPendingBytes`, is dropped: it reconnects and takes a fresh snapshot.
 */
export class FrameSender {
  readonly #pending = new Map<string, Buffer>();
  #pendingBytes = 0;
  #seq = 0;
  #slowSince: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Bound once: a labelled child is cheaper than a label lookup on every frame. */
  readonly #framesSent: { inc(): void };

  constructor(
    private readonly transport: Transport,
    private readonly limits: SenderLimits,
    private readonly metrics: LiveMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.#framesSent = metrics.framesSent.labels(transport.kind);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frames (or bytes) waiting here, for tests and the bench. */
  get pending(): { frames: number; bytes: number } {
    return { frames: this.#pending.size, bytes: this.#pendingBytes };
  }

  send(data: Buffer, coalesceKey?: string): void {
    if (this.#closed) return;
    if (this.#pending.size === 0 && this.transport.bufferedAmount < this.limits.highWaterBytes) {
      this.#write(data);
      return;
    }
    const old = coalesceKey === undefined ? undefined : this.#pending.get(coalesceKey);
    if (old) {
      this.#pendingBytes -= old.length;
      this.metrics.coalesced.inc({ transport: this.transport.kind });
    }
    // Map.set on an existing key keeps its place: the latest value goes out where the first stood.
    this.#pending.set(coalesceKey ?? `#${this.#seq++}`, data);
    this.#pendingBytes += data.length;
    if (this.#pendingBytes > this.limits.maxPendingBytes) {
      this.drop('overflow');
      return;
    }
    this.#slowSince ??= this.now();
    this.#timer ??= setInterval(() => this.#flush(), this.limits.flushEveryMs);
  }

  /** Ends the connection because the client cannot keep up. */
  drop(reason: 'overflow' | 'stuck'): void {
    if (this.#closed) return;
    this.metrics.dropped.inc({ transport: this.transport.kind, reason });
    this.close();
    this.transport.close(
      LIVE_CLOSE_CODES.TRY_AGAIN_LATER,
      reason === 'stuck' ? 'client too slow' : 'too far behind',
    );
  }

  /** Stops sending and frees what waits; the caller closes the transport. */
  close(): void {
    this.#closed = true;
    this.#pending.clear();
    this.#pendingBytes = 0;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #write(data: Buffer): void {
    this.transport.write(data);
    this.#framesSent.inc();
  }

  #flush(): void {
    for (const [key, data] of this.#pending) {
      if (this.transport.bufferedAmount >= this.limits.highWaterBytes) break;
      this.#pending.delete(key);
      this.#pendingBytes -= data.length;
      this.#write(data);
    }
    if (this.#pending.size === 0) {
      this.#slowSince = null;
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
    } else if (this.#slowSince !== null && this.now() - this.#slowSince > this.limits.stuckMs) {
      this.drop('stuck');
    }
  }
}
