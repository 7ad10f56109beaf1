import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from '../../src/components/limiter.js';

const A = 'aaaaaaaa-0000-7000-8000-000000000001';
const B = 'bbbbbbbb-0000-7000-8000-000000000002';
const C = 'cccccccc-0000-7000-8000-000000000003';

/** Lets promise callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Acquires and records the order in which slots are granted. */
function tracker(limiter: ConcurrencyLimiter) {
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  const take = (label: string, device: string, signal?: AbortSignal) =>
    limiter.acquire(device, signal).then((release) => {
      granted.push(label);
      releases.set(label, release);
    });
  const release = (label: string) => {
    const fn = releases.get(label);
    if (!fn) throw new Error(`${label} holds no slot`);
    fn();
  };
  return { granted, take, release };
}

describe('ConcurrencyLimiter', () => {
  it.each([
    [{ global: 0, perDevice: 1 }, /global/],
    [{ global: 2, perDevice: 0 }, /perDevice/],
    [{ global: 1.5, perDevice: 1 }, /global/],
  ])('refuses limits %j', (limits, error) => {
    expect(() => new ConcurrencyLimiter(limits)).toThrow(error);
  });

  it('caps perDevice at the global bound', () => {
    expect(new ConcurrencyLimiter({ global: 2, perDevice: 5 }).perDevice).toBe(2);
  });

  it('never passes the global bound', async () => {
    const limiter = new ConcurrencyLimiter({ global: 3, perDevice: 3 });
    let running = 0;
    let peak = 0;
    const work = async (device: string) => {
      const release = await limiter.acquire(device);
      running += 1;
      peak = Math.max(peak, running);
      // Slots are granted before the holder resumes, so `active` may run ahead of `running`.
      expect(limiter.active).toBeGreaterThanOrEqual(running);
      expect(limiter.active).toBeLessThanOrEqual(3);
      await flush();
      running -= 1;
      release();
    };
    const devices = [A, B, C];
    await Promise.all(Array.from({ length: 30 }, (_, i) => work(devices[i % 3] ?? A)));
    expect(peak).toBe(3);
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('never passes the per-device bound, whatever the global room', async () => {
    const limiter = new ConcurrencyLimiter({ global: 10, perDevice: 2 });
    const t = tracker(limiter);
    for (let i = 0; i < 5; i++) void t.take(`a${i}`, A);
    await flush();
    expect(t.granted).toEqual(['a0', 'a1']);
    expect(limiter.activeFor(A)).toBe(2);
    expect(limiter.activeFor(A.toUpperCase())).toBe(2);
    t.release('a0');
    await flush();
    expect(t.granted).toEqual(['a0', 'a1', 'a2']);
    expect(limiter.active).toBe(2);
  });

  it('lets other devices pass a device that is at its limit', async () => {
    const limiter = new ConcurrencyLimiter({ global: 2, perDevice: 1 });
    const t = tracker(limiter);
    void t.take('a0', A);
    void t.take('a1', A); // waits for A
    void t.take('b0', B); // must not wait behind a1
    await flush();
    expect(t.granted).toEqual(['a0', 'b0']);
    t.release('b0');
    void t.take('c0', C);
    await flush();
    // a1 is still blocked by A; C takes the free global slot.
    expect(t.granted).toEqual(['a0', 'b0', 'c0']);
    t.release('a0');
    await flush();
    expect(t.granted).toEqual(['a0', 'b0', 'c0', 'a1']);
  });

  it('serves waiters first come, first served', async () => {
    const limiter = new ConcurrencyLimiter({ global: 1, perDevice: 1 });
    const t = tracker(limiter);
    void t.take('first', A);
    for (const [label, device] of [
      ['b', B],
      ['c', C],
      ['a', A],
      ['b2', B],
    ] as const) {
      void t.take(label, device);
    }
    await flush();
    const order = ['first', 'b', 'c', 'a', 'b2'];
    for (let i = 0; i < order.length - 1; i++) {
      t.release(order[i] ?? '');
      await flush();
      expect(t.granted).toEqual(order.slice(0, i + 2));
    }
  });

  it('does not let a newcomer overtake a waiter when a slot frees', async () => {
    const limiter = new ConcurrencyLimiter({ global: 1, perDevice: 1 });
    const t = tracker(limiter);
    void t.take('a', A);
    void t.take('b', B);
    await flush();
    t.release('a');
    void t.take('c', C); // arrives in the same tick as the release
    await flush();
    expect(t.granted).toEqual(['a', 'b']);
  });

  it('rejects an aborted wait with the signal reason and frees its place', async () => {
    const limiter = new ConcurrencyLimiter({ global: 1, perDevice: 1 });
    const t = tracker(limiter);
    void t.take('a', A);
    const controller = new AbortController();
    const reason = new Error('cancelled by the hub');
    const waiting = limiter.acquire(B, controller.signal);
    void t.take('c', C);
    await flush();
    expect(limiter.waiting).toBe(2);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(limiter.waiting).toBe(1);
    t.release('a');
    await flush();
    expect(t.granted).toEqual(['a', 'c']);
    expect(limiter.active).toBe(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const limiter = new ConcurrencyLimiter({ global: 1, perDevice: 1 });
    await expect(limiter.acquire(A, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
    expect(limiter.active).toBe(0);
  });

  it('frees a slot once however often release is called', async () => {
    const limiter = new ConcurrencyLimiter({ global: 2, perDevice: 2 });
    const first = await limiter.acquire(A);
    await limiter.acquire(A);
    first();
    first();
    expect(limiter.active).toBe(1);
    expect(limiter.activeFor(A)).toBe(1);
  });
});
