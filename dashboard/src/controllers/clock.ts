import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Re-renders the host every `ms` while it is on the page, so "3 min ago" stays true. */
export class ClockController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #ms: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  now = Date.now();

  constructor(host: ReactiveControllerHost, ms = 15_000) {
    this.#host = host;
    this.#ms = ms;
    host.addController(this);
  }

  hostConnected(): void {
    this.now = Date.now();
    this.#timer = setInterval(() => {
      this.now = Date.now();
      this.#host.requestUpdate();
    }, this.#ms);
  }

  hostDisconnected(): void {
    clearInterval(this.#timer);
  }
}
