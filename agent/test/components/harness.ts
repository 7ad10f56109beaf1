import dgram from 'node:dgram';
import pino from 'pino';
import { vi } from 'vitest';
import type { ResultItem, ResultRecord, SampleRecord } from '@drm/protocol';
import type { Store } from '../../src/store/index.js';

/** Silent unless DEBUG_COMPONENTS is set, which prints the components' debug log. */
export const quietLog = pino({ enabled: Boolean(process.env.DEBUG_COMPONENTS), level: 'debug' });

/**
 * Waits until `check` returns true; throws after `ms` of real time. While timers are faked it
 * polls with `setImmediate` (the tests leave it real), so fake time does not move meanwhile.
 */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise<void>((resolve) =>
      vi.isFakeTimers() ? setImmediate(resolve) : setTimeout(resolve, 10),
    );
  }
}

/** A UDP port on loopback that nothing listens on: requests to it time out. */
export async function deadPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Everything in the outbox, in append order. */
export function outboxItems(store: Store): ResultItem[] {
  return store.outbox.peekBatch(1_000_000, Number.MAX_SAFE_INTEGER).map((e) => e.item);
}

export function outboxResults(store: Store): ResultRecord[] {
  return outboxItems(store).filter((i): i is ResultRecord => i.kind === 'result');
}

export function outboxSamples(store: Store): SampleRecord[] {
  return outboxItems(store).filter((i): i is SampleRecord => i.kind === 'sample');
}
