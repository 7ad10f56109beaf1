import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Email, Name, Uuid } from '@drm/protocol';
import { DEMO_EMAIL, DEMO_PASSWORD_FILE } from '@drm/hub/demo';
import { UsageError } from './errors.js';

export const USAGE = `Usage: npm run demo:snmp -- [options]

Queues an SNMP GET of sysDescr.0 (1.3.6.1.2.1.1.1.0) on the demo device through a running
hub's REST API, so that the hub dispatches it to the device's agent over MQTT. Prints the job
id, its page in the dashboard and the commands to watch it, then follows the job until it
finishes and prints what the device answered.

Options:
  --hub URL             the hub (default HUB_URL, else http://localhost:PORT, PORT default 8080)
  --email EMAIL         log in as this user (default ${DEMO_EMAIL})
  --password PASSWORD   its password (default DRM_DEMO_PASSWORD, else the file ${DEMO_PASSWORD_FILE}
                        in DATA_DIR, default ./data, where the hub keeps the demo password)
  --device NAME_OR_ID   the device (default localhost-snmp, the demo device)
  --tenant ID           look for the device in this tenant only (default: every tenant the
                        user sees, the demo tenants first)
  --timeout SECONDS     how long to follow the job (default 30)
  --no-wait             print the job and how to watch it, and exit without following it
  -h, --help            show this help

With DRM_API_TOKEN set, that API token is sent as the bearer token instead of logging in.
Exit codes: 0 the job succeeded (with --no-wait: it was queued), 1 the job failed or did not
finish in time, or the hub could not be reached or refused, 2 bad usage or no password.
`;

export const DEMO_DEVICE_NAME = 'localhost-snmp';
const DEFAULT_TIMEOUT_S = 30;
const MAX_TIMEOUT_S = 24 * 3600;

/** Where the password came from, to say so when the hub refuses it. */
export type PasswordSource = { kind: 'flag' } | { kind: 'env' } | { kind: 'file'; path: string };

export type DeviceWanted = { id: string } | { name: string };

export interface Options {
  /** Without a trailing slash. */
  hubUrl: string;
  email: string;
  /** DRM_API_TOKEN: sent as the bearer token instead of logging in. */
  apiToken: string | null;
  /** `--password`, else DRM_DEMO_PASSWORD; null: the password file, read by `findPassword`. */
  password: { value: string; source: PasswordSource } | null;
  /** The demo password file, looked up when neither `--password` nor DRM_DEMO_PASSWORD is set. */
  passwordFile: string;
  device: DeviceWanted;
  /** Whether `--device` was given (else the demo device is meant). */
  deviceGiven: boolean;
  tenantId: string | null;
  wait: boolean;
  timeoutMs: number;
}

const PARSE_CONFIG = {
  allowPositionals: true,
  strict: true,
  options: {
    help: { type: 'boolean', short: 'h' },
    hub: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    device: { type: 'string' },
    tenant: { type: 'string' },
    timeout: { type: 'string' },
    'no-wait': { type: 'boolean' },
  },
} as const;

type Env = Record<string, string | undefined>;

/** The options of `argv` and `env`, or `help`; throws `UsageError` for anything wrong. */
export function resolveOptions(argv: string[], env: Env): Options | 'help' {
  let parsed: ReturnType<typeof parseArgs<typeof PARSE_CONFIG>>;
  try {
    parsed = parseArgs({ ...PARSE_CONFIG, args: argv });
  } catch (err) {
    // node:util's message goes on about positionals after '--'; its first sentence says it all.
    throw new UsageError((err as Error).message.split('. ')[0] ?? String(err));
  }
  const v = parsed.values;
  if (v.help) return 'help';
  // Not echoed: it may be the second half of an unquoted password.
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument after the options (${parsed.positionals.length} of them); quote a value that has spaces`,
    );
  }
  const password = v.password
    ? { value: v.password, source: { kind: 'flag' as const } }
    : env.DRM_DEMO_PASSWORD
      ? { value: env.DRM_DEMO_PASSWORD, source: { kind: 'env' as const } }
      : null;
  return {
    hubUrl: hubUrlOf(v.hub, env),
    email: emailOf(v.email),
    apiToken: env.DRM_API_TOKEN?.trim() || null,
    password,
    passwordFile: join(env.DATA_DIR || './data', DEMO_PASSWORD_FILE),
    device: deviceOf(v.device),
    deviceGiven: v.device !== undefined,
    tenantId: tenantOf(v.tenant),
    wait: !v['no-wait'],
    // Whole milliseconds: timers and AbortSignal.timeout refuse fractions.
    timeoutMs: Math.ceil(timeoutOf(v.timeout) * 1000),
  };
}

function hubUrlOf(flag: string | undefined, env: Env): string {
  const [text, from] = flag
    ? [flag, '--hub']
    : env.HUB_URL
      ? [env.HUB_URL, 'HUB_URL']
      : [`http://localhost:${env.PORT || 8080}`, 'PORT'];
  let url: URL | null = null;
  try {
    url = new URL(text.trim());
  } catch {
    // refused below
  }
  if (url && (url.username || url.password)) {
    // Not repeated back: it holds credentials. They do not go in the address.
    throw new UsageError(
      `${from}: the hub's address must not hold a user or password (use --password, DRM_DEMO_PASSWORD or DRM_API_TOKEN)`,
    );
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new UsageError(`${from}: '${text}' is not the hub's address (an http:// or https:// URL)`);
  }
  return url.href.replace(/\/+$/, '');
}

function emailOf(flag: string | undefined): string {
  const email = Email.safeParse((flag ?? DEMO_EMAIL).trim());
  if (!email.success) throw new UsageError(`--email: '${flag}' is not an email address`);
  return email.data;
}

function deviceOf(flag: string | undefined): DeviceWanted {
  if (flag === undefined) return { name: DEMO_DEVICE_NAME };
  const id = Uuid.safeParse(flag.trim());
  if (id.success) return { id: id.data.toLowerCase() };
  const name = Name.safeParse(flag);
  if (!name.success) throw new UsageError(`--device: give a device's name or id (got '${flag}')`);
  return { name: name.data };
}

function tenantOf(flag: string | undefined): string | null {
  if (flag === undefined) return null;
  const id = Uuid.safeParse(flag.trim());
  if (!id.success) throw new UsageError(`--tenant: '${flag}' is not a tenant id (a UUID)`);
  return id.data.toLowerCase();
}

function timeoutOf(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_TIMEOUT_S;
  const seconds = Number(flag);
  if (flag.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_S) {
    throw new UsageError(`--timeout: '${flag}' is not a number of seconds between 0 and ${MAX_TIMEOUT_S}`);
  }
  return seconds;
}

/**
 * The password of `opts.email`: `--password`, else DRM_DEMO_PASSWORD, else the file the hub
 * generated the demo password into. Throws `UsageError` when there is none.
 */
export async function findPassword(opts: Options): Promise<{ value: string; source: PasswordSource }> {
  if (opts.password) return opts.password;
  const path = opts.passwordFile;
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `no password to log in as ${opts.email}: give --password, set DRM_DEMO_PASSWORD, or run this ` +
        `where the hub keeps its data (${path}: ${code === 'ENOENT' ? 'not found' : code}; ` +
        'DATA_DIR names another folder), or set DRM_API_TOKEN',
    );
  }
  if (text === '') throw new UsageError(`no password to log in as ${opts.email}: ${path} is empty`);
  return { value: text, source: { kind: 'file', path } };
}

/** Where the password was looked up, in order, for a refused login. */
export function passwordLookup(source: PasswordSource, passwordFile: string): string {
  const used =
    source.kind === 'flag' ? '--password' : source.kind === 'env' ? 'DRM_DEMO_PASSWORD' : source.path;
  return (
    `the password came from ${used} (looked up in --password, then DRM_DEMO_PASSWORD, then ` +
    `${passwordFile}, the file the hub writes the demo password to in its DATA_DIR)`
  );
}
