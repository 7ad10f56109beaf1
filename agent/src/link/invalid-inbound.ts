import type { Logger } from 'pino';
import type { Meta } from '../store/index.js';

/** Why an inbound message was dropped; fixed words, as the hub uses for its own counter. */
export type InvalidReason = 'topic' | 'too-large' | 'malformed' | 'version' | 'schema' | 'identity';

/** What the agent dropped since it started, per channel and per reason. */
export interface InvalidCounts {
  total: number;
  byChannel: Record<string, number>;
  byReason: Partial<Record<InvalidReason, number>>;
}

/** The meta key under which the counts are kept, so `drm-agent status` and tests can read them. */
export const INVALID_INBOUND_KEY = 'invalid_inbound';

// A broken hub (or someone with broker rights) in a loop must not flood the log.
const WARN_WINDOW_MS = 60_000;
const WARNS_PER_WINDOW = 5;

/** Classifies a `parseMessage` error; its messages start with fixed words. */
export function reasonOf(error: string): InvalidReason {
  if (error.startsWith('payload is ') && error.includes('-byte limit')) return 'too-large';
  if (error.startsWith('payload ')) return 'malformed';
  if (error.startsWith('unsupported envelope version')) return 'version';
  return 'schema';
}

/**
 * Counts, logs (rate-limited) and records the inbound messages the agent drops. Nothing here
 * throws: a failure to record the figure must not turn a dropped message into a crash.
 */
export class InvalidInbound {
  readonly #counts: InvalidCounts = { total: 0, byChannel: {}, byReason: {} };
  #window = { since: 0, count: 0 };

  constructor(
    private readonly log: Logger,
    private readonly meta: Pick<Meta, 'set'>,
    private readonly now: () => number = Date.now,
  ) {}

  record(channel: string, reason: InvalidReason, error: string, bytes?: number): void {
    const c = this.#counts;
    c.total += 1;
    c.byChannel[channel] = (c.byChannel[channel] ?? 0) + 1;
    c.byReason[reason] = (c.byReason[reason] ?? 0) + 1;
    const at = this.now();
    if (at - this.#window.since > WARN_WINDOW_MS) this.#window = { since: at, count: 0 };
    this.#window.count += 1;
    // The first line of the reason is enough; the rest lists every bad field.
    const fields = { channel, reason, error: error.split('\n', 3).join(' '), bytes, dropped: c.total };
    if (this.#window.count <= WARNS_PER_WINDOW) this.log.warn(fields, 'invalid message from the hub dropped');
    else this.log.debug(fields, 'invalid message from the hub dropped (warnings suppressed for a minute)');
    try {
      this.meta.set(INVALID_INBOUND_KEY, JSON.stringify(c));
    } catch (err) {
      this.log.debug({ err }, 'could not record the invalid message count');
    }
  }

  get total(): number {
    return this.#counts.total;
  }

  snapshot(): InvalidCounts {
    const c = this.#counts;
    return { total: c.total, byChannel: { ...c.byChannel }, byReason: { ...c.byReason } };
  }
}
