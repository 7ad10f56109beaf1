import { z } from 'zod';

/**
 * TR-181 (Device:2) parameter paths as used by TR-069 RPCs: `Device.` followed by names and
 * instance numbers, e.g. `Device.WiFi.SSID.1.SSID`. A partial path (an object) ends with `.`.
 */

/** TR-106 section 3.1 names: a letter or `_` first; vendor names such as `X_ACME-COM_Foo` carry `-`. */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INSTANCE_RE = /^[1-9]\d{0,9}$/;
/** TR-069 Amendment 6 section A.3.2.1: ParameterName is string(256). */
const MAX_PATH = 256;

function pathProblem(path: string, allowPartial: boolean): string | null {
  if (path.length > MAX_PATH) return `must be at most ${MAX_PATH} characters`;
  if (!path.startsWith('Device.')) return "must start with 'Device.'";
  const partial = path.endsWith('.');
  if (partial && !allowPartial) return 'must be a full parameter path, not an object path ending with .';
  const segments = (partial ? path.slice(0, -1) : path).split('.');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    if (INSTANCE_RE.test(segment)) {
      // An instance number selects a row of the table named just before it; `Device` is no table.
      if (i < 2 || !NAME_RE.test(segments[i - 1] ?? '')) {
        return `instance number ${segment} must follow a table name`;
      }
      continue;
    }
    if (!NAME_RE.test(segment)) {
      return `segment ${JSON.stringify(segment)} must be a name or an instance number (1 or more)`;
    }
  }
  if (!partial && INSTANCE_RE.test(segments.at(-1) ?? '')) {
    return 'must end with a parameter name; an object instance path ends with .';
  }
  return null;
}

function pathSchema(allowPartial: boolean) {
  return z.string().check((ctx) => {
    const problem = pathProblem(ctx.value, allowPartial);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
}

/** A full parameter path or a partial (object) path ending with `.`, as GetParameterValues takes. */
export const Tr181Path = pathSchema(true);
export type Tr181Path = z.infer<typeof Tr181Path>;

/** A full parameter path, as SetParameterValues takes. */
export const Tr181ParameterPath = pathSchema(false);
export type Tr181ParameterPath = z.infer<typeof Tr181ParameterPath>;

/** TR-106 data types (section 3.2), named as in the `xsd:` types on the wire. */
export const Tr181Type = z.enum([
  'string',
  'int',
  'unsignedInt',
  'boolean',
  'dateTime',
  'base64',
  'long',
  'unsignedLong',
  'hexBinary',
]);
export type Tr181Type = z.infer<typeof Tr181Type>;

const INT_RANGES: Partial<Record<Tr181Type, [bigint, bigint]>> = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  unsignedInt: [0n, 2n ** 32n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  unsignedLong: [0n, 2n ** 64n - 1n],
};
const INTEGER_RE = /^-?(0|[1-9]\d*)$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Why `value` is not a valid `type` value, or `null`. Integers may be JSON numbers (safe
 * integers) or decimal strings (needed for long/unsignedLong beyond 2^53); booleans may be
 * `true`/`false` or the strings `true`, `false`, `1`, `0` (TR-106 section 3.2).
 */
export function tr181ValueProblem(type: Tr181Type, value: unknown): string | null {
  const range = INT_RANGES[type];
  if (range) {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || !INTEGER_RE.test(text)) return 'must be an integer';
    const n = BigInt(text);
    return n < range[0] || n > range[1] ? `must be in ${range[0]}..${range[1]}` : null;
  }
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' || ['true', 'false', '1', '0'].includes(value as string)
        ? null
        : 'must be true or false';
    case 'dateTime':
      return typeof value === 'string' && DATETIME_RE.test(value) ? null : 'must be an ISO 8601 dateTime';
    case 'base64':
      return typeof value === 'string' && BASE64_RE.test(value) ? null : 'must be base64';
    case 'hexBinary':
      return typeof value === 'string' && HEX_RE.test(value) ? null : 'must be hex';
    default:
      return typeof value === 'string' ? null : 'must be a string';
  }
}

/** One parameter to write with SetParameterValues. */
export const Tr181SetValue = z
  .object({
    path: Tr181ParameterPath,
    type: Tr181Type,
    value: z.union([z.string(), z.number(), z.boolean()]),
  })
  .check((ctx) => {
    const problem = tr181ValueProblem(ctx.value.type, ctx.value.value);
    if (problem) {
      ctx.issues.push({
        code: 'custom',
        path: ['value'],
        message: `${ctx.value.type} value ${problem}`,
        input: ctx.value.value,
      });
    }
  });
export type Tr181SetValue = z.infer<typeof Tr181SetValue>;

/** One parameter read back: the value as the device wrote it on the wire (always text). */
export const Tr181Value = z.object({
  path: Tr181ParameterPath,
  type: Tr181Type,
  value: z.string(),
});
export type Tr181Value = z.infer<typeof Tr181Value>;
