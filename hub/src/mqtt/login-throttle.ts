/**
 * Refused agent logins, per remote address. Checking an MQTT password costs a scrypt hash
 * (on the thread pool that user logins and enrollment share), and anyone who can reach the
 * broker's port can ask for one per CONNECT: past `maxFailures` wrong passwords from one
 * address within `windowMs`, its next logins are refused at once, without a hash, until the
 * window has passed. A correct password is never the way out of the throttle, so that it
 * cannot be found by trying while throttled.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, { since: number; count: number }>();

  constructor(
    readonly maxFailures = 10,
    readonly windowMs = 60_000,
    /** Addresses remembered at most; the oldest go first. */
    readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether logins from `address` are refused now. */
  throttled(address: string | undefined): boolean {
    if (address === undefined) return false;
    const entry = this.#failures.get(address);
    if (!entry) return false;
    if (this.now() - entry.since > this.windowMs) {
      this.#failures.delete(address);
      return false;
    }
    return entry.count >= this.maxFailures;
  }

  /** Notes a wrong password from `address`. */
  failed(address: string | undefined): void {
    if (address === undefined) return;
    const now = this.now();
    const entry = this.#failures.get(address);
    if (entry && now - entry.since <= this.windowMs) {
      entry.count += 1;
      return;
    }
    this.#failures.delete(address);
    this.#failures.set(address, { since: now, count: 1 });
    // Insertion order is age order.
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.maxAddresses) break;
      this.#failures.delete(key);
    }
  }
}
