import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  type AgentStatus,
  type AgentToHubChannel,
  agentSubscriptions,
  type ChannelBody,
  type ChannelMessage,
  ChannelMessages,
  encodeMessage,
  type HubToAgentChannel,
  isHubToAgent,
  messageFor,
  parseMessage,
  parseTopic,
  RETAINED_CHANNELS,
  topicFor,
} from '@drm/protocol';
import type { Component } from '../components/component.js';
import type { Identity, Meta } from '../store/index.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, Reconnector } from './backoff.js';
import { LinkDownError, OutboundMessageError } from './errors.js';
import { type InvalidCounts, InvalidInbound, type InvalidReason, reasonOf } from './invalid-inbound.js';

export interface MqttLinkOptions {
  identity: Identity;
  /**
   * The MQTT password to log in with, read at each attempt (a rotation may have changed it),
   * and the one before it. Default: the identity's.
   */
  credentials?: () => { password: string; previous?: string | undefined };
  /** Link state and last contact, for `drm-agent status`; the invalid-message count. */
  meta: Pick<Meta, 'setLink' | 'recordContact' | 'set'>;
  log: Logger;
  /** The retained `offline` status registered as the last will; composed at each connect. */
  lastWill: () => AgentStatus;
  /** The `offline` status published on a clean stop, before the DISCONNECT. */
  offlineStatus: () => AgentStatus;
  backoff?: Partial<BackoffPolicy>;
  random?: () => number;
  connectTimeoutMs?: number;
  keepaliveSeconds?: number;
  /** How long `stop()` waits for the broker to take the `offline` status. */
  stopTimeoutMs?: number;
}

type InboundHandler<C extends HubToAgentChannel> = (message: ChannelMessage<C>) => void | Promise<void>;
type Listener = () => void | Promise<void>;

/** One connection attempt: its client, and the publishes waiting for their PUBACK. */
interface Connection {
  client: MqttClient;
  /** Subscribed: the hub's messages reach us and components may run their on-connect work. */
  ready: boolean;
  closed: boolean;
  pending: Set<(err: Error) => void>;
  /** Why the attempt failed (refused login, connection refused, …), for the retry's log line. */
  error?: string;
  /** The attempt logged in with the password from before the latest rotation. */
  withPrevious: boolean;
}

/** CONNACK codes 4 and 5 as mqtt.js words them: the broker refused these credentials. */
const LOGIN_REFUSED = /^Connection refused: (Bad username or password|Not authorized)/;

/**
 * The agent's MQTT link to the hub: one persistent session (clean: false, clientId = agentId)
 * at QoS 1, subscribed to its own `jobs`/`config`/`ack`/`cancel` before anything announces it
 * `online`, with a retained `offline` last will. Reconnects on its own capped, jittered backoff
 * (mqtt.js's fixed `reconnectPeriod` is off): each attempt is a fresh client, so a dead
 * connection's unacknowledged publishes fail at once and their owners re-send from SQLite.
 *
 * Every outgoing message is checked against the protocol; every incoming one is parsed, and
 * an invalid one is logged, counted and dropped. Handlers run one message at a time, in order.
 */
export class MqttLink implements Component {
  readonly #handlers = new Map<HubToAgentChannel, (message: unknown) => void | Promise<void>>();
  readonly #onConnected: Listener[] = [];
  readonly #onDisconnected: Listener[] = [];
  readonly #reconnector: Reconnector;
  readonly #invalid: InvalidInbound;
  readonly #log: Logger;
  #conn: Connection | null = null;
  #inbound: Promise<void> = Promise.resolve();
  #started = false;
  #stopping = false;
  /** The next attempt uses the previous password: the latest one was just refused. */
  #tryPrevious = false;

  constructor(private readonly opts: MqttLinkOptions) {
    this.#log = opts.log.child({ component: 'link' });
    this.#reconnector = new Reconnector({ ...DEFAULT_BACKOFF, ...opts.backoff }, opts.random);
    this.#invalid = new InvalidInbound(this.#log, opts.meta);
  }

  /** Registers the one handler of a hub-to-agent channel. */
  on<C extends HubToAgentChannel>(channel: C, handler: InboundHandler<C>): void {
    if (this.#handlers.has(channel)) throw new Error(`a handler for ${channel} is already registered`);
    this.#handlers.set(channel, handler as (message: unknown) => void | Promise<void>);
  }

  /** Runs after each connection is subscribed, in registration order (status first, then the rest). */
  onConnected(listener: Listener): void {
    this.#onConnected.push(listener);
  }

  onDisconnected(listener: Listener): void {
    this.#onDisconnected.push(listener);
  }

  /** Connected and subscribed. */
  get connected(): boolean {
    return this.#conn?.ready === true;
  }

  get invalidMessages(): InvalidCounts {
    return this.#invalid.snapshot();
  }

  /** Drops a message a handler found unacceptable (a job for another tenant, say), counted with the rest. */
  reject(channel: HubToAgentChannel, reason: InvalidReason, error: string): void {
    this.#invalid.record(channel, reason, error);
  }

  /** Starts connecting and returns at once: the agent works offline until the hub answers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    // A killed agent left `connected` behind.
    this.#noteLink(() => this.opts.meta.setLink('disconnected'));
    this.#connect();
  }

  /**
   * Builds, checks and publishes a message at QoS 1 (retained on `status`); resolves with the
   * message once the broker has it (PUBACK). `id` sets the envelope id (a batch id the ack will
   * name); a fresh UUIDv7 otherwise. Rejects with `LinkDownError` when offline or if the
   * connection drops first, and with `OutboundMessageError` when the protocol refuses it.
   */
  async publish<C extends AgentToHubChannel>(
    channel: C,
    body: ChannelBody<C>,
    options: { id?: string } = {},
  ): Promise<ChannelMessage<C>> {
    const checked = ChannelMessages[channel].safeParse(messageFor(channel, body, options));
    if (!checked.success) {
      throw new OutboundMessageError(channel, checked.error.issues[0]?.message ?? 'invalid');
    }
    const message = checked.data as ChannelMessage<C>;
    const { text, bytes, fits, limit } = encodeMessage(message);
    if (!fits) throw new OutboundMessageError(channel, `${bytes} bytes, over ${limit}`);
    const conn = this.#conn;
    if (!conn || conn.closed || !conn.client.connected) throw new LinkDownError();
    // Once stopping, only the retained `offline` goes out: a heartbeat's `online` sent after
    // it would stay retained on the broker for an agent that is gone.
    if (this.#stopping && !(channel === 'status' && (body as ChannelBody<'status'>).state === 'offline')) {
      throw new LinkDownError('the link is stopping');
    }
    const { tenantId, agentId } = this.opts.identity;
    const topic = topicFor(tenantId, agentId, channel);
    await new Promise<void>((resolve, reject) => {
      conn.pending.add(reject);
      conn.client.publish(topic, text, { qos: 1, retain: RETAINED_CHANNELS.includes(channel) }, (err) => {
        conn.pending.delete(reject);
        if (err) reject(conn.closed ? new LinkDownError(err.message) : err);
        else resolve();
      });
    });
    return message;
  }

  /** Publishes when connected and forgets failures: for `progress`, which is best effort. */
  publishBestEffort<C extends AgentToHubChannel>(channel: C, body: ChannelBody<C>): void {
    if (!this.connected) return;
    this.publish(channel, body).catch((err: unknown) => {
      if (!(err instanceof LinkDownError)) this.#log.warn({ err, channel }, 'best-effort publish failed');
    });
  }

  /** Publishes the retained `offline` status, disconnects cleanly (no will), and stops retrying. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#reconnector.cancel();
    const conn = this.#conn;
    const wait = this.opts.stopTimeoutMs ?? 3_000;
    if (conn && !conn.closed && conn.client.connected) {
      try {
        await withTimeout(this.publish('status', this.opts.offlineStatus()), wait);
      } catch (err) {
        this.#log.warn({ err }, 'could not publish the offline status; the broker will send the last will');
      }
      // [MQTT-3.1.2-10] a DISCONNECT discards the will: the retained `offline` above replaces it.
      await withTimeout(
        new Promise<void>((resolve) => conn.client.end(false, {}, () => resolve())),
        wait,
      ).catch(() => conn.client.end(true));
    } else {
      conn?.client.end(true);
    }
    if (conn) this.#closed(conn);
    this.#noteLink(() => this.opts.meta.setLink('disconnected'));
    await this.#inbound;
  }

  #connect(): void {
    if (this.#stopping) return;
    const { identity } = this.opts;
    const will = encodeMessage(messageFor('status', this.opts.lastWill()));
    const { password, previous } = this.opts.credentials?.() ?? { password: identity.mqtt.password };
    const withPrevious = this.#tryPrevious && previous !== undefined;
    const client = mqtt.connect(identity.mqtt.url, {
      protocolVersion: 4, // aedes speaks MQTT 3.1.1 only
      clientId: identity.agentId,
      username: identity.mqtt.username,
      password: withPrevious ? previous : password,
      clean: false,
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      keepalive: this.opts.keepaliveSeconds ?? 30,
      // Otherwise mqtt-packet fills a cache of all 65,536 two-byte numbers on the first write:
      // ~6.5 MB of heap held for good, to save one 2-byte allocation per packet written.
      writeCache: false,
      will: {
        topic: topicFor(identity.tenantId, identity.agentId, 'status'),
        payload: Buffer.from(will.text),
        qos: 1,
        retain: true,
      },
    });
    const conn: Connection = { client, ready: false, closed: false, pending: new Set(), withPrevious };
    this.#conn = conn;
    client.on('connect', () => void this.#subscribe(conn));
    client.on('message', (topic, payload) => this.#receive(topic, payload));
    client.on('error', (err) => {
      conn.error = err.message;
      this.#log.debug({ err: err.message }, 'MQTT client error');
    });
    client.on('close', () => this.#closed(conn));
  }

  /** Subscribes on every connection: a broker restart loses the persistent session's subscriptions. */
  async #subscribe(conn: Connection): Promise<void> {
    const { tenantId, agentId } = this.opts.identity;
    try {
      const grants = await conn.client.subscribeAsync(agentSubscriptions(tenantId, agentId), { qos: 1 });
      const refused = grants.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) throw new Error(`the broker refused the subscriptions ${refused.join(', ')}`);
    } catch (err) {
      this.#log.error({ err }, 'could not subscribe to the hub’s channels; reconnecting');
      conn.client.end(true);
      return;
    }
    if (conn.closed || this.#stopping) return;
    conn.ready = true;
    // The latest password first again next time: a rotation ends once this connection acks it.
    this.#tryPrevious = false;
    this.#reconnector.connected();
    this.#noteLink(() => this.opts.meta.setLink('connected'));
    this.#log.info({ url: this.opts.identity.mqtt.url }, 'connected to the hub');
    for (const listener of this.#onConnected) {
      if (!conn.ready) break;
      await this.#safely(listener, 'on-connect step failed');
    }
  }

  #closed(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    for (const reject of conn.pending) reject(new LinkDownError('the connection to the hub closed'));
    conn.pending.clear();
    const wasReady = conn.ready;
    conn.ready = false;
    if (this.#conn === conn) this.#conn = null;
    if (!conn.client.disconnecting) conn.client.end(true);
    if (this.#stopping) return;
    if (wasReady) {
      this.#noteLink(() => this.opts.meta.setLink('disconnected'));
      for (const listener of this.#onDisconnected) void this.#safely(listener, 'on-disconnect step failed');
    }
    // A refused login after a rotation: the hub may not know yet that the new password is
    // stored (the acknowledgement was lost), so the attempts alternate between the two.
    const refused = !wasReady && LOGIN_REFUSED.test(conn.error ?? '');
    if (refused) this.#tryPrevious = !conn.withPrevious;
    const delay = this.#reconnector.schedule(() => this.#connect());
    // A refused login (revoked agent, wrong password) needs a person; a down hub does not.
    const level = wasReady || conn.error?.startsWith('Connection refused:') ? 'warn' : 'info';
    this.#log[level](
      { retryInMs: delay, attempt: this.#reconnector.attempt, reason: conn.error },
      wasReady ? 'connection to the hub lost; will retry' : 'hub not reachable; will retry',
    );
  }

  #receive(topic: string, payload: Buffer): void {
    const { tenantId, agentId } = this.opts.identity;
    const parsed = parseTopic(topic);
    if (
      !parsed ||
      parsed.tenantId !== tenantId ||
      parsed.agentId !== agentId ||
      !isHubToAgent(parsed.channel)
    ) {
      this.#invalid.record(parsed?.channel ?? 'unknown', 'topic', `unexpected topic ${topic.slice(0, 200)}`);
      return;
    }
    const { channel } = parsed;
    const result = parseMessage(channel, payload);
    if (!result.ok) {
      this.#invalid.record(channel, reasonOf(result.error), result.error, payload.byteLength);
      return;
    }
    this.#noteLink(() => this.opts.meta.recordContact());
    const handler = this.#handlers.get(channel);
    if (!handler) {
      this.#log.debug({ channel }, 'no handler for this channel; message dropped');
      return;
    }
    this.#inbound = this.#inbound.then(() =>
      this.#safely(() => handler(result.message), `${channel} handler failed`),
    );
  }

  /**
   * Records the link's state or last contact in the store. These run inside the MQTT client's
   * event handlers, where an exception (a full disk: SQLITE_FULL) would be uncaught and end the
   * process; the record is bookkeeping for `drm-agent status`, so a failure is only logged.
   */
  #noteLink(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.#log.warn({ err }, 'could not record the hub link state');
    }
  }

  /** One failing step is logged and never sinks the link or the steps after it. */
  async #safely(step: () => void | Promise<void>, what: string): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof LinkDownError) this.#log.debug({ err: err.message }, what);
      else this.#log.error({ err }, what);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
