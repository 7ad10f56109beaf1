import type { Logger } from 'pino';
import { type ChannelMessage, MAX_MESSAGE_BYTES, type TrapEvent, uuidv7 } from '@drm/protocol';
import { LinkDownError, type MqttLink, OutboundMessageError } from '../link/index.js';
import type { OutboxEntry, Store } from '../store/index.js';
import type { Component } from './component.js';

/** The protocol's bound on one `results` batch. */
export const MAX_BATCH_ITEMS = 500;
/** Room left in a message for the envelope and the commas between items. */
const ENVELOPE_RESERVE = 2048;

export interface OutboxDrainOptions {
  link: Pick<MqttLink, 'on' | 'onConnected' | 'onDisconnected' | 'publish' | 'connected'>;
  store: Pick<Store, 'outbox' | 'events' | 'quarantine' | 'transaction'>;
  log: Logger;
  /** `results` batches sent and not yet acked, at most. Default 4. */
  maxInFlight?: number;
  /** Trap events sent and not yet acked, at most. Default 32. */
  maxEventsInFlight?: number;
  /** A batch or event not acked within this is sent again. Default 30 s. */
  ackTimeoutMs?: number;
  /** Items per batch (at most 500). */
  maxItems?: number;
  /** A look at the store now and then, should a wake-up have been missed. Default 10 s. */
  pollMs?: number;
}

interface InFlight {
  ids: Set<string>;
  timer: NodeJS.Timeout;
}

/**
 * Sends the outbox (job results and poll samples, in `results` batches) and the trap events
 * (one `events` message each) to the hub, and deletes them only on the hub's application-level
 * `ack`, which names what it committed or refused for good.
 *
 * A few batches are in flight at once (a cursor over the outbox's sequence numbers reads past
 * them). Anything not acked in time is sent again: from the start of the outbox for results,
 * since the hub stores by id and acks replays again. Offline it waits; `wake()` is called after
 * every append and on each connection.
 */
export class OutboxDrain implements Component {
  readonly #log: Logger;
  readonly #batches = new Map<string, InFlight>();
  readonly #events = new Map<string, NodeJS.Timeout>();
  /** Outbox items up to this sequence number are in flight. */
  #cursor = 0;
  /** Items in the next batch: the maximum, or fewer after a batch was refused for its size. */
  #limit: number;
  #pumping = false;
  #again = false;
  #wake: NodeJS.Immediate | undefined;
  #poll: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;

  constructor(private readonly opts: OutboxDrainOptions) {
    this.#log = opts.log.child({ component: 'drain' });
    this.#limit = this.#maxItems;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { link } = this.opts;
    link.on('ack', (m) => this.#onAck(m));
    link.onConnected(() => this.wake());
    link.onDisconnected(() => this.#forgetInFlight());
    this.#poll = setInterval(() => this.wake(), this.opts.pollMs ?? 10_000);
    this.#poll.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearImmediate(this.#wake);
    this.#forgetInFlight();
  }

  /** Something was appended (or the link came up): send what fits in flight, on the next turn. */
  wake(): void {
    if (this.#stopped || this.#wake) return;
    this.#wake = setImmediate(() => {
      this.#wake = undefined;
      void this.#pump();
    });
  }

  /** Items and events in flight now, for tests and diagnostics. */
  get inFlight(): { batches: number; events: number } {
    return { batches: this.#batches.size, events: this.#events.size };
  }

  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        if (this.#stopped || !this.opts.link.connected) return;
        await this.#sendResults();
        await this.#sendEvents();
      } while (this.#again);
    } catch (err) {
      if (!(err instanceof LinkDownError)) this.#log.error({ err }, 'outbox drain failed');
    } finally {
      this.#pumping = false;
    }
  }

  async #sendResults(): Promise<void> {
    while (this.#batches.size < (this.opts.maxInFlight ?? 4) && this.opts.link.connected) {
      const entries = this.opts.store.outbox.peekBatch(this.#limit, MAX_MESSAGE_BYTES - ENVELOPE_RESERVE, {
        after: this.#cursor,
      });
      if (entries.length === 0) return;
      await this.#sendBatch(entries);
    }
  }

  /** Registers the batch before publishing, so an ack that beats the PUBACK finds it. */
  async #sendBatch(entries: OutboxEntry[]): Promise<void> {
    const batchId = uuidv7();
    const ids = new Set(entries.map((e) => e.id));
    const timer = setTimeout(() => this.#timedOut(`batch ${batchId}`), this.#ackTimeoutMs);
    timer.unref();
    const cursor = this.#cursor;
    this.#batches.set(batchId, { ids, timer });
    this.#cursor = Math.max(cursor, entries.at(-1)?.seq ?? 0);
    try {
      await this.opts.link.publish('results', { items: entries.map((e) => e.item) }, { id: batchId });
      this.#limit = this.#maxItems;
      this.#log.debug({ batchId, items: entries.length }, 'results sent');
    } catch (err) {
      if (!(err instanceof OutboundMessageError)) throw err;
      clearTimeout(timer);
      this.#batches.delete(batchId);
      this.#cursor = cursor;
      this.#refused(entries, err);
    }
  }

  /**
   * The protocol refused a batch. Only size can do that to items the store validated: the
   * next batches are smaller; a single item too large to ever send goes to the quarantine, so
   * it cannot block the outbox forever.
   */
  #refused(entries: OutboxEntry[], err: OutboundMessageError): void {
    const first = entries[0];
    if (!first) return;
    if (entries.length > 1) {
      this.#limit = Math.max(1, Math.floor(entries.length / 2));
      return;
    }
    this.#log.error(
      { id: first.id, bytes: first.bytes, err: err.message },
      'outbox item cannot be sent; quarantined',
    );
    const { store } = this.opts;
    store.transaction(() => {
      store.quarantine.add('outbox', first.id, first.item, err.message);
      store.outbox.ack([first.id]);
    });
  }

  async #sendEvents(): Promise<void> {
    const room = (this.opts.maxEventsInFlight ?? 32) - this.#events.size;
    if (room <= 0) return;
    const events = this.opts.store.events
      .peek(this.#events.size + room)
      .filter((e) => !this.#events.has(e.id));
    for (const event of events) {
      if (!this.opts.link.connected) return;
      const timer = setTimeout(() => this.#timedOut(`event ${event.id}`), this.#ackTimeoutMs);
      timer.unref();
      this.#events.set(event.id, timer);
      try {
        await this.opts.link.publish('events', event);
      } catch (err) {
        if (!(err instanceof OutboundMessageError)) throw err;
        clearTimeout(timer);
        this.#events.delete(event.id);
        this.#eventRefused(event, err);
      }
    }
  }

  /**
   * The protocol refused an event (events are cut to fit a message when received, so this is
   * one stored by an older agent): it goes to the quarantine instead of holding its place in
   * the queue, and the events behind it, for good.
   */
  #eventRefused(event: TrapEvent, err: OutboundMessageError): void {
    this.#log.error({ id: event.id, err: err.message }, 'event cannot be sent; quarantined');
    const { store } = this.opts;
    store.transaction(() => {
      store.quarantine.add('events', event.id, event, err.message);
      store.events.ack([event.id]);
    });
  }

  #onAck(message: ChannelMessage<'ack'>): void {
    const { batchId, committed, rejected = [] } = message.body;
    const ids = [...committed, ...rejected.map((r) => r.id)];
    const { outbox, events } = this.opts.store;
    const deleted = outbox.ack(ids) + events.ack(ids);
    if (rejected.length > 0) {
      this.#log.warn(
        { batchId, rejected: rejected.length, first: rejected[0] },
        'the hub refused outbox items',
      );
    }
    this.#log.debug({ batchId, committed: committed.length, deleted }, 'ack received');
    const batch = batchId ? this.#batches.get(batchId) : undefined;
    if (batch && batchId) {
      for (const id of ids) batch.ids.delete(id);
      // Items the ack left out stay in flight until the timeout sends them again.
      if (batch.ids.size === 0) {
        clearTimeout(batch.timer);
        this.#batches.delete(batchId);
      }
    }
    for (const id of ids) {
      const timer = this.#events.get(id);
      if (timer === undefined) continue;
      clearTimeout(timer);
      this.#events.delete(id);
    }
    this.wake();
  }

  #timedOut(what: string): void {
    this.#log.warn({ what, timeoutMs: this.#ackTimeoutMs }, 'no ack from the hub in time; sending again');
    this.#forgetInFlight();
    this.wake();
  }

  /** Everything not acked will be sent again, from the start of the outbox. */
  #forgetInFlight(): void {
    for (const batch of this.#batches.values()) clearTimeout(batch.timer);
    for (const timer of this.#events.values()) clearTimeout(timer);
    this.#batches.clear();
    this.#events.clear();
    this.#cursor = 0;
  }

  get #maxItems(): number {
    return Math.max(1, Math.min(MAX_BATCH_ITEMS, this.opts.maxItems ?? MAX_BATCH_ITEMS));
  }

  get #ackTimeoutMs(): number {
    return this.opts.ackTimeoutMs ?? 30_000;
  }
}
