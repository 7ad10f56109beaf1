import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface LiveControllerOptions {
  /** Identifies what to watch (e.g. the job id); `null` watches nothing. A change re-subscribes. */
  key: () => string | null;
  /** Subscribes through `api/live.ts` and returns its unsubscribe. */
  subscribe: () => () => void;
}

/**
 * Ties a live subscription to a component's life: subscribes when it is connected (and when
 * what it shows changes), unsubscribes when it leaves the page.
 */
export class LiveController implements ReactiveController {
  readonly #opts: LiveControllerOptions;
  #key: string | null = null;
  #unsubscribe: (() => void) | null = null;
  #connected = false;

  constructor(host: ReactiveControllerHost, opts: LiveControllerOptions) {
    this.#opts = opts;
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#sync();
  }

  hostUpdated(): void {
    this.#sync();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#stop();
  }

  #sync(): void {
    const key = this.#connected ? this.#opts.key() : null;
    if (key === this.#key) return;
    this.#stop();
    this.#key = key;
    if (key !== null) this.#unsubscribe = this.#opts.subscribe();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#key = null;
  }
}
