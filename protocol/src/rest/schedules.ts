import { z } from 'zod';
import { Timestamp, Uuid } from '../primitives.js';
import { SCHEDULE_FIELDS, ScheduleKind, scheduleVariants } from '../schedules.js';
import { PageQuery } from './paging.js';

/** A schedule as the API returns it. */
export const ScheduleDto = scheduleVariants({
  id: Uuid,
  tenantId: Uuid,
  ...SCHEDULE_FIELDS,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ScheduleDto = z.infer<typeof ScheduleDto>;

export const ScheduleCreate = scheduleVariants(SCHEDULE_FIELDS);
export type ScheduleCreate = z.infer<typeof ScheduleCreate>;

/** Fields left out are kept; `kind` and `params` change together. */
export const ScheduleUpdate = z.object({
  name: SCHEDULE_FIELDS.name.optional(),
  deviceIds: SCHEDULE_FIELDS.deviceIds.optional(),
  intervalSeconds: SCHEDULE_FIELDS.intervalSeconds.optional(),
  jitterPct: z.int().min(0).max(50).optional(),
  enabled: z.boolean().optional(),
  spec: scheduleVariants({}).optional(),
});
export type ScheduleUpdate = z.infer<typeof ScheduleUpdate>;

/** `GET …/schedules`: paging, and schedules of one kind or polling one device. */
export const ScheduleQuery = PageQuery.extend({
  kind: ScheduleKind.optional(),
  deviceId: Uuid.optional(),
});
export type ScheduleQuery = z.infer<typeof ScheduleQuery>;
