interface Entry {
  /** Start of the window the failures count in. */
  since: number;
  failures: number;
  /** Logins from the address being checked now (their hash not done yet). */
  pending: number;
}

/**
 * Agent logins per remote address. Checking an MQTT password costs a scrypt hash (on the
 * thread pool that user logins and enrollment share), and anyone who can reach the broker's
 * port can ask for one per CONNECT: once the wrong passwords of an address within `windowMs`,
 * with its logins being checked right now, reach `maxFailures`, its next logins are refused
 * at once, without a hash, until the window has passed. Logins in flight count, so a burst
 * sent at once is held to the bound too. A correct password is never the way out of the
 * throttle, so that it cannot be found by trying while throttled.
 *
 * The bound is far above what agents reach by themselves: an agent with a wrong password backs
 * off from 1 s to a minute, about seven attempts in its first minute and one a minute after,
 * so a few broken agents behind one NAT address do not lock out the others.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly maxFailures = 30,
    readonly windowMs = 60_000,
    /** Addresses remembered at most; the oldest go first. */
    readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reserves a login check for `address`; false when its logins are refused now. Each true
   * must be followed by one `end`.
   */
  begin(address: string): boolean {
    const now = this.now();
    let entry = this.#entries.get(address);
    if (entry && now - entry.since > this.windowMs) {
      entry.since = now;
      entry.failures = 0;
    }
    if (!entry) {
      entry = { since: now, failures: 0, pending: 0 };
      this.#entries.set(address, entry);
      // Insertion order is age order.
      for (const key of this.#entries.keys()) {
        if (this.#entries.size <= this.maxAddresses) break;
        this.#entries.delete(key);
      }
    }
    if (entry.failures + entry.pending >= this.maxFailures) return false;
    entry.pending += 1;
    return true;
  }

  /** Ends a login check `begin` allowed; `failed` when the password was wrong. */
  end(address: string, failed: boolean): void {
    const entry = this.#entries.get(address);
    if (!entry) return;
    entry.pending = Math.max(0, entry.pending - 1);
    if (failed) entry.failures += 1;
    if (entry.failures === 0 && entry.pending === 0) this.#entries.delete(address);
  }
}
