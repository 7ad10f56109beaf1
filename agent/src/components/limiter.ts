export interface ConcurrencyLimits {
  /** Operations running at once across every device. */
  global: number;
  /** Operations running at once on one device. */
  perDevice: number;
}

interface Waiter {
  device: string;
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Slots for device work, shared by the executor and the scheduler so that jobs and polls
 * together stay within one global bound and one bound per device.
 *
 * Waiters are served first come, first served among those that can run: a waiter whose device
 * is at its limit is passed over (so one busy or dead device never holds up the others) but
 * keeps its place, and since a release on its device also frees a global slot, it is served
 * on that release before anyone who came later.
 */
export class ConcurrencyLimiter {
  readonly global: number;
  readonly perDevice: number;
  #active = 0;
  readonly #byDevice = new Map<string, number>();
  #queue: Waiter[] = [];

  constructor(opts: ConcurrencyLimits) {
    this.global = positiveInt('global', opts.global);
    // A per-device bound above the global one means the global one.
    this.perDevice = Math.min(positiveInt('perDevice', opts.perDevice), this.global);
  }

  /** Slots held now. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Slots held now for one device. */
  activeFor(deviceId: string): number {
    return this.#byDevice.get(deviceId.toLowerCase()) ?? 0;
  }

  /**
   * Resolves with a release function once a global slot and a slot for `deviceId` are free;
   * rejects with the signal's reason if aborted while waiting. Calling the release function
   * more than once frees the slot once.
   */
  acquire(deviceId: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const device = deviceId.toLowerCase();
    // Everyone still queued is blocked (the queue is drained after every change), so taking
    // a free slot now overtakes nobody who could have run.
    if (this.#canRun(device)) return Promise.resolve(this.#grant(device));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { device, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          this.#queue = this.#queue.filter((w) => w !== waiter);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  #canRun(device: string): boolean {
    return this.#active < this.global && (this.#byDevice.get(device) ?? 0) < this.perDevice;
  }

  #grant(device: string): () => void {
    this.#active += 1;
    this.#byDevice.set(device, (this.#byDevice.get(device) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      const left = (this.#byDevice.get(device) ?? 1) - 1;
      if (left > 0) this.#byDevice.set(device, left);
      else this.#byDevice.delete(device);
      this.#drain();
    };
  }

  /** Serves queued waiters, oldest first, while slots allow. */
  #drain(): void {
    if (this.#queue.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.#queue) {
      if (this.#active >= this.global || !this.#canRun(waiter.device)) {
        still.push(waiter);
        continue;
      }
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#grant(waiter.device));
    }
    this.#queue = still;
  }
}
