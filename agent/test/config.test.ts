import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AgentConfig, CONFIG_ENV, ConfigError, loadConfig, outboxMaxBytes } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'drm-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The problems of a configuration that must fail. */
function problems(sources: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(sources);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('agent configuration', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({ env: {}, cwd: '/srv' })).toEqual<AgentConfig>({
      dataDir: '/var/lib/drm-agent',
      logLevel: 'info',
      trapPort: 162,
      trapCommunities: [],
      maxConcurrency: 16,
      perDeviceConcurrency: 2,
      outboxMaxMb: 256,
      trapHost: '0.0.0.0',
      targetBudgetSeconds: 3600,
      heartbeatSeconds: 30,
      reconnectMaxSeconds: 60,
      configFile: null,
    });
    expect(outboxMaxBytes({ outboxMaxMb: 256 })).toBe(256 * 1024 * 1024);
    expect(CONFIG_ENV).toEqual([
      'DRM_AGENT_DATA_DIR',
      'DRM_AGENT_LOG_LEVEL',
      'DRM_AGENT_TRAP_PORT',
      'DRM_AGENT_TRAP_COMMUNITIES',
      'DRM_AGENT_MAX_CONCURRENCY',
      'DRM_AGENT_PER_DEVICE_CONCURRENCY',
      'DRM_AGENT_OUTBOX_MAX_MB',
      'DRM_AGENT_TRAP_HOST',
      'DRM_AGENT_TARGET_BUDGET_SECONDS',
      'DRM_AGENT_HEARTBEAT_SECONDS',
      'DRM_AGENT_RECONNECT_MAX_SECONDS',
    ]);
  });

  it('takes flags over variables over the file over defaults', () => {
    const path = file('layers.json', {
      dataDir: 'from-file',
      trapPort: 1162,
      maxConcurrency: 8,
      logLevel: 'debug',
    });
    const config = loadConfig({
      flags: { config: path, 'trap-port': '2162' },
      env: { DRM_AGENT_TRAP_PORT: '3162', DRM_AGENT_MAX_CONCURRENCY: '4', DRM_AGENT_OUTBOX_MAX_MB: '' },
      cwd: '/srv',
    });
    expect(config).toEqual<AgentConfig>({
      dataDir: join(dir, 'from-file'), // relative to the file's folder
      logLevel: 'debug',
      trapPort: 2162,
      trapCommunities: [],
      maxConcurrency: 4,
      perDeviceConcurrency: 2,
      outboxMaxMb: 256, // an empty variable counts as unset
      trapHost: '0.0.0.0',
      targetBudgetSeconds: 3600,
      heartbeatSeconds: 30,
      reconnectMaxSeconds: 60,
      configFile: path,
    });
  });

  it('resolves relative paths from flags and variables against the working directory', () => {
    expect(loadConfig({ flags: { 'data-dir': 'data' }, env: {}, cwd: '/srv' }).dataDir).toBe('/srv/data');
    expect(loadConfig({ env: { DRM_AGENT_DATA_DIR: './x' }, cwd: '/srv' }).dataDir).toBe('/srv/x');
    expect(loadConfig({ env: { DRM_AGENT_LOG_LEVEL: 'WARN' } }).logLevel).toBe('warn');
  });

  it('lets the caller change a default, not an explicit value', () => {
    expect(loadConfig({ env: {}, defaults: { logLevel: 'warn' } }).logLevel).toBe('warn');
    expect(
      loadConfig({ env: { DRM_AGENT_LOG_LEVEL: 'debug' }, defaults: { logLevel: 'warn' } }).logLevel,
    ).toBe('debug');
  });

  it.each([
    [{ flags: { 'trap-port': 'abc' } }, "--trap-port: must be a whole number (got 'abc')"],
    [{ flags: { 'trap-port': '70000' } }, "--trap-port: must be at most 65535 (got '70000')"],
    [{ env: { DRM_AGENT_TRAP_PORT: '-1' } }, "DRM_AGENT_TRAP_PORT: must be a whole number (got '-1')"],
    [{ env: { DRM_AGENT_MAX_CONCURRENCY: '0' } }, "DRM_AGENT_MAX_CONCURRENCY: must be at least 1 (got '0')"],
    [
      { env: { DRM_AGENT_OUTBOX_MAX_MB: '1.5' } },
      "DRM_AGENT_OUTBOX_MAX_MB: must be a whole number (got '1.5')",
    ],
    [{ env: { DRM_AGENT_LOG_LEVEL: 'loud' } }, 'DRM_AGENT_LOG_LEVEL: must be one of fatal, error, warn'],
    [{ flags: { 'data-dir': '' } }, "--data-dir: must not be empty (got '')"],
    [
      { flags: { 'trap-host': 'localhost' } },
      "--trap-host: must be an IP address such as 0.0.0.0 or :: (got 'localhost')",
    ],
    [
      { env: { DRM_AGENT_HEARTBEAT_SECONDS: '0' } },
      "DRM_AGENT_HEARTBEAT_SECONDS: must be at least 1 (got '0')",
    ],
    [
      { flags: { 'reconnect-max-seconds': '1h' } },
      "--reconnect-max-seconds: must be a whole number (got '1h')",
    ],
    [
      { env: { DRM_AGENT_TARGET_BUDGET_SECONDS: '3601' } },
      "DRM_AGENT_TARGET_BUDGET_SECONDS: must be at most 3600 (got '3601')",
    ],
    [
      { env: { DRM_AGENT_PER_DEVICE_CONCURRENCY: '8', DRM_AGENT_MAX_CONCURRENCY: '4' } },
      'DRM_AGENT_PER_DEVICE_CONCURRENCY: 8 is above the total concurrency 4 (DRM_AGENT_MAX_CONCURRENCY)',
    ],
  ])('names the flag or variable of a bad value: %j', (sources, message) => {
    const found = problems({ env: {}, ...sources });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it('names the file and key of a bad value in the config file, and reports every problem', () => {
    const path = file('bad.json', { trapPort: '162', color: 'blue', perDeviceConcurrency: 100 });
    expect(problems({ flags: { config: path }, env: {} })).toEqual([
      `config file ${path}: unknown key 'color' (known: dataDir, logLevel, trapPort, trapCommunities, maxConcurrency, perDeviceConcurrency, outboxMaxMb, trapHost, targetBudgetSeconds, heartbeatSeconds, reconnectMaxSeconds)`,
      `config file ${path}: trapPort: must be a whole number (got "162")`,
      `config file ${path}: perDeviceConcurrency: must be at most 64 (got 100)`,
    ]);
  });

  it('reads trap communities as a list, and never shows them in an error', () => {
    expect(loadConfig({ flags: { 'trap-communities': 'alpha, beta,,' }, env: {} }).trapCommunities).toEqual([
      'alpha',
      'beta',
    ]);
    expect(loadConfig({ env: { DRM_AGENT_TRAP_COMMUNITIES: 'gamma' } }).trapCommunities).toEqual(['gamma']);
    const path = file('communities.json', { trapCommunities: ['delta', 'epsilon'] });
    expect(loadConfig({ flags: { config: path }, env: {} }).trapCommunities).toEqual(['delta', 'epsilon']);
    const secret = 's'.repeat(256);
    const found = problems({ env: { DRM_AGENT_TRAP_COMMUNITIES: `ok,${secret}` } });
    expect(found).toEqual([
      'DRM_AGENT_TRAP_COMMUNITIES: holds a community over 255 characters (value not shown)',
    ]);
    const bad = file('bad-communities.json', { trapCommunities: ['fine', 42] });
    expect(problems({ flags: { config: bad }, env: {} })).toEqual([
      `config file ${bad}: trapCommunities: must be a comma-separated list or an array of strings (value not shown)`,
    ]);
  });

  it('reads the run loop settings from flags, variables and the file', () => {
    const path = file('run.json', { trapHost: '::', heartbeatSeconds: 10 });
    expect(
      loadConfig({
        flags: { config: path, 'reconnect-max-seconds': '5' },
        env: { DRM_AGENT_TARGET_BUDGET_SECONDS: '120' },
      }),
    ).toMatchObject({
      trapHost: '::',
      heartbeatSeconds: 10,
      reconnectMaxSeconds: 5,
      targetBudgetSeconds: 120,
    });
  });

  it('explains an unreadable or malformed config file', () => {
    expect(problems({ flags: { config: join(dir, 'missing.json') }, env: {} })[0]).toMatch(
      /^--config: cannot read .*missing\.json: no such file$/,
    );
    expect(problems({ flags: { config: file('broken.json', '{"trapPort": ') }, env: {} })[0]).toMatch(
      /broken\.json: not valid JSON/,
    );
    expect(problems({ flags: { config: file('list.json', '[1]') }, env: {} })[0]).toMatch(
      /list\.json: must hold a JSON object/,
    );
  });
});
