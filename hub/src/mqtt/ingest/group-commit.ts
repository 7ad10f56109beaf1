/**
 * Group commit: at most `concurrency` transactions run per key; work submitted while they all
 * run waits, and the waiting inputs then go together into the next transaction. A single agent
 * with four result batches in flight, or many agents of one tenant, so pay for one commit, one
 * round of locks and one recompute per job instead of one per batch, and fewer transactions
 * queue on each other's row locks. An input that finds a free slot runs at once.
 *
 * When a group fails, each of its inputs is run again alone, so an input that cannot be stored
 * fails only itself.
 */
export class GroupCommit<I, O> {
  readonly #run: (key: string, inputs: I[]) => Promise<O[]>;
  readonly #maxItems: number;
  readonly #sizeOf: (input: I) => number;
  readonly #concurrency: number;
  readonly #queues = new Map<string, Waiting<I, O>[]>();
  /** Transactions running per key. */
  readonly #running = new Map<string, number>();

  /**
   * @param run stores the inputs of one group in one transaction and returns one output per
   *   input, in order.
   * @param opts.maxItems a group stops growing at this many items (the first input of a group
   *   always goes in, however large).
   * @param opts.concurrency transactions of one key at once (default 1).
   */
  constructor(
    run: (key: string, inputs: I[]) => Promise<O[]>,
    opts: { maxItems: number; sizeOf: (input: I) => number; concurrency?: number },
  ) {
    this.#run = run;
    this.#maxItems = opts.maxItems;
    this.#sizeOf = opts.sizeOf;
    this.#concurrency = Math.max(1, opts.concurrency ?? 1);
  }

  /** Resolves with the input's output once the transaction holding it has committed. */
  submit(key: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.#queues.get(key) ?? [];
      queue.push({ input, resolve, reject });
      this.#queues.set(key, queue);
      if ((this.#running.get(key) ?? 0) < this.#concurrency) void this.#lane(key);
    });
  }

  /** Keys with a transaction running now (for tests and metrics). */
  get busyKeys(): number {
    return this.#running.size;
  }

  /** One slot of a key: runs groups while inputs wait, then frees itself. */
  async #lane(key: string): Promise<void> {
    this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
    try {
      for (;;) {
        const queue = this.#queues.get(key);
        if (!queue || queue.length === 0) break;
        const group = this.#take(queue);
        if (queue.length === 0) this.#queues.delete(key);
        await this.#runGroup(key, group);
      }
    } finally {
      const left = (this.#running.get(key) ?? 1) - 1;
      if (left === 0) this.#running.delete(key);
      else this.#running.set(key, left);
    }
  }

  #take(queue: Waiting<I, O>[]): Waiting<I, O>[] {
    let items = 0;
    let n = 0;
    while (n < queue.length) {
      const size = this.#sizeOf(queue[n]!.input);
      if (n > 0 && items + size > this.#maxItems) break;
      items += size;
      n += 1;
    }
    return queue.splice(0, n);
  }

  async #runGroup(key: string, group: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.#run(
        key,
        group.map((w) => w.input),
      );
      group.forEach((w, i) => {
        w.resolve(outputs[i]!);
      });
      return;
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
    }
    for (const w of group) {
      try {
        const [output] = await this.#run(key, [w.input]);
        w.resolve(output!);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

interface Waiting<I, O> {
  input: I;
  resolve(output: O): void;
  reject(err: unknown): void;
}
