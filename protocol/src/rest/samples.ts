import { z } from 'zod';
import { Oid } from '../oid.js';
import { Timestamp, TimestampQuery, Uuid } from '../primitives.js';

/** One stored poll value; see `SampleRecord` for `valueNum` and `valueText`. */
export const Sample = z.object({
  deviceId: Uuid,
  scheduleId: Uuid.nullable(),
  oid: Oid,
  name: z.string().nullable(),
  ts: Timestamp,
  valueNum: z.number().nullable(),
  valueText: z.string().nullable(),
});
export type Sample = z.infer<typeof Sample>;

/** Samples of one OID of one device in [from, to); for charts, so the limit is larger. */
export const SampleQuery = z
  .object({
    deviceId: Uuid,
    oid: Oid,
    from: TimestampQuery,
    to: TimestampQuery,
    cursor: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });
export type SampleQuery = z.infer<typeof SampleQuery>;

/** The window `GET …/samples` reads when `from`/`to` are left out, and the widest it accepts. */
export const SAMPLE_WINDOW = { defaultHours: 24, maxDays: 93 } as const;

/**
 * `GET …/samples`: `SampleQuery` with an optional window. Left out, `to` is now (or `from`
 * plus the default window) and `from` is `to` minus the default window; a window wider than
 * `SAMPLE_WINDOW.maxDays` is refused, so a query never spans the whole partitioned history.
 */
export const SampleRangeQuery = z
  .object({
    deviceId: Uuid,
    oid: Oid,
    from: TimestampQuery.optional(),
    to: TimestampQuery.optional(),
    cursor: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'must be after from',
    path: ['to'],
  });
export type SampleRangeQuery = z.infer<typeof SampleRangeQuery>;

/** `GET …/devices/{id}/latest`: the newest sample of each OID of the device, ordered by OID. */
export const LatestSamples = z.object({
  deviceId: Uuid,
  items: z.array(Sample),
});
export type LatestSamples = z.infer<typeof LatestSamples>;
