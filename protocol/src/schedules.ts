import { z } from 'zod';
import { SnmpGetParams, SnmpWalkParams } from './job-params.js';
import { Name, Uuid, uniqueUuids } from './primitives.js';

export const ScheduleKind = z.enum(['snmp.get', 'snmp.walk']);
export type ScheduleKind = z.infer<typeof ScheduleKind>;

/** Fields shared by a schedule wherever it appears (config sync, REST). */
export const SCHEDULE_FIELDS = {
  name: Name,
  deviceIds: uniqueUuids(1, 10_000),
  intervalSeconds: z.int().min(10).max(86_400),
  /** Each run starts up to this percentage of the interval late, so polls spread out. */
  jitterPct: z.int().min(0).max(50).default(10),
  enabled: z.boolean().default(true),
};

/** Discriminated on `kind`, pairing it with its params, as `jobVariants` does for jobs. */
export function scheduleVariants<S extends z.ZodRawShape>(shape: S) {
  return z.discriminatedUnion('kind', [
    z.object({ ...shape, kind: z.literal('snmp.get'), params: SnmpGetParams }),
    z.object({ ...shape, kind: z.literal('snmp.walk'), params: SnmpWalkParams }),
  ]);
}

/** A recurring poll as the agent runs it; each value polled becomes a `SampleRecord`. */
export const Schedule = scheduleVariants({ id: Uuid, ...SCHEDULE_FIELDS });
export type Schedule = z.infer<typeof Schedule>;
