import {
  SNMP_DEFAULTS,
  ScheduleCreate,
  type ScheduleDto,
  ScheduleKind,
  type ScheduleUpdate,
} from '@drm/protocol';
import { issueFields } from '../../lib/issues.js';
import { nameOfOid } from '../../lib/oid-names.js';
import { buildParams, emptyJobParams, type JobParamsModel } from '../jobs/job-form-model.js';

/** The kinds a poll can be, in the order the form offers them. */
export const POLL_KINDS = ScheduleKind.options;

export type IntervalUnit = 's' | 'min' | 'h';
export const INTERVAL_UNITS: readonly [IntervalUnit, string][] = [
  ['s', 'seconds'],
  ['min', 'minutes'],
  ['h', 'hours'],
];
const UNIT_SECONDS: Record<IntervalUnit, number> = { s: 1, min: 60, h: 3600 };

/**
 * A poll form's fields as the inputs hold them (text). The params are a job's (`JobParamsModel`),
 * edited by the same `drm-job-params` element; the kind is one of `POLL_KINDS`.
 */
export interface PollFormModel extends JobParamsModel {
  name: string;
  deviceIds: string[];
  /** The interval as typed, in `unit`s. */
  every: string;
  unit: IntervalUnit;
  jitterPct: string;
  enabled: boolean;
}

export function emptyPollForm(deviceIds: string[] = []): PollFormModel {
  return {
    ...emptyJobParams('snmp.get'),
    oids: ['sysUpTime.0'],
    name: '',
    deviceIds,
    every: '5',
    unit: 'min',
    jitterPct: '10',
    enabled: true,
  };
}

/** An interval in the largest unit it is a whole number of: 300 → 5 min, 90 → 90 s. */
export function splitInterval(seconds: number): { every: string; unit: IntervalUnit } {
  if (seconds % 3600 === 0) return { every: String(seconds / 3600), unit: 'h' };
  if (seconds % 60 === 0) return { every: String(seconds / 60), unit: 'min' };
  return { every: String(seconds), unit: 's' };
}

/** A numeric OID as a person would type it: its MIB name when the dashboard knows one. */
function named(oid: string): string {
  return nameOfOid(oid) ?? oid;
}

/** Empty for a value that is the default, so the form shows "Empty: …" as for a new one. */
function unlessDefault(value: number | undefined, fallback?: number): string {
  return value === undefined || value === fallback ? '' : String(value);
}

/** The form for an existing schedule: OIDs shown by name, defaults shown as empty. */
export function pollFormFrom(s: ScheduleDto): PollFormModel {
  const p = s.params;
  const form: PollFormModel = {
    ...emptyPollForm(s.deviceIds),
    kind: s.kind,
    name: s.name,
    ...splitInterval(s.intervalSeconds),
    jitterPct: String(s.jitterPct),
    enabled: s.enabled,
    version: p.version ?? '',
    timeoutMs: unlessDefault(p.timeoutMs),
    retries: unlessDefault(p.retries),
    targetBudgetSeconds:
      p.targetBudgetMs === SNMP_DEFAULTS.targetBudgetMs ? '' : String(p.targetBudgetMs / 1000),
  };
  if (s.kind === 'snmp.get') return { ...form, oids: s.params.oids.map(named) };
  return {
    ...form,
    walkOid: named(s.params.oid),
    walkMethod: s.params.method,
    maxRepetitions: unlessDefault(s.params.maxRepetitions),
    maxVarbinds: unlessDefault(s.params.maxVarbinds, SNMP_DEFAULTS.maxVarbinds),
  };
}

/** The interval in seconds, or NaN when what was typed is not a number. */
export function intervalSeconds(m: Pick<PollFormModel, 'every' | 'unit'>): number {
  const text = m.every.trim();
  return text === '' ? Number.NaN : Number(text) * UNIT_SECONDS[m.unit];
}

function checkTiming(m: PollFormModel, errors: Map<string, string>): void {
  const seconds = intervalSeconds(m);
  if (!Number.isFinite(seconds)) errors.set('intervalSeconds', 'Enter how often to poll, as a number');
  else if (!Number.isInteger(seconds)) errors.set('intervalSeconds', 'Enter a whole number of seconds');
  else if (seconds < 10) errors.set('intervalSeconds', 'At least 10 seconds between polls');
  else if (seconds > 86_400) errors.set('intervalSeconds', 'At most 24 hours between polls');
  const jitter = m.jitterPct.trim();
  if (jitter !== '' && !/^\d+$/.test(jitter)) errors.set('jitterPct', 'Enter a whole number from 0 to 50');
  else if (Number(jitter) > 50) errors.set('jitterPct', 'At most 50 % of the interval');
}

/**
 * The request to create the poll, checked against the same schema the hub uses, or the
 * problems keyed by field (`name`, `deviceIds`, `intervalSeconds`, `params.oids.0`…).
 */
export function buildPollRequest(m: PollFormModel): {
  body: ScheduleCreate | null;
  errors: Map<string, string>;
} {
  const errors = new Map<string, string>();
  if (m.name.trim() === '') errors.set('name', 'Give the poll a name');
  const params = buildParams(m, errors);
  if (m.deviceIds.length === 0) errors.set('deviceIds', 'Choose at least one device');
  checkTiming(m, errors);
  const raw = {
    name: m.name,
    kind: m.kind,
    params,
    deviceIds: m.deviceIds,
    intervalSeconds: intervalSeconds(m),
    ...(m.jitterPct.trim() !== '' && { jitterPct: Number(m.jitterPct) }),
    enabled: m.enabled,
  };
  const parsed = ScheduleCreate.safeParse(raw);
  if (!parsed.success) issueFields(parsed.error.issues, '', errors);
  return errors.size > 0 ? { body: null, errors } : { body: parsed.data ?? null, errors };
}

/** The whole poll as a change: kind and params travel together as `spec`. */
export function updateFrom(body: ScheduleCreate): ScheduleUpdate {
  return {
    name: body.name,
    deviceIds: body.deviceIds,
    intervalSeconds: body.intervalSeconds,
    jitterPct: body.jitterPct,
    enabled: body.enabled,
    spec: { kind: body.kind, params: body.params } as ScheduleUpdate['spec'],
  };
}

/** The hub's field errors for an update name `spec.params.…`; the form's fields are `params.…`. */
export function formErrors(hubErrors: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...hubErrors].map(([k, v]) => [k.replace(/^spec\./, ''), v]));
}
