import { describe, expect, it } from 'vitest';
import { ConfigError, decodeKey, loadConfig } from '../../src/config.js';

const HEX_KEY = 'a1'.repeat(32);
const B64_KEY = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      PORT: 8080,
      HOST: '0.0.0.0',
      // Unset: 1883 when free, else a free port (the broker decides at start).
      MQTT_PORT: undefined,
      MQTT_URL: undefined,
      MQTT_AGENT_AUTH: 'broker',
      DATABASE_URL: undefined,
      DATA_DIR: './data',
      HUB_SECRET_KEY: undefined,
      LOG_LEVEL: 'info',
      CORS_ORIGINS: [],
      DRM_DEMO_PASSWORD: undefined,
      MQTT_PUBLIC_URL: undefined,
      SESSION_TTL_HOURS: 12,
      COOKIE_SECURE: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable it knows and ignores the rest of the environment', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_URL: 'mqtts://broker.example.com:8883',
      MQTT_AGENT_AUTH: 'mosquitto-dynsec',
      DATABASE_URL: 'postgres://hub@db.example.com/drm',
      DATA_DIR: '/var/lib/drm',
      HUB_SECRET_KEY: HEX_KEY,
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: 'https://ops.example.com',
      DRM_DEMO_PASSWORD: 'a long demo password',
      MQTT_PUBLIC_URL: 'wss://hub.example.com/mqtt',
      SESSION_TTL_HOURS: '48',
      COOKIE_SECURE: 'true',
      UNRELATED: 'whatever',
    });
    expect(config).toMatchObject({
      PORT: 9000,
      HOST: '127.0.0.1',
      MQTT_PORT: 0,
      MQTT_URL: 'mqtts://broker.example.com:8883',
      MQTT_AGENT_AUTH: 'mosquitto-dynsec',
      DATABASE_URL: 'postgres://hub@db.example.com/drm',
      DATA_DIR: '/var/lib/drm',
      HUB_SECRET_KEY: HEX_KEY,
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: ['https://ops.example.com'],
      SESSION_TTL_HOURS: 48,
      COOKIE_SECURE: true,
    });
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('treats empty optional URLs as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', MQTT_URL: '  ', HUB_SECRET_KEY: '' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.MQTT_URL).toBeUndefined();
    expect(config.HUB_SECRET_KEY).toBeUndefined();
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['HOST', '   '],
    ['MQTT_PORT', 'abc'],
    ['MQTT_URL', 'http://broker.example.com'],
    ['MQTT_AGENT_AUTH', 'ldap'],
    ['DATABASE_URL', 'mysql://db.example.com/drm'],
    ['DATA_DIR', ''],
    ['LOG_LEVEL', 'verbose'],
    ['CORS_ORIGINS', 'ops.example.com'],
    ['CORS_ORIGINS', 'https://ops.example.com/path'],
    ['MQTT_PUBLIC_URL', 'broker:1883'],
    ['SESSION_TTL_HOURS', '0'],
    ['SESSION_TTL_HOURS', 'forever'],
    ['COOKIE_SECURE', 'yes'],
  ])('refuses %s=%j with a message that names the variable and shows the value', (name, value) => {
    const message = problemsOf({ [name]: value });
    expect(message).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it.each([
    ['HUB_SECRET_KEY', 'not-a-key-but-a-secret-value'],
    ['HUB_SECRET_KEY', 'ab'.repeat(16)],
    ['DRM_DEMO_PASSWORD', 'short-pw'],
  ])('refuses %s=%j without printing the secret', (name, value) => {
    const message = problemsOf({ [name]: value });
    expect(message).toContain(`${name}=(hidden)`);
    expect(message).not.toContain(value);
  });

  it.each([
    ['DATABASE_URL', 'mysql://hub:s3cret-pw@db.example.com/drm'],
    ['MQTT_URL', 'http://agent:s3cret-pw@broker.example.com'],
    ['MQTT_PUBLIC_URL', 'http://agent:s3cret-pw@broker.example.com'],
  ])('refuses %s without printing the password inside the URL', (name, value) => {
    const message = problemsOf({ [name]: value });
    expect(message).toContain(`${name}=${JSON.stringify(value.replace('s3cret-pw', '***'))}`);
    expect(message).not.toContain('s3cret-pw');
  });

  it('refuses agent logins kept in Mosquitto without an external broker', () => {
    expect(problemsOf({ MQTT_AGENT_AUTH: 'mosquitto-dynsec' })).toMatch(/MQTT_AGENT_AUTH=.*needs MQTT_URL/);
  });

  it('names every bad variable at once', () => {
    const message = problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', DATABASE_URL: 'sqlite://x' });
    expect(message).toMatch(/PORT=/);
    expect(message).toMatch(/LOG_LEVEL=/);
    expect(message).toMatch(/DATABASE_URL=/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  it.each([
    ['', []],
    ['*', ['*']],
    ['https://ops.example.com', ['https://ops.example.com']],
    [
      ' https://ops.example.com , http://localhost:5173,,',
      ['https://ops.example.com', 'http://localhost:5173'],
    ],
  ])('parses CORS_ORIGINS=%j', (value, expected) => {
    expect(loadConfig({ CORS_ORIGINS: value }).CORS_ORIGINS).toEqual(expected);
  });

  it.each([
    ['64 hex characters', HEX_KEY],
    ['upper-case hex', HEX_KEY.toUpperCase()],
    ['base64', B64_KEY],
    ['base64 without padding', B64_KEY.replace(/=+$/, '')],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
  ])('accepts HUB_SECRET_KEY as %s', (_what, key) => {
    expect(loadConfig({ HUB_SECRET_KEY: key }).HUB_SECRET_KEY).toBe(key);
  });
});

describe('decodeKey', () => {
  it('decodes hex and base64 to the same 32 bytes', () => {
    const raw = Buffer.from(HEX_KEY, 'hex');
    expect(decodeKey(HEX_KEY)).toEqual(raw);
    expect(decodeKey(raw.toString('base64'))).toEqual(raw);
    expect(decodeKey(raw.toString('base64url'))).toEqual(raw);
  });

  it.each([
    ['too short hex', 'ab'.repeat(31)],
    ['too long hex', 'ab'.repeat(33)],
    ['16-byte base64', Buffer.alloc(16).toString('base64')],
    ['48-byte base64', Buffer.alloc(48, 0xff).toString('base64')],
    ['not hex nor base64', `${'z'.repeat(42)}!!`],
    ['empty', ''],
  ])('refuses %s', (_what, text) => {
    expect(decodeKey(text)).toBeNull();
  });
});
