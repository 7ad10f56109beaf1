import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface ResourceOptions<T, A extends readonly unknown[]> {
  /** Loads the value for `args`; `signal` aborts when the args change or the host leaves. */
  task: (args: A, signal: AbortSignal) => Promise<T>;
  /** What the value depends on; `null` means "nothing to load yet". Compared item by item. */
  args: () => A | null;
}

/**
 * Data a view loads from the API: runs the task when its arguments change (after each
 * render, like `@lit/task`), cancels a stale request, and keeps `value`, `error` and
 * `loading` for the template. A reload keeps the previous value on screen until the new one
 * arrives, so live refreshes do not flash an empty page.
 */
export class Resource<T, const A extends readonly unknown[] = readonly unknown[]>
  implements ReactiveController
{
  readonly #host: ReactiveControllerHost;
  readonly #opts: ResourceOptions<T, A>;
  #args: A | null = null;
  #abort: AbortController | null = null;
  #run = 0;
  value: T | undefined;
  error: unknown;
  loading = false;

  constructor(host: ReactiveControllerHost, opts: ResourceOptions<T, A>) {
    this.#host = host;
    this.#opts = opts;
    host.addController(this);
  }

  hostUpdated(): void {
    const args = this.#opts.args();
    if (args && (!this.#args || !sameArgs(args, this.#args))) {
      this.#args = args;
      void this.#load(args, true);
    }
  }

  hostDisconnected(): void {
    this.#abort?.abort();
    this.#args = null;
  }

  /** Loads again with the same arguments (after a write, or when live data says it changed). */
  reload(): Promise<void> {
    return this.#args ? this.#load(this.#args, false) : Promise.resolve();
  }

  async #load(args: A, fresh: boolean): Promise<void> {
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    const run = ++this.#run;
    this.loading = true;
    if (fresh) {
      this.value = undefined;
      this.error = undefined;
    }
    this.#host.requestUpdate();
    try {
      const value = await this.#opts.task(args, abort.signal);
      if (run !== this.#run) return;
      this.value = value;
      this.error = undefined;
    } catch (err) {
      if (run !== this.#run || abort.signal.aborted) return;
      this.error = err;
    } finally {
      if (run === this.#run) {
        this.loading = false;
        this.#host.requestUpdate();
      }
    }
  }
}

function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
