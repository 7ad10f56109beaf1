import type { LiveServerMessage, LiveTopic } from '@drm/protocol';

/** A frame serialised once for every client that gets it. */
export interface EncodedFrame {
  frame: LiveServerMessage;
  /** The frame as JSON text, for WebSocket clients. */
  data: Buffer;
  /** Frames with the same key replace each other while a client is slow. */
  coalesceKey?: string | undefined;
  /** The SSE form, made on first use. */
  sse?: Buffer;
}

export function encodeFrame(frame: LiveServerMessage, coalesceKey?: string): EncodedFrame {
  return { frame, data: Buffer.from(JSON.stringify(frame)), coalesceKey };
}

/** A connection that may hold subscriptions: a WebSocket client or an SSE stream. */
export interface LiveSubscriber {
  /** Whether frames of this topic may go out to it now (subscribed, snapshot already sent). */
  accepts(key: string): boolean;
  deliver(frame: EncodedFrame): void;
}

/**
 * Who watches what, by topic key (`liveTopicKey`). The fan-out asks it for the subscribers of
 * an event's topics; a subscriber holding several of them gets the frame once.
 */
export class SubscriptionRegistry {
  readonly #byKey = new Map<string, Set<LiveSubscriber>>();
  /** Device subscriptions per tenant: job updates are loaded for them only when there are some. */
  readonly #deviceTopics = new Map<string, number>();

  add(key: string, topic: LiveTopic, sub: LiveSubscriber): void {
    let set = this.#byKey.get(key);
    if (!set) {
      set = new Set();
      this.#byKey.set(key, set);
    }
    if (set.has(sub)) return;
    set.add(sub);
    if (topic.kind === 'device') this.#count(topic.tenantId, 1);
  }

  remove(key: string, topic: LiveTopic, sub: LiveSubscriber): void {
    const set = this.#byKey.get(key);
    if (!set?.delete(sub)) return;
    if (set.size === 0) this.#byKey.delete(key);
    if (topic.kind === 'device') this.#count(topic.tenantId, -1);
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  hasDeviceTopics(tenantId: string): boolean {
    return this.#deviceTopics.has(tenantId);
  }

  /** The subscribers of any of `keys` that accept frames of the key they hold, each once. */
  match(keys: readonly string[]): LiveSubscriber[] {
    if (keys.length === 1) {
      const key = keys[0]!;
      return [...(this.#byKey.get(key) ?? [])].filter((s) => s.accepts(key));
    }
    const out = new Set<LiveSubscriber>();
    for (const key of keys) {
      for (const sub of this.#byKey.get(key) ?? []) if (sub.accepts(key)) out.add(sub);
    }
    return [...out];
  }

  /** Topic keys with at least one subscriber. */
  get size(): number {
    return this.#byKey.size;
  }

  #count(tenantId: string, delta: number): void {
    const n = (this.#deviceTopics.get(tenantId) ?? 0) + delta;
    if (n > 0) this.#deviceTopics.set(tenantId, n);
    else this.#deviceTopics.delete(tenantId);
  }
}
