import {
  type AgentToHubChannel,
  type ChannelMessage,
  isAgentToHub,
  MAX_MESSAGE_BYTES,
  parseMessage,
  parseTopic,
  TOPIC_ROOT,
} from '@drm/protocol';
import type { Logger } from 'pino';
import type { MqttMetrics } from './metrics.js';
import type { AgentIdentity, InboundContext, InboundHandler } from './types.js';

/** Why a message was dropped; fixed words, used as the `reason` label. */
export type InvalidReason = 'topic' | 'identity' | 'too-large' | 'malformed' | 'version' | 'schema' | 'busy';

/**
 * Messages of one agent handled at once, and their payload bytes, at most; more are dropped
 * (counted as `busy`). An agent keeps a few results batches and a few dozen events
 * unacknowledged, and sends again whatever the hub does not ack, so only a flood reaches this
 * (a burst of small progress messages while the database is slow stays far below it):
 * without it, one agent could queue handlers without end, hold their payloads in memory and
 * the database pool every tenant shares.
 */
export const MAX_HANDLING_PER_AGENT = 1024;
export const MAX_HANDLING_BYTES_PER_AGENT = 32 * 1024 * 1024;

export interface InboundOptions {
  log: Logger;
  metrics: MqttMetrics;
  /** Called once the sender is known, valid message or not (last-seen bookkeeping). */
  onSeen?: (who: AgentIdentity, channel: AgentToHubChannel, at: Date) => void;
  /** Runs after a handler succeeded, e.g. to turn a `status` into connection events. */
  afterHandled?: (channel: AgentToHubChannel, message: unknown, ctx: InboundContext) => Promise<void> | void;
}

type AnyHandler = (message: unknown, ctx: InboundContext) => Promise<void>;

// Invalid messages are logged at warn, but a broken agent in a loop must not flood the log.
const WARN_WINDOW_MS = 60_000;
const WARNS_PER_WINDOW = 5;

/**
 * The one path every message from an agent takes, for the embedded broker and an external one
 * alike: route → check sender → parse → handle. Nothing here throws to the caller: a bad message
 * is logged, counted and dropped, and a handler runs detached with its failure caught.
 */
export class InboundDispatcher {
  private readonly handlers = new Map<AgentToHubChannel, AnyHandler>();
  private readonly running = new Set<Promise<void>>();
  /** Handlers running now, and their payload bytes, per agent (`tenantId/agentId`). */
  private readonly handling = new Map<string, { messages: number; bytes: number }>();
  private readonly warned = new Map<string, { since: number; count: number }>();

  constructor(private readonly opts: InboundOptions) {}

  handle<C extends AgentToHubChannel>(channel: C, handler: InboundHandler<C>): void {
    if (!isAgentToHub(channel)) throw new TypeError(`${channel} is not an agent-to-hub channel`);
    if (this.handlers.has(channel)) throw new Error(`a handler for ${channel} is already registered`);
    this.handlers.set(channel, handler as unknown as AnyHandler);
  }

  /**
   * Takes one message as received. `sender` is the authenticated client's agent (embedded
   * broker), or null when the broker's ACL vouches for the topic (external broker).
   */
  dispatch(topic: string, payload: Buffer | string, sender: AgentIdentity | null): void {
    const receivedAt = new Date();
    const parsed = parseTopic(topic);
    if (!parsed || !isAgentToHub(parsed.channel)) {
      // Our own hub-to-agent traffic and the broker's $SYS topics pass through here too.
      if (topic.startsWith(`${TOPIC_ROOT}/`) && !parsed) this.invalid('unknown', 'topic', null, topic);
      return;
    }
    const { channel, tenantId, agentId } = parsed;
    if (sender && (sender.tenantId !== tenantId || sender.agentId !== agentId)) {
      this.invalid(channel, 'identity', sender, `published by ${sender.tenantId}/${sender.agentId}`);
      return;
    }
    const who = { tenantId, agentId };
    this.opts.onSeen?.(who, channel, receivedAt);
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_MESSAGE_BYTES) {
      this.invalid(channel, 'too-large', who, `payload is ${bytes} bytes`);
      return;
    }
    const result = parseMessage(channel, payload);
    if (!result.ok) {
      this.invalid(channel, reasonOf(result.error), who, result.error);
      return;
    }
    const mismatch = bodyIdentityMismatch(channel, result.message, agentId);
    if (mismatch) {
      this.invalid(channel, 'identity', who, mismatch);
      return;
    }
    const key = `${tenantId}/${agentId}`;
    const busy = this.handling.get(key);
    if (
      busy &&
      (busy.messages >= MAX_HANDLING_PER_AGENT || busy.bytes + bytes > MAX_HANDLING_BYTES_PER_AGENT)
    ) {
      this.invalid(channel, 'busy', who, `${busy.messages} messages of this agent are being handled`);
      return;
    }
    this.opts.metrics.messages.inc({ channel });
    this.run(channel, key, bytes, result.message, {
      ...who,
      receivedAt,
      log: this.childLog(who, channel),
      payloadText: result.exactText,
    });
  }

  /** Counts a message the broker refused before dispatch (too large, say). */
  countInvalid(channel: string, reason: InvalidReason): void {
    this.opts.metrics.invalid.inc({ channel, reason });
  }

  /** Resolves when the handlers running now have finished, or after `timeoutMs`. */
  async idle(timeoutMs = 5_000): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private run(
    channel: AgentToHubChannel,
    key: string,
    bytes: number,
    message: unknown,
    ctx: InboundContext,
  ): void {
    const handler = this.handlers.get(channel);
    if (!handler) {
      ctx.log.debug('no handler for this channel; message dropped');
      return;
    }
    const load = this.handling.get(key) ?? { messages: 0, bytes: 0 };
    load.messages += 1;
    load.bytes += bytes;
    this.handling.set(key, load);
    const task = (async () => {
      try {
        await handler(message, ctx);
        await this.opts.afterHandled?.(channel, message, ctx);
      } catch (err) {
        this.opts.metrics.handlerErrors.inc({ channel });
        ctx.log.error({ err }, 'MQTT message handler failed');
      }
    })();
    this.running.add(task);
    void task.finally(() => {
      this.running.delete(task);
      load.messages -= 1;
      load.bytes -= bytes;
      if (load.messages === 0) this.handling.delete(key);
    });
  }

  private childLog(who: AgentIdentity, channel: string): Logger {
    return this.opts.log.child({ tenantId: who.tenantId, agentId: who.agentId, channel });
  }

  private invalid(channel: string, reason: InvalidReason, who: AgentIdentity | null, error: string): void {
    this.opts.metrics.invalid.inc({ channel, reason });
    const key = `${who?.agentId ?? '-'}/${channel}`;
    const now = Date.now();
    let w = this.warned.get(key);
    if (!w || now - w.since > WARN_WINDOW_MS) {
      if (this.warned.size > 10_000) this.warned.clear();
      w = { since: now, count: 0 };
      this.warned.set(key, w);
    }
    w.count += 1;
    const fields = { tenantId: who?.tenantId, agentId: who?.agentId, channel, reason, error };
    if (w.count <= WARNS_PER_WINDOW) this.opts.log.warn(fields, 'invalid MQTT message dropped');
    else this.opts.log.debug(fields, 'invalid MQTT message dropped (warnings suppressed for a minute)');
  }
}

function reasonOf(error: string): InvalidReason {
  if (error.startsWith('payload is ') && error.includes('-byte limit')) return 'too-large';
  if (error.startsWith('payload ')) return 'malformed';
  if (error.startsWith('unsupported envelope version')) return 'version';
  return 'schema';
}

// The topic names the agent; a body that names another one is a bug or a forgery.
function bodyIdentityMismatch(channel: AgentToHubChannel, message: unknown, agentId: string): string | null {
  if (channel !== 'status') return null;
  const bodyAgent = (message as ChannelMessage<'status'>).body.agentId.toLowerCase();
  return bodyAgent === agentId ? null : `status body names agent ${bodyAgent}`;
}
