import type { Logger } from 'pino';
import type { AgentStatus } from '@drm/protocol';
import type { MqttLink } from '../link/index.js';
import { LinkDownError } from '../link/index.js';
import type { Store } from '../store/index.js';
import type { Component } from './component.js';

export const DEFAULT_HEARTBEAT_MS = 30_000;

export interface HeartbeatOptions {
  link: Pick<MqttLink, 'onConnected' | 'publish' | 'connected' | 'invalidMessages'>;
  store: Pick<Store, 'outbox' | 'inbox' | 'desired' | 'meta'>;
  agentId: string;
  version: string;
  startedAt: Date;
  log: Logger;
  /** How often `online` is repeated with fresh figures. */
  intervalMs?: number;
}

/**
 * The agent's `status`: `online` once each connection is subscribed (the link runs this step
 * first) and again every interval with the outbox, inbox and config figures the hub shows on
 * the agents page; and the `offline` statuses the link sends on a clean stop or leaves as its
 * last will.
 */
export class Heartbeat implements Component {
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(private readonly opts: HeartbeatOptions) {
    this.#log = opts.log.child({ component: 'heartbeat' });
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.opts.link.onConnected(() => this.beat());
    this.#timer = setInterval(() => {
      if (this.opts.link.connected) void this.beat();
    }, this.opts.intervalMs ?? DEFAULT_HEARTBEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Publishes `online` now; a failure waits for the next beat or connection. */
  async beat(): Promise<void> {
    try {
      await this.opts.link.publish('status', this.status('online'));
    } catch (err) {
      if (err instanceof LinkDownError) this.#log.debug('status not sent: offline');
      else this.#log.warn({ err }, 'status not sent');
    }
  }

  /** The status now, with every figure read from the store. */
  status(state: AgentStatus['state']): AgentStatus {
    const { store } = this.opts;
    const outbox = store.outbox.stats();
    const inbox = store.inbox.counts();
    const lastContactAt = store.meta.lastContactAt();
    return {
      ...this.lastWill(),
      state,
      configRevision: store.desired.revision(),
      outbox: {
        count: outbox.count,
        bytes: outbox.bytes,
        ...(outbox.oldestAt && { oldestAt: outbox.oldestAt }),
        dropped: outbox.dropped,
      },
      inbox: { queued: inbox.queued + inbox.running },
      ...(lastContactAt && { lastContactAt }),
      invalidMessages: this.opts.link.invalidMessages.total,
    };
  }

  /**
   * The last will: composed at connect time and sent by the broker whenever the connection
   * dies, so it leaves out the figures that would be stale by then (the protocol allows it).
   */
  lastWill(): AgentStatus {
    const { store, agentId, version, startedAt } = this.opts;
    return {
      agentId,
      state: 'offline',
      version,
      startedAt: startedAt.toISOString(),
      configRevision: store.desired.revision(),
    };
  }
}
