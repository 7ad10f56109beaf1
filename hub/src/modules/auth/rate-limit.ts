/**
 * Fixed-window attempt counter for login: per key (client address, and address + email),
 * at most `limit` failures per `windowMs`. In memory: with several hub replicas each keeps
 * its own count, which still bounds guessing to replicas × limit per window.
 */
export class AttemptLimiter {
  readonly #hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const entry = this.#hits.get(key);
    if (!entry) return 0;
    const now = this.now();
    if (entry.resetAt <= now) {
      this.#hits.delete(key);
      return 0;
    }
    return entry.count >= this.limit ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    const entry = this.#hits.get(key);
    if (!entry || entry.resetAt <= now) {
      this.#hits.set(key, { count: 1, resetAt: now + this.windowMs });
      this.#sweep(now);
    } else {
      entry.count += 1;
    }
  }

  reset(key: string): void {
    this.#hits.delete(key);
  }

  // Bounded memory under a spray of distinct keys: drop expired entries now and then.
  #sweep(now: number): void {
    if (this.#hits.size < 10_000) return;
    for (const [key, entry] of this.#hits) if (entry.resetAt <= now) this.#hits.delete(key);
  }
}
