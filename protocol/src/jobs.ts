import { z } from 'zod';
import {
  SnmpGetBulkParams,
  SnmpGetNextParams,
  SnmpGetParams,
  SnmpSetParams,
  SnmpWalkParams,
  Tr181GetParams,
  Tr181RebootParams,
  Tr181SetParams,
} from './job-params.js';
import { uniqueUuids } from './primitives.js';

export const JobKind = z.enum([
  'snmp.get',
  'snmp.getnext',
  'snmp.getbulk',
  'snmp.walk',
  'snmp.set',
  'tr181.get',
  'tr181.set',
  'tr181.reboot',
]);
export type JobKind = z.infer<typeof JobKind>;

/** The params schema of each job kind. */
export const JOB_PARAMS = {
  'snmp.get': SnmpGetParams,
  'snmp.getnext': SnmpGetNextParams,
  'snmp.getbulk': SnmpGetBulkParams,
  'snmp.walk': SnmpWalkParams,
  'snmp.set': SnmpSetParams,
  'tr181.get': Tr181GetParams,
  'tr181.set': Tr181SetParams,
  'tr181.reboot': Tr181RebootParams,
} as const satisfies Record<JobKind, z.ZodType>;

/** The params of one kind, e.g. `JobParamsOf<'snmp.walk'>`. */
export type JobParamsOf<K extends JobKind> = z.infer<(typeof JOB_PARAMS)[K]>;
/** The params of any kind. */
export type JobParams = JobParamsOf<JobKind>;

export function isSnmpKind(kind: JobKind): kind is Extract<JobKind, `snmp.${string}`> {
  return kind.startsWith('snmp.');
}

/**
 * Builds a discriminated union on `kind` where each member pairs `kind` with its `params` and
 * carries `shape` beside them. Every message or DTO that holds a job spec goes through here,
 * so a `kind` is always validated together with its params.
 */
export function jobVariants<S extends z.ZodRawShape>(shape: S) {
  return z.discriminatedUnion('kind', [
    z.object({ ...shape, kind: z.literal('snmp.get'), params: SnmpGetParams }),
    z.object({ ...shape, kind: z.literal('snmp.getnext'), params: SnmpGetNextParams }),
    z.object({ ...shape, kind: z.literal('snmp.getbulk'), params: SnmpGetBulkParams }),
    z.object({ ...shape, kind: z.literal('snmp.walk'), params: SnmpWalkParams }),
    z.object({ ...shape, kind: z.literal('snmp.set'), params: SnmpSetParams }),
    z.object({ ...shape, kind: z.literal('tr181.get'), params: Tr181GetParams }),
    z.object({ ...shape, kind: z.literal('tr181.set'), params: Tr181SetParams }),
    z.object({ ...shape, kind: z.literal('tr181.reboot'), params: Tr181RebootParams }),
  ]);
}

/** `{kind, params}`: what to do, without targets. */
export const JobSpec = jobVariants({});
export type JobSpec = z.infer<typeof JobSpec>;

/** Device ids a job runs on. */
export const JobTargets = uniqueUuids(1, 1000);

/** REST body of `POST /api/v1/tenants/{tenantId}/jobs`: `{kind, targets, params}`. */
export const JobCreate = jobVariants({ targets: JobTargets });
export type JobCreate = z.infer<typeof JobCreate>;

/**
 * Status of a job and of each of its targets. A job is `partial` when some targets succeeded
 * and others did not; `expired` when its deadline passed before every target reported.
 */
export const JobStatus = z.enum([
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'partial',
  'cancelled',
  'expired',
]);
export type JobStatus = z.infer<typeof JobStatus>;

export const TargetStatus = JobStatus;
export type TargetStatus = JobStatus;

export const TERMINAL_STATUSES: readonly JobStatus[] = [
  'succeeded',
  'failed',
  'partial',
  'cancelled',
  'expired',
];

/** True once a status can no longer change. */
export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
