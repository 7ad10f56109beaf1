import { z } from 'zod';
import { Oid } from './oid.js';
import { Timestamp, Uuid, Uuidv7 } from './primitives.js';
import { SnmpValueType, Varbind } from './snmp.js';
import { Tr181Value } from './tr181.js';

/** Error codes the agent reports today. */
export const RESULT_ERROR_CODES = [
  'timeout',
  'auth',
  'unreachable',
  'protocol',
  'snmp-error',
  'not-supported',
  'config',
  'budget',
  'limit',
  'cancelled',
  'expired',
  'internal',
] as const;
export type ResultErrorCode = (typeof RESULT_ERROR_CODES)[number];

/**
 * Why a target failed. `code` is open: an older hub must still accept codes added by a newer
 * agent (an unknown code is shown as is), so any lower-case token passes validation.
 */
export const ResultError = z.object({
  code: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case token such as timeout')
    .describe(RESULT_ERROR_CODES.join(', ')),
  message: z.string().max(2000),
  /** RFC 3416 error-status name for `snmp-error`, e.g. `notWritable`. */
  snmpStatus: z.string().max(64).optional(),
  /** RFC 3416 error-index: the 1-based varbind the error refers to. */
  snmpIndex: z.int().min(0).optional(),
});
export type ResultError = z.infer<typeof ResultError>;

/** Marks one piece of a result split over several records (large walks). */
export const ResultPart = z
  .object({ index: z.int().min(0), count: z.int().min(1).max(100_000) })
  .refine((p) => p.index < p.count, { message: 'index must be less than count', path: ['index'] });
export type ResultPart = z.infer<typeof ResultPart>;

/**
 * The outcome of one job target. `id` is a UUIDv7 made by the agent when the result entered
 * its outbox; the hub inserts with ON CONFLICT DO NOTHING, so a replay never duplicates.
 *
 * A result too big for one message (a long walk) is split into records with their own ids
 * and `part: {index, count}`; all parts share jobId, deviceId, status and times, and the hub
 * counts the target finished when it has committed all `count` parts.
 */
export const ResultRecord = z.object({
  kind: z.literal('result'),
  id: Uuidv7,
  jobId: Uuid,
  deviceId: Uuid,
  status: z.enum(['succeeded', 'failed']),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  varbinds: z.array(Varbind).optional(),
  tr181: z.array(Tr181Value).optional(),
  error: ResultError.optional(),
  part: ResultPart.optional(),
});
export type ResultRecord = z.infer<typeof ResultRecord>;

/**
 * One polled value from a schedule, for the time-series table. `valueNum` is set for numeric
 * types (a double: exact up to 2^53); `valueText` for strings, OIDs, addresses, and for
 * Counter64 as its exact decimal. A Counter64 carries both.
 */
export const SampleRecord = z.object({
  kind: z.literal('sample'),
  id: Uuidv7,
  scheduleId: Uuid,
  deviceId: Uuid,
  /** When the device answered. */
  ts: Timestamp,
  oid: Oid,
  name: z.string().max(512).optional(),
  type: SnmpValueType.optional(),
  valueNum: z.number().optional(),
  valueText: z.string().max(65535).optional(),
});
export type SampleRecord = z.infer<typeof SampleRecord>;

/** An outbox item: a job result or a poll sample. */
export const ResultItem = z.discriminatedUnion('kind', [ResultRecord, SampleRecord]);
export type ResultItem = z.infer<typeof ResultItem>;

/**
 * `results` (agent→hub): up to 500 outbox items, job results and samples mixed in outbox
 * order. The agent deletes an item only when a `ResultAck` lists its id.
 */
export const ResultBatch = z.object({
  items: z.array(ResultItem).min(1).max(500),
});
export type ResultBatch = z.infer<typeof ResultBatch>;
