export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** The delay never grows past this. */
  maxMs: number;
  /** `Math.random` unless a test fixes it. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0 for the first): exponential, capped, with
 * "equal jitter" — half fixed, half random — so tabs that lost the hub together do not all
 * come back in the same instant, yet none retries at once.
 */
export function reconnectDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
