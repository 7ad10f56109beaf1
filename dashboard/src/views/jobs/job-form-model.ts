import {
  JOB_EXPIRY_SECONDS,
  JobCreateRequest,
  type JobKind,
  type OctetEncoding,
  type SnmpValueType,
  type SnmpVersion,
  type Tr181Type,
} from '@drm/protocol';
import { issueFields } from '../../lib/issues.js';
import { resolveOid } from '../../lib/oid-names.js';

export interface SetRow {
  oid: string;
  type: SnmpValueType;
  value: string;
  encoding: OctetEncoding;
}

export interface Tr181Row {
  path: string;
  type: Tr181Type;
  value: string;
}

/** The params of a job (or a poll) as the inputs hold them (text), for every kind at once. */
export interface JobParamsModel {
  kind: JobKind;
  /** get, getnext, getbulk: OIDs or MIB names. */
  oids: string[];
  /** walk: the subtree. */
  walkOid: string;
  walkMethod: 'bulk' | 'next';
  maxRepetitions: string;
  nonRepeaters: string;
  maxVarbinds: string;
  setRows: SetRow[];
  /** tr181.get: one path per line. */
  tr181Paths: string;
  tr181Rows: Tr181Row[];
  parameterKey: string;
  commandKey: string;
  /** Overrides of the device's SNMP profile; empty keeps the profile. */
  version: '' | SnmpVersion;
  timeoutMs: string;
  retries: string;
  targetBudgetSeconds: string;
}

/** A job form's fields: the params, the devices and when to give up. */
export interface JobFormModel extends JobParamsModel {
  targets: string[];
  expiresMinutes: string;
}

export function emptyJobParams(kind: JobKind = 'snmp.get'): JobParamsModel {
  return {
    kind,
    oids: ['sysDescr.0'],
    walkOid: 'ifTable',
    walkMethod: 'bulk',
    maxRepetitions: '',
    nonRepeaters: '0',
    maxVarbinds: '',
    setRows: [{ oid: 'sysContact.0', type: 'OctetString', value: '', encoding: 'utf8' }],
    tr181Paths: 'Device.DeviceInfo.',
    tr181Rows: [{ path: '', type: 'string', value: '' }],
    parameterKey: '',
    commandKey: '',
    version: '',
    timeoutMs: '',
    retries: '',
    targetBudgetSeconds: '',
  };
}

export function emptyJobForm(kind: JobKind = 'snmp.get', targets: string[] = []): JobFormModel {
  return {
    ...emptyJobParams(kind),
    targets,
    expiresMinutes: String(JOB_EXPIRY_SECONDS.default / 60),
  };
}

const INTEGER_TYPES: readonly SnmpValueType[] = ['Integer', 'Counter32', 'Gauge32', 'TimeTicks'];

/** The JSON value a SET sends: numbers for integer types, text for the rest (Counter64 included). */
export function setValue(row: SetRow): string | number | null {
  if (row.type === 'Null') return null;
  if (INTEGER_TYPES.includes(row.type)) {
    // Not a number: sent as typed, so the schema says what an Integer must be.
    const n = Number(row.value.trim());
    return row.value.trim() !== '' && Number.isFinite(n) ? n : row.value;
  }
  return row.type === 'OctetString' && row.encoding === 'hex'
    ? row.value.replace(/[\s:]/g, '').toLowerCase()
    : row.value;
}

function tr181Value(row: Tr181Row): string | number | boolean {
  if (row.type === 'boolean') return row.value === 'true' ? true : row.value === 'false' ? false : row.value;
  return row.value;
}

/** A whole number from a text input, or undefined when it is empty (the default applies). */
function optionalInt(text: string, scale = 1): number | undefined {
  return text.trim() === '' ? undefined : Number(text) * scale;
}

function oid(text: string, path: string, errors: Map<string, string>): string {
  const r = resolveOid(text);
  if (r.ok) return r.oid;
  errors.set(path, r.message);
  return text;
}

/**
 * The params for the model's kind: MIB names resolved to OIDs (a name that does not resolve is
 * put in `errors` under its field, `params.oids.1`), empty options left out so defaults apply.
 * Not validated here: the caller parses the whole request with its schema.
 */
export function buildParams(m: JobParamsModel, errors: Map<string, string>): Record<string, unknown> {
  const snmp = {
    ...(m.version && { version: m.version }),
    ...(optionalInt(m.timeoutMs) !== undefined && { timeoutMs: optionalInt(m.timeoutMs) }),
    ...(optionalInt(m.retries) !== undefined && { retries: optionalInt(m.retries) }),
    ...(optionalInt(m.targetBudgetSeconds, 1000) !== undefined && {
      targetBudgetMs: optionalInt(m.targetBudgetSeconds, 1000),
    }),
  };
  const oids = () => m.oids.map((o, i) => oid(o, `params.oids.${i}`, errors));
  switch (m.kind) {
    case 'snmp.get':
    case 'snmp.getnext':
      return { ...snmp, oids: oids() };
    case 'snmp.getbulk':
      return {
        ...snmp,
        oids: oids(),
        nonRepeaters: optionalInt(m.nonRepeaters) ?? 0,
        ...(optionalInt(m.maxRepetitions) !== undefined && { maxRepetitions: optionalInt(m.maxRepetitions) }),
      };
    case 'snmp.walk':
      return {
        ...snmp,
        oid: oid(m.walkOid, 'params.oid', errors),
        method: m.walkMethod,
        ...(optionalInt(m.maxRepetitions) !== undefined && { maxRepetitions: optionalInt(m.maxRepetitions) }),
        ...(optionalInt(m.maxVarbinds) !== undefined && { maxVarbinds: optionalInt(m.maxVarbinds) }),
      };
    case 'snmp.set':
      return {
        ...snmp,
        varbinds: m.setRows.map((r, i) => ({
          oid: oid(r.oid, `params.varbinds.${i}.oid`, errors),
          type: r.type,
          value: setValue(r),
          ...(r.type === 'OctetString' && r.encoding === 'hex' && { encoding: 'hex' }),
        })),
      };
    case 'tr181.get':
      return {
        parameters: m.tr181Paths
          .split('\n')
          .map((p) => p.trim())
          .filter(Boolean),
      };
    case 'tr181.set':
      return {
        values: m.tr181Rows.map((r) => ({ path: r.path.trim(), type: r.type, value: tr181Value(r) })),
        ...(m.parameterKey && { parameterKey: m.parameterKey }),
      };
    case 'tr181.reboot':
      return m.commandKey ? { commandKey: m.commandKey } : {};
  }
}

/**
 * The request to create the job, checked against the same schema the hub uses, or the
 * problems keyed by field (`targets`, `params.oids.0`, `params.varbinds.1.value`…).
 */
export function buildJobRequest(m: JobFormModel): {
  body: JobCreateRequest | null;
  errors: Map<string, string>;
} {
  const errors = new Map<string, string>();
  const expires = optionalInt(m.expiresMinutes, 60);
  const raw = {
    kind: m.kind,
    targets: m.targets,
    params: buildParams(m, errors),
    ...(expires !== undefined && { expiresInSeconds: expires }),
  };
  if (m.targets.length === 0) errors.set('targets', 'Choose at least one device');
  const parsed = JobCreateRequest.safeParse(raw);
  if (!parsed.success) issueFields(parsed.error.issues, '', errors);
  return errors.size > 0 ? { body: null, errors } : { body: parsed.data ?? null, errors };
}
