/**
 * Group commit: work submitted under one key while a transaction of that key is running waits,
 * and the waiting inputs then go together into the next transaction. A single agent with four
 * result batches in flight, or many agents of one tenant, so pay for one commit, one round of
 * locks and one recompute per job instead of one per batch, and their transactions no longer
 * queue on each other's row locks. A lone input runs at once, as before.
 *
 * When a group fails, each of its inputs is run again alone, so an input that cannot be stored
 * fails only itself.
 */
export class GroupCommit<I, O> {
  readonly #run: (key: string, inputs: I[]) => Promise<O[]>;
  readonly #maxItems: number;
  readonly #sizeOf: (input: I) => number;
  readonly #queues = new Map<string, Waiting<I, O>[]>();
  readonly #busy = new Set<string>();

  /**
   * @param run stores the inputs of one group in one transaction and returns one output per
   *   input, in order.
   * @param opts.maxItems a group stops growing at this many items (the first input of a group
   *   always goes in, however large).
   */
  constructor(
    run: (key: string, inputs: I[]) => Promise<O[]>,
    opts: { maxItems: number; sizeOf: (input: I) => number },
  ) {
    this.#run = run;
    this.#maxItems = opts.maxItems;
    this.#sizeOf = opts.sizeOf;
  }

  /** Resolves with the input's output once the transaction holding it has committed. */
  submit(key: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.#queues.get(key) ?? [];
      queue.push({ input, resolve, reject });
      this.#queues.set(key, queue);
      if (!this.#busy.has(key)) void this.#drain(key);
    });
  }

  /** Keys with a transaction running now (for tests and metrics). */
  get busyKeys(): number {
    return this.#busy.size;
  }

  async #drain(key: string): Promise<void> {
    this.#busy.add(key);
    try {
      for (;;) {
        const queue = this.#queues.get(key);
        if (!queue || queue.length === 0) break;
        const group = this.#take(queue);
        if (queue.length === 0) this.#queues.delete(key);
        await this.#runGroup(key, group);
      }
    } finally {
      this.#busy.delete(key);
      // Something may have arrived between the last check and the delete.
      if ((this.#queues.get(key)?.length ?? 0) > 0) void this.#drain(key);
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
