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
