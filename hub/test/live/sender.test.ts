import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liveMetrics } from '../../src/live/metrics.js';
import { FrameSender, type SenderLimits, type Transport } from '../../src/live/sender.js';

/**
 * The per-client sender on its own, with a transport whose buffered amount the test sets: what
 * goes out at once, what waits, what coalesces, and when a client is dropped. (The socket
 * tests drive the same class through real sockets; this one pins down the rules.)
 */

const LIMITS: SenderLimits = {
  highWaterBytes: 100,
  maxPendingBytes: 1_000,
  stuckMs: 1_000,
  flushEveryMs: 10,
};

class TestTransport implements Transport {
  readonly kind = 'ws' as const;
  bufferedAmount = 0;
  written: string[] = [];
  closedWith: number | null = null;
  write(data: Buffer): void {
    this.written.push(String(data));
  }
  close(code: number): void {
    this.closedWith = code;
  }
}

const b = (s: string) => Buffer.from(s);
let transport: TestTransport;
let registry: Registry;
let sender: FrameSender;

beforeEach(() => {
  vi.useFakeTimers();
  transport = new TestTransport();
  registry = new Registry();
  sender = new FrameSender(transport, LIMITS, liveMetrics(registry), () => Date.now());
});

afterEach(() => {
  sender.close();
  vi.useRealTimers();
});

const value = async (name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  )?.value ?? 0;

describe('FrameSender', () => {
  it('writes at once while the transport keeps up', async () => {
    sender.send(b('a'), 'k');
    sender.send(b('b'));
    expect(transport.written).toEqual(['a', 'b']);
    expect(await value('drm_hub_live_frames_sent_total')).toBe(2);
  });

  it('holds frames past the high-water mark, coalesces keyed ones in place, and flushes in order', async () => {
    transport.bufferedAmount = 200;
    sender.send(b('p1'), 'p:x');
    sender.send(b('u1'));
    sender.send(b('p2'), 'p:x');
    sender.send(b('q1'), 'p:y');
    sender.send(b('p3'), 'p:x');
    expect(transport.written).toEqual([]);
    expect(sender.pending.frames).toBe(3);
    expect(await value('drm_hub_live_frames_coalesced_total')).toBe(2);
    transport.bufferedAmount = 0;
    vi.advanceTimersByTime(LIMITS.flushEveryMs);
    // The latest of x stands where its first frame stood: before the unkeyed update.
    expect(transport.written).toEqual(['p3', 'u1', 'q1']);
    expect(sender.pending).toEqual({ frames: 0, bytes: 0 });
    sender.send(b('now'));
    expect(transport.written.at(-1)).toBe('now');
  });

  it('keeps frames waiting behind earlier ones even once the buffer drains', () => {
    transport.bufferedAmount = 200;
    sender.send(b('first'));
    transport.bufferedAmount = 0;
    sender.send(b('second'));
    expect(transport.written).toEqual([]);
    vi.advanceTimersByTime(LIMITS.flushEveryMs);
    expect(transport.written).toEqual(['first', 'second']);
  });

  it('drops a client that stays slow past stuckMs (1013)', async () => {
    transport.bufferedAmount = 200;
    sender.send(b('x'), 'k');
    vi.advanceTimersByTime(LIMITS.stuckMs + 2 * LIMITS.flushEveryMs);
    expect(transport.closedWith).toBe(1013);
    expect(sender.closed).toBe(true);
    expect(await value('drm_hub_live_clients_dropped_total', { reason: 'stuck' })).toBe(1);
    sender.send(b('late'));
    expect(transport.written).toEqual([]);
  });

  it('drops a client whose waiting frames pass maxPendingBytes, and never holds more', async () => {
    transport.bufferedAmount = 200;
    for (let i = 0; i < 20; i++) sender.send(b('y'.repeat(60)));
    expect(transport.closedWith).toBe(1013);
    expect(await value('drm_hub_live_clients_dropped_total', { reason: 'overflow' })).toBe(1);
    expect(sender.pending.bytes).toBe(0);
  });

  it('coalescing alone never overflows: one key keeps one frame however many arrive', () => {
    transport.bufferedAmount = 200;
    for (let i = 0; i < 10_000; i++) sender.send(b(`progress ${i}`), 'p:x');
    expect(sender.pending.frames).toBe(1);
    expect(transport.closedWith).toBeNull();
    transport.bufferedAmount = 0;
    vi.advanceTimersByTime(LIMITS.flushEveryMs);
    expect(transport.written).toEqual(['progress 9999']);
  });
});
