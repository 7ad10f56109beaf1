import type { BaseLogger } from 'pino';

/**
 * Runs tasks one after another per key, and tasks of different keys side by side. The live
 * stream reads a job's (or a tenant's agents') state through one key, so a snapshot and the
 * updates around it go out in the order they were read: an older read never lands after a
 * newer one.
 */
export class KeyedSerial {
  readonly #tails = new Map<string, Promise<void>>();

  constructor(private readonly log: Pick<BaseLogger, 'error'>) {}

  run(key: string, task: () => Promise<void>): void {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch((err: unknown) => {
      this.log.error({ err, key }, 'live stream task failed');
    });
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
  }

  /** Resolves when every task queued so far has run. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }

  get size(): number {
    return this.#tails.size;
  }
}
