import {
  LIVE_CLOSE_CODES,
  LIVE_MAX_TOPICS,
  LiveClientMessage,
  type LiveServerMessage,
  type LiveTopic,
  liveTopicKey,
} from '@drm/protocol';
import type { BaseLogger } from 'pino';
import type { WebSocket } from 'ws';
import type { LiveHub, OpenResult } from './hub.js';
import type { LiveMetrics } from './metrics.js';
import { type EncodedFrame, encodeFrame, type LiveSubscriber } from './registry.js';
import { FrameSender, type SenderLimits, type Transport } from './sender.js';

/** Who is on the other end, as the upgrade request was authenticated. */
export interface LiveUser {
  userId: string;
  /** The SHA-256 of the token, to check now and then that it is still valid. */
  tokenHash: Buffer;
}

export interface ConnectionOptions {
  hub: LiveHub;
  metrics: LiveMetrics;
  log: Pick<BaseLogger, 'info' | 'debug' | 'warn'>;
  limits: SenderLimits;
  heartbeatSeconds: number;
}

/** Subscriptions being opened at once per connection; more are refused with `busy`. */
const MAX_OPENING = 32;
/** Bad frames a connection may send before it is closed (1008): a broken client, not a typo. */
const MAX_BAD_FRAMES = 100;
/** How long a closing socket may take to say goodbye before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/** Ids compare in lower case everywhere in the fan-out (the database returns them so). */
function lowerTopic(t: LiveTopic): LiveTopic {
  const tenantId = t.tenantId.toLowerCase();
  switch (t.kind) {
    case 'job':
      return { kind: 'job', tenantId, jobId: t.jobId.toLowerCase() };
    case 'device':
      return { kind: 'device', tenantId, deviceId: t.deviceId.toLowerCase() };
    default:
      return { kind: t.kind, tenantId };
  }
}

/** Closes with `code`, and cuts the socket if the close handshake does not finish in time. */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED) return;
  if (ws.readyState === ws.OPEN) ws.close(code, reason);
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

/**
 * One WebSocket client: reads its frames (validated, answered), holds its subscriptions in the
 * hub's registry, and writes what the fan-out gives it through a bounded `FrameSender`.
 */
export class LiveConnection implements LiveSubscriber {
  /** Topic key → topic, and whether its snapshot went out (frames of it flow only then). */
  readonly #topics = new Map<string, { topic: LiveTopic; open: boolean }>();
  readonly sender: FrameSender;
  #opening = 0;
  #badFrames = 0;
  /** Cleared at each heartbeat, set by the pong. */
  alive = true;

  constructor(
    readonly ws: WebSocket,
    readonly user: LiveUser,
    private readonly opts: ConnectionOptions,
  ) {
    const transport: Transport = {
      kind: 'ws',
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      write: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data, { binary: false });
      },
      close: (code, reason) => closeSocket(ws, code, reason),
    };
    this.sender = new FrameSender(transport, opts.limits, opts.metrics);
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    this.#send({ type: 'hello', at: new Date().toISOString(), heartbeatSeconds: opts.heartbeatSeconds });
  }

  accepts(key: string): boolean {
    return this.#topics.get(key)?.open === true;
  }

  deliver(frame: EncodedFrame): void {
    this.sender.send(frame.data, frame.coalesceKey);
  }

  /** Tenants this connection holds topics of (for the periodic access check). */
  tenants(): Set<string> {
    return new Set([...this.#topics.values()].map((t) => t.topic.tenantId));
  }

  /** Ends the topics of a tenant the user may no longer see, with the same answer as a refusal. */
  revokeTenant(tenantId: string): void {
    for (const [key, { topic }] of this.#topics) {
      if (topic.tenantId !== tenantId) continue;
      this.#drop(key, topic);
      this.#send({ type: 'error', code: 'not_found', message: 'No such topic', topic });
    }
  }

  /** Called once the socket closed: leaves every topic and frees what waits to be sent. */
  closed(): void {
    for (const [key, { topic }] of this.#topics) this.opts.hub.registry.remove(key, topic, this);
    this.#topics.clear();
    this.sender.close();
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    let raw: unknown;
    try {
      if (isBinary) throw new Error('binary');
      raw = JSON.parse(String(data));
    } catch {
      this.#bad('json', 'Frames are JSON text');
      return;
    }
    const parsed = LiveClientMessage.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#bad(
        'schema',
        `Not a valid frame: ${issue ? `${issue.path.join('.') || '/'} ${issue.message}` : ''}`,
      );
      return;
    }
    const msg = parsed.data;
    const ref = msg.ref === undefined ? {} : { ref: msg.ref };
    if (msg.type === 'ping') this.#send({ type: 'pong', ...ref, at: new Date().toISOString() });
    else if (msg.type === 'unsubscribe') this.#unsubscribe(lowerTopic(msg.topic), ref);
    else this.#subscribe(lowerTopic(msg.topic), ref);
  }

  #subscribe(topic: LiveTopic, ref: { ref?: string }): void {
    const key = liveTopicKey(topic);
    if (!this.#topics.has(key) && this.#topics.size >= LIVE_MAX_TOPICS) {
      this.#send({
        type: 'error',
        ...ref,
        code: 'limit',
        message: `At most ${LIVE_MAX_TOPICS} topics`,
        topic,
      });
      return;
    }
    if (this.#opening >= MAX_OPENING) {
      this.#send({ type: 'error', ...ref, code: 'busy', message: 'Too many subscriptions at once', topic });
      return;
    }
    // Closed until the snapshot goes out: a client never sees an update older than its snapshot.
    const entry = { topic, open: false };
    this.#topics.set(key, entry);
    this.opts.hub.registry.add(key, topic, this);
    this.#opening += 1;
    this.opts.hub.open(topic, this.user.userId, (result: OpenResult) => {
      this.#opening -= 1;
      const current = this.#topics.get(key);
      // Unsubscribed meanwhile: its `unsubscribed` was the answer.
      if (this.sender.closed || !current) return;
      if (result.ok) {
        // A newer subscribe to the same topic opens it when its own snapshot goes out.
        if (current === entry) entry.open = true;
        this.#send({
          type: 'subscribed',
          ...ref,
          topic,
          ...(result.snapshot && { snapshot: result.snapshot }),
        });
        return;
      }
      if (current === entry) this.#drop(key, topic);
      // A topic one may not see gets the same answer as one that does not exist.
      const message = result.code === 'not_found' ? 'No such topic' : 'Try again later';
      this.#send({ type: 'error', ...ref, code: result.code, message, topic });
    });
  }

  #unsubscribe(topic: LiveTopic, ref: { ref?: string }): void {
    this.#drop(liveTopicKey(topic), topic);
    this.#send({ type: 'unsubscribed', ...ref, topic });
  }

  #drop(key: string, topic: LiveTopic): void {
    this.#topics.delete(key);
    this.opts.hub.registry.remove(key, topic, this);
  }

  #bad(reason: 'json' | 'schema', message: string): void {
    this.opts.metrics.badFrames.inc({ reason });
    this.#badFrames += 1;
    if (this.#badFrames > MAX_BAD_FRAMES) {
      this.opts.metrics.dropped.inc({ transport: 'ws', reason: 'bad-frames' });
      this.sender.close();
      closeSocket(this.ws, LIVE_CLOSE_CODES.POLICY, 'too many bad frames');
      return;
    }
    this.#send({ type: 'error', code: 'bad_frame', message });
  }

  #send(frame: LiveServerMessage): void {
    this.sender.send(encodeFrame(frame).data);
  }
}
