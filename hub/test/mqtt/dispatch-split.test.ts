import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DeviceAccess, encodeMessage, type JobDispatch, messageFor } from '@drm/protocol';
import { splitDispatch } from '../../src/modules/jobs/dispatch-messages.js';

const BASE = {
  jobId: randomUUID(),
  tenantId: randomUUID(),
  kind: 'snmp.get',
  params: { oids: ['1.3.6.1.2.1.1.1.0'], targetBudgetMs: 30_000 },
  deadline: '2025-03-01T13:00:00.000Z',
  createdAt: '2025-03-01T12:00:00.000Z',
} as Omit<JobDispatch, 'targets'>;

function target(i: number, communityLength = 12): DeviceAccess {
  return {
    deviceId: randomUUID(),
    address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    snmp: { version: '2c', port: 161, community: 'c'.repeat(communityLength) },
  };
}

const bytes = (body: JobDispatch) => encodeMessage(messageFor('jobs', body)).bytes;

describe('splitDispatch', () => {
  it.each([
    { maxBytes: 1_500, targets: 40 },
    { maxBytes: 4_000, targets: 40 },
    { maxBytes: 20_000, targets: 40 },
    { maxBytes: 20_000, targets: 1 },
  ])('keeps every part under $maxBytes bytes, in order, for $targets targets', ({ maxBytes, targets }) => {
    const all = Array.from({ length: targets }, (_, i) => target(i));
    const { bodies, tooLarge } = splitDispatch(BASE, all, maxBytes);
    expect(tooLarge).toEqual([]);
    for (const body of bodies) {
      expect(bytes(body)).toBeLessThanOrEqual(maxBytes);
      expect({ ...body, targets: [] }).toEqual({ ...BASE, targets: [] });
    }
    expect(bodies.flatMap((b) => b.targets)).toEqual(all);
    // Greedy packing: no two neighbouring parts would have fitted in one.
    for (let i = 1; i < bodies.length; i++) {
      const merged = { ...BASE, targets: [...bodies[i - 1]!.targets, ...bodies[i]!.targets] } as JobDispatch;
      expect(bytes(merged)).toBeGreaterThan(maxBytes);
    }
  });

  it('sends one message when everything fits', () => {
    const all = Array.from({ length: 5 }, (_, i) => target(i));
    expect(splitDispatch(BASE, all).bodies).toEqual([{ ...BASE, targets: all }]);
  });

  it('caps a part at 1000 targets even when the bytes would fit', () => {
    const all = Array.from({ length: 1500 }, (_, i) => target(i, 1));
    const { bodies } = splitDispatch(BASE, all, 10_000_000);
    expect(bodies.map((b) => b.targets.length)).toEqual([1000, 500]);
  });

  it('sets aside a target that cannot fit any message', () => {
    const small = target(1);
    const huge = target(2, 255);
    // Room for the job with the small target and a little more, not for the huge one.
    const maxBytes = bytes({ ...BASE, targets: [small] } as JobDispatch) + 50;
    const { bodies, tooLarge } = splitDispatch(BASE, [small, huge], maxBytes);
    expect(tooLarge).toEqual([huge.deviceId]);
    expect(bodies).toEqual([{ ...BASE, targets: [small] }]);
  });
});
