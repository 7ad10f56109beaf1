import { describe, expect, it } from 'vitest';
import { messageFor, uuidv7 } from '@drm/protocol';
import { storableAsText } from '../../src/mqtt/ingest/repo.js';

/** A results message as an agent writes it: ids full of hex digits and `e`s, times, numbers. */
function message(value: number): string {
  const items = Array.from({ length: 200 }, (_, i) => ({
    kind: 'result' as const,
    id: uuidv7(),
    jobId: '0e812345-6789-4abc-8def-0123456789ab',
    deviceId: `7908c7b9-74da-4d74-b2d7-${i.toString(16).padStart(12, 'e')}`,
    status: 'succeeded' as const,
    startedAt: '2026-11-29T10:00:00.000Z',
    finishedAt: '2026-11-29T10:00:00.012Z',
    varbinds: [
      { oid: '1.3.6.1.2.1.1.1.0', type: 'OctetString' as const, value: 'Linux e1000e 5e100 driver' },
      { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks' as const, value },
    ],
  }));
  return JSON.stringify(messageFor('results', { items }));
}

describe('storableAsText', () => {
  it('takes what serialisers write: ids, hex, times, strings that look like numbers, doubles', () => {
    for (const value of [0, 42, 4_294_967_295, 1e21, 5e-7, -1.5e99, 18446744073709552000]) {
      expect(storableAsText(message(value)), String(value)).toBe(true);
    }
  });

  it('refuses numbers PostgreSQL may not read, and escaped NULs', () => {
    const text = message(12345);
    for (const spelling of ['0e-20000', '1e-400', '-1.5E+300', `0.${'0'.repeat(40)}1`, '1'.repeat(40)]) {
      expect(storableAsText(text.replace(':12345', `:${spelling}`)), spelling).toBe(false);
    }
    expect(storableAsText(text.replace('Linux', 'Lin\\u0000ux'))).toBe(false);
  });
});
