/**
 * When to try the hub again after a connection failed or dropped: capped exponential backoff
 * with jitter, so that a thousand agents cut off by one outage do not all reconnect in the same
 * second when the hub comes back.
 */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /**
   * Share of the delay that is random: 0.5 waits between half the delay and all of it, so the
   * cap holds and two agents rarely pick the same moment.
   */
  jitter: number;
  /** A connection that lasted this long counts as a success: the next retry starts over. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 1_000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
  stableMs: 10_000,
});

/**
 * The delay before retry number `attempt` (0 for the first retry after a drop). `random`
 * returns a number in [0, 1), like `Math.random`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, Math.floor(attempt));
  // Capped before multiplying out, so a long outage cannot overflow to Infinity.
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(exponent, 64));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter * random()));
}

/**
 * Counts failed attempts and runs the next one on a timer. The link calls `connected()` when a
 * connection is up and `schedule()` whenever it is down; a connection that dropped before
 * `stableMs` does not reset the count (a broker that accepts and then closes at once must not
 * turn the backoff into a tight loop).
 */
export class Reconnector {
  #attempt = 0;
  #connectedAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Failed attempts since the last stable connection. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Whether a retry is waiting on its timer. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  connected(): void {
    this.#connectedAt = this.now();
  }

  /** Runs `retry` after the next delay (once; a retry already waiting is kept). Returns the delay. */
  schedule(retry: () => void): number | null {
    if (this.#timer) return null;
    if (this.#connectedAt !== null && this.now() - this.#connectedAt >= this.policy.stableMs) {
      this.#attempt = 0;
    }
    this.#connectedAt = null;
    const delay = backoffDelay(this.#attempt, this.policy, this.random);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      retry();
    }, delay);
    return delay;
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
