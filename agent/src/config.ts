import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The agent's settings, after flags, environment, config file and defaults are merged. */
export interface AgentConfig {
  /** Absolute path of the data folder (SQLite store with identity and credentials). */
  dataDir: string;
  logLevel: LogLevel;
  /** UDP port of the trap and inform receiver; 0 picks a free one. */
  trapPort: number;
  /**
   * SNMPv1/v2c communities accepted on traps and informs besides those of the devices in the
   * desired state. SECRET: never logged nor shown in errors.
   */
  trapCommunities: readonly string[];
  /** Job targets and polls run at once, in total. */
  maxConcurrency: number;
  /** Job targets and polls run at once against one device. */
  perDeviceConcurrency: number;
  /** Bound of the outbox, in MiB of item JSON. */
  outboxMaxMb: number;
  /** Address the trap and inform receiver listens on (`::` for IPv6). */
  trapHost: string;
  /** Caps the time budget of every job target, whatever the job asks for (seconds). */
  targetBudgetSeconds: number;
  /** How often `run` repeats its `online` status with fresh figures (seconds). */
  heartbeatSeconds: number;
  /** The longest wait between two attempts to reach the hub (seconds). */
  reconnectMaxSeconds: number;
  /** The config file read, if any. */
  configFile: string | null;
}

type Key = Exclude<keyof AgentConfig, 'configFile'>;
type Source = 'flag' | 'env' | 'file' | 'default';

const count = (min: number, max: number) =>
  z.int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** Comma-separated in flags and variables, a JSON array (or the same text) in the file. */
const communityList = z
  .union(
    [
      z.string().transform((text) =>
        text
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c.length > 0),
      ),
      z.array(z.string()),
    ],
    'must be a comma-separated list or an array of strings',
  )
  .pipe(
    z
      .array(
        z
          .string()
          .min(1, 'must not hold an empty community')
          .max(255, 'holds a community over 255 characters'),
      )
      .max(100, 'must hold at most 100 communities'),
  );

/** Each setting: its flag, its variable, its schema and its default. The one table to extend. */
const FIELDS = {
  dataDir: {
    flag: 'data-dir',
    env: 'DRM_AGENT_DATA_DIR',
    schema: z.string().min(1, 'must not be empty'),
    fallback: '/var/lib/drm-agent',
  },
  logLevel: {
    flag: 'log-level',
    env: 'DRM_AGENT_LOG_LEVEL',
    schema: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`),
    fallback: 'info',
  },
  trapPort: { flag: 'trap-port', env: 'DRM_AGENT_TRAP_PORT', schema: count(0, 65535), fallback: 162 },
  trapCommunities: {
    flag: 'trap-communities',
    env: 'DRM_AGENT_TRAP_COMMUNITIES',
    schema: communityList,
    fallback: [],
    secret: true,
  },
  maxConcurrency: {
    flag: 'max-concurrency',
    env: 'DRM_AGENT_MAX_CONCURRENCY',
    schema: count(1, 1024),
    fallback: 16,
  },
  perDeviceConcurrency: {
    flag: 'per-device-concurrency',
    env: 'DRM_AGENT_PER_DEVICE_CONCURRENCY',
    schema: count(1, 64),
    fallback: 2,
  },
  outboxMaxMb: {
    flag: 'outbox-max-mb',
    env: 'DRM_AGENT_OUTBOX_MAX_MB',
    schema: count(1, 1_048_576),
    fallback: 256,
  },
  trapHost: {
    flag: 'trap-host',
    env: 'DRM_AGENT_TRAP_HOST',
    schema: z.union([z.ipv4(), z.ipv6()], 'must be an IP address such as 0.0.0.0 or ::'),
    fallback: '0.0.0.0',
  },
  targetBudgetSeconds: {
    flag: 'target-budget-seconds',
    env: 'DRM_AGENT_TARGET_BUDGET_SECONDS',
    schema: count(1, 3600),
    fallback: 3600,
  },
  heartbeatSeconds: {
    flag: 'heartbeat-seconds',
    env: 'DRM_AGENT_HEARTBEAT_SECONDS',
    schema: count(1, 3600),
    fallback: 30,
  },
  reconnectMaxSeconds: {
    flag: 'reconnect-max-seconds',
    env: 'DRM_AGENT_RECONNECT_MAX_SECONDS',
    schema: count(1, 3600),
    fallback: 60,
  },
} as const satisfies Record<
  Key,
  { flag: string; env: string; schema: z.ZodType; fallback: unknown; secret?: boolean }
>;

const KEYS = Object.keys(FIELDS) as Key[];

/** The merged values, each already checked against its field's schema: only for the types. */
const Merged = z.object({
  dataDir: FIELDS.dataDir.schema,
  logLevel: FIELDS.logLevel.schema,
  trapPort: FIELDS.trapPort.schema,
  trapCommunities: FIELDS.trapCommunities.schema,
  maxConcurrency: FIELDS.maxConcurrency.schema,
  perDeviceConcurrency: FIELDS.perDeviceConcurrency.schema,
  outboxMaxMb: FIELDS.outboxMaxMb.schema,
  trapHost: FIELDS.trapHost.schema,
  targetBudgetSeconds: FIELDS.targetBudgetSeconds.schema,
  heartbeatSeconds: FIELDS.heartbeatSeconds.schema,
  reconnectMaxSeconds: FIELDS.reconnectMaxSeconds.schema,
});

/** Flag name → key, e.g. `trap-port` → `trapPort`. */
export type ConfigFlag = (typeof FIELDS)[Key]['flag'];

/** The options `node:util` parseArgs needs for every config flag, `--config` included. */
export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  ...(Object.fromEntries(KEYS.map((k) => [FIELDS[k].flag, { type: 'string' }])) as Record<
    ConfigFlag,
    { type: 'string' }
  >),
} as const;

/** The environment variables read, for help texts and tests. */
export const CONFIG_ENV: readonly string[] = KEYS.map((k) => FIELDS[k].env);

/** Bad configuration: each problem names the flag, variable or file key it comes from. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Raw flag values as parseArgs gives them, keyed by flag name (`data-dir`, `config`, …). */
  flags?: Partial<Record<ConfigFlag | 'config', string | undefined>>;
  env?: Record<string, string | undefined>;
  /** Overrides of the built-in defaults (the CLI keeps logs quiet with `logLevel: 'warn'`). */
  defaults?: Partial<Pick<AgentConfig, Key>>;
  /** Base of relative paths given by flags and variables; default `process.cwd()`. */
  cwd?: string;
}

/** Whole numbers given as text (flags, variables) become numbers; anything else is refused. */
function fromText(key: Key, text: string): unknown {
  if (typeof FIELDS[key].fallback !== 'number') return key === 'logLevel' ? text.toLowerCase() : text;
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

/** A value as the user wrote it: text from flags and variables quoted, JSON from the file as JSON. */
function show(source: Source, value: unknown): string {
  return source === 'flag' || source === 'env' ? `'${String(value)}'` : JSON.stringify(value);
}

/** Reads the JSON config file; keys are the setting names (`dataDir`, `trapPort`, …). */
function readFile(path: string, problems: string[]): Partial<Record<Key, unknown>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`--config: cannot read ${path}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    problems.push(`config file ${path}: not valid JSON (${(err as Error).message})`);
    return {};
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    problems.push(`config file ${path}: must hold a JSON object`);
    return {};
  }
  const values: Partial<Record<Key, unknown>> = {};
  for (const [name, value] of Object.entries(json)) {
    if ((KEYS as string[]).includes(name)) values[name as Key] = value;
    else problems.push(`config file ${path}: unknown key '${name}' (known: ${KEYS.join(', ')})`);
  }
  return values;
}

/**
 * Builds the configuration. Precedence: flags, then environment, then the `--config` JSON
 * file, then defaults. An empty variable counts as unset. Relative paths are resolved against
 * the working directory, or against the file's folder for paths in the file. Throws
 * `ConfigError` listing every bad value by the name it was given under.
 */
export function loadConfig(sources: ConfigSources = {}): AgentConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const problems: string[] = [];
  const configFile = flags.config === undefined ? null : resolve(cwd, flags.config);
  const file = configFile ? readFile(configFile, problems) : {};

  const values: Record<string, unknown> = {};
  const origin = {} as Record<Key, { source: Source; label: string }>;
  for (const key of KEYS) {
    const f = FIELDS[key];
    const envValue = env[f.env] === '' ? undefined : env[f.env];
    const [source, label, raw]: [Source, string, unknown] =
      flags[f.flag] !== undefined
        ? ['flag', `--${f.flag}`, fromText(key, flags[f.flag]!)]
        : envValue !== undefined
          ? ['env', f.env, fromText(key, envValue)]
          : file[key] !== undefined
            ? ['file', `config file ${configFile}: ${key}`, file[key]]
            : ['default', `default ${key}`, sources.defaults?.[key] ?? f.fallback];
    origin[key] = { source, label };
    const given = source === 'flag' ? flags[f.flag] : source === 'env' ? envValue : raw;
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else {
      const got = 'secret' in f ? 'value not shown' : `got ${show(source, given)}`;
      problems.push(`${label}: ${parsed.error.issues[0]?.message ?? 'invalid'} (${got})`);
    }
  }
  const max = values.maxConcurrency;
  const perDevice = values.perDeviceConcurrency;
  if (typeof max === 'number' && typeof perDevice === 'number' && perDevice > max) {
    problems.push(
      `${origin.perDeviceConcurrency.label}: ${perDevice} is above the total concurrency ${max} (${origin.maxConcurrency.label})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const merged = Merged.parse(values);
  const base = origin.dataDir.source === 'file' && configFile ? dirname(configFile) : cwd;
  return Object.freeze({ ...merged, dataDir: resolve(base, merged.dataDir), configFile });
}

/** The outbox bound in bytes. */
export function outboxMaxBytes(config: Pick<AgentConfig, 'outboxMaxMb'>): number {
  return config.outboxMaxMb * 1024 * 1024;
}
