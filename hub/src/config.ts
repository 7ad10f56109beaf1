import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const portNumber = () =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be 0..65535')
    .max(65535, 'must be 0..65535');
const port = (fallback: number) => portNumber().default(fallback);

/** The embedded broker's port when MQTT_PORT is unset (and free). */
export const DEFAULT_MQTT_PORT = 1883;

const optionalUrl = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

/** The hub's environment; DESIGN.md's configuration table is the contract. */
export const ConfigSchema = z.object({
  PORT: port(8080),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  /**
   * Unset: 1883, or a free port when 1883 is taken (the port is then printed and handed to
   * agents at enrollment). Set: exactly this port, or a start-up error naming it.
   */
  MQTT_PORT: portNumber().optional(),
  MQTT_URL: optionalUrl(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']),
  /**
   * Who keeps agent logins at the external broker of MQTT_URL: `broker` (its operator, from
   * the hub's agents list) or `mosquitto-dynsec` (the hub, in Mosquitto's dynamic-security
   * plugin, with the login of MQTT_URL as the plugin's admin).
   */
  MQTT_AGENT_AUTH: z
    .enum(['broker', 'mosquitto-dynsec'], { error: 'must be broker or mosquitto-dynsec' })
    .default('broker'),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  HUB_SECRET_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || decodeKey(v) !== null, {
      message: 'must be 32 bytes as 64 hex characters or base64',
    }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((o) => o === '*' || /^https?:\/\/[^/]+$/.test(o)), {
      message: 'must be a comma-separated list of origins such as https://ops.example.com',
    }),
  DRM_DEMO_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || v.length >= 12, { message: 'must be at least 12 characters' }),
  /** Public MQTT URL handed to agents at enrollment; derived from the request host when unset. */
  MQTT_PUBLIC_URL: optionalUrl(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']),
  /** Lifetime of a browser session, hours. */
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(12),
  /** Set `Secure` on the session cookie (put the hub behind TLS in production). */
  COOKIE_SECURE: z
    .enum(['true', 'false', ''])
    .default('')
    .transform((v) => v === 'true'),
});

export type Config = Readonly<z.output<typeof ConfigSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a frozen Config, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        return `${name}=${shownValue(name, picked[name])}: ${issue.message}`;
      }),
    );
  }
  if (parsed.data.MQTT_AGENT_AUTH === 'mosquitto-dynsec' && !parsed.data.MQTT_URL) {
    throw new ConfigError([
      'MQTT_AGENT_AUTH="mosquitto-dynsec": needs MQTT_URL (the embedded broker checks agents itself)',
    ]);
  }
  return Object.freeze(parsed.data);
}

const SECRET_VARIABLES = new Set(['HUB_SECRET_KEY', 'DRM_DEMO_PASSWORD']);

// Error messages end up in logs: never echo a secret, nor the password of a URL such as
// postgres://hub:pw@db/drm that was refused for a typo in its scheme.
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (SECRET_VARIABLES.has(name)) return '(hidden)';
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@'));
}

/** Accepts a 32-byte key as 64 hex characters or as base64; null when it is neither. */
export function decodeKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const buf = Buffer.from(text, 'base64');
    if (buf.length === 32) return buf;
  }
  return null;
}
