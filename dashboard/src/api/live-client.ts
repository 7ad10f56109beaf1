import {
  LIVE_MAX_TOPICS,
  LiveServerMessage,
  type LiveClientMessage,
  type LiveTopic,
  liveTopicKey,
} from '@drm/protocol';
import { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from '../lib/backoff.js';
import { keepSnapshot, type TopicEntry, topicKeysOf } from './live-routing.js';

/** The parts of a WebSocket the client uses: the browser's, or `ws` in tests. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Where the connection stands, for the "live" indicator. */
export type LiveStatus =
  | { state: 'idle' }
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  | { state: 'waiting'; attempt: number; retryAt: number }
  | { state: 'closed' };

export type LiveFrameHandler = (frame: LiveServerMessage) => void;

export interface LiveClientOptions {
  url: string | (() => string);
  createSocket?: (url: string) => WebSocketLike;
  backoff?: BackoffOptions;
  /** Extra silence allowed past two heartbeats before the socket is taken for dead. */
  heartbeatSlackMs?: number;
  now?: () => number;
}

const OPEN = 1;

/**
 * One WebSocket to `GET /api/v1/live` for the whole tab. Components subscribe to topics; the
 * client opens the socket on the first one, reconnects with backoff when it drops, and sends
 * every topic again after a reconnect: the hub answers each with a snapshot, so a view that
 * missed updates while the link was down is whole again without reloading.
 */
export class LiveClient {
  readonly #opts: Required<Omit<LiveClientOptions, 'url'>> & { url: () => string };
  readonly #topics = new Map<string, TopicEntry>();
  readonly #statusListeners = new Set<(status: LiveStatus) => void>();
  #socket: WebSocketLike | null = null;
  #status: LiveStatus = { state: 'idle' };
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #heartbeatMs = 0;
  #refs = 0;
  #closed = false;
  /** Frames that did not match the contract; dropped, counted for diagnosis. */
  invalidFrames = 0;

  constructor(opts: LiveClientOptions) {
    const { url } = opts;
    this.#opts = {
      url: typeof url === 'function' ? url : () => url,
      createSocket: opts.createSocket ?? ((u) => new WebSocket(u) as unknown as WebSocketLike),
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      heartbeatSlackMs: opts.heartbeatSlackMs ?? 5000,
      now: opts.now ?? Date.now,
    };
  }

  get status(): LiveStatus {
    return this.#status;
  }

  /** Listens to connection changes; called at once with the current status. */
  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.#statusListeners.add(listener);
    listener(this.#status);
    return () => this.#statusListeners.delete(listener);
  }

  /** Watches `topic`; every frame that concerns it reaches `handler` until the returned function is called. */
  subscribe(topic: LiveTopic, handler: LiveFrameHandler): () => void {
    const key = liveTopicKey(topic);
    let entry = this.#topics.get(key);
    if (!entry) {
      if (this.#topics.size >= LIVE_MAX_TOPICS) {
        handler({
          type: 'error',
          code: 'too_many_topics',
          message: 'Too many live views open in this tab',
          topic,
        });
        return () => undefined;
      }
      entry = { topic, handlers: new Set() };
      this.#topics.set(key, entry);
      this.#send({ type: 'subscribe', ref: this.#ref(), topic });
    }
    entry.handlers.add(handler);
    const { snapshot } = entry;
    if (snapshot !== undefined) {
      // The hub sent its snapshot to the first handler; a later one gets the kept copy.
      queueMicrotask(() => {
        if (entry?.handlers.has(handler)) handler({ type: 'subscribed', topic, snapshot });
      });
    }
    this.#closed = false;
    if (!this.#socket && this.#status.state !== 'waiting') this.#connect();
    return () => this.#unsubscribe(key, handler);
  }

  /** Retry at once if a reconnect is pending (the network came back, the tab became visible). */
  reconnectNow(): void {
    if (this.#status.state !== 'waiting') return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  }

  /** Closes the socket and forgets every topic (logout). */
  close(): void {
    this.#closed = true;
    this.#topics.clear();
    clearTimeout(this.#retryTimer);
    this.#stopHeartbeat();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'closed by the dashboard');
    }
    this.#setStatus({ state: 'closed' });
  }

  #unsubscribe(key: string, handler: LiveFrameHandler): void {
    const entry = this.#topics.get(key);
    if (!entry?.handlers.delete(handler) || entry.handlers.size > 0) return;
    this.#topics.delete(key);
    this.#send({ type: 'unsubscribe', ref: this.#ref(), topic: entry.topic });
  }

  #ref(): string {
    this.#refs += 1;
    return String(this.#refs);
  }

  #send(message: LiveClientMessage): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(JSON.stringify(message));
  }

  #setStatus(status: LiveStatus): void {
    this.#status = status;
    for (const listener of this.#statusListeners) listener(status);
  }

  #connect(): void {
    this.#setStatus({ state: 'connecting', attempt: this.#attempt });
    let socket: WebSocketLike;
    try {
      socket = this.#opts.createSocket(this.#opts.url());
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#setStatus({ state: 'open' });
      for (const { topic } of this.#topics.values())
        this.#send({ type: 'subscribe', ref: this.#ref(), topic });
    };
    socket.onmessage = (ev) => this.#receive(ev.data);
    // A failed handshake reports an error and then a close; the close does the work.
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#stopHeartbeat();
      if (!this.#closed) this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    const delay = reconnectDelay(this.#attempt, this.#opts.backoff);
    this.#attempt += 1;
    this.#setStatus({ state: 'waiting', attempt: this.#attempt, retryAt: this.#opts.now() + delay });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #receive(data: unknown): void {
    this.#armWatchdog();
    let frame: LiveServerMessage;
    try {
      const parsed = LiveServerMessage.safeParse(JSON.parse(typeof data === 'string' ? data : String(data)));
      if (!parsed.success) throw parsed.error;
      frame = parsed.data;
    } catch {
      this.invalidFrames += 1;
      return;
    }
    if (frame.type === 'hello') {
      // Only a hello proves the hub accepted us; until then a flapping link keeps backing off.
      this.#attempt = 0;
      this.#startHeartbeat(frame.heartbeatSeconds * 1000);
      return;
    }
    const delivered = new Set<LiveFrameHandler>();
    for (const key of topicKeysOf(frame)) {
      const entry = this.#topics.get(key);
      if (entry) keepSnapshot(entry, frame);
      for (const handler of entry?.handlers ?? []) {
        if (delivered.has(handler)) continue;
        delivered.add(handler);
        try {
          handler(frame);
        } catch (err) {
          // One broken view must not stop the others from updating.
          reportError(err);
        }
      }
    }
  }

  #startHeartbeat(ms: number): void {
    this.#stopHeartbeat();
    this.#heartbeatMs = ms;
    this.#pingTimer = setInterval(() => this.#send({ type: 'ping', ref: this.#ref() }), ms);
    this.#armWatchdog();
  }

  #armWatchdog(): void {
    if (!this.#heartbeatMs) return;
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(
      () => {
        // Silent for two heartbeats: the link is dead even if the socket does not know yet.
        const socket = this.#socket;
        if (!socket) return;
        this.#socket = null;
        this.#stopHeartbeat();
        socket.onclose = null;
        socket.close(4000, 'no heartbeat');
        this.#scheduleReconnect();
      },
      this.#heartbeatMs * 2 + this.#opts.heartbeatSlackMs,
    );
  }

  #stopHeartbeat(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#watchdog);
    this.#heartbeatMs = 0;
  }
}

function reportError(err: unknown): void {
  // Surfaces in the browser's console and error tooling without breaking the dispatch loop.
  setTimeout(() => {
    throw err;
  });
}
