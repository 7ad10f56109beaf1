import { describe, expect, it } from 'vitest';
import { enrollCommands, shellQuote } from '../../src/lib/enroll-commands.js';

describe('shellQuote', () => {
  it.each([
    ['drm_enr_abc-DEF_123', 'drm_enr_abc-DEF_123'],
    ['https://hub.example.com:8443', 'https://hub.example.com:8443'],
    ['/var/lib/drm-agent', '/var/lib/drm-agent'],
    ['Branch office', `'Branch office'`],
    ["O'Brien", `'O'\\''Brien'`],
    ['$(rm -rf /)', `'$(rm -rf /)'`],
    ['', `''`],
  ])('%s → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});

describe('enrollCommands', () => {
  it('names the hub, the token and the data folder; run uses the same folder', () => {
    expect(
      enrollCommands({ hubUrl: 'http://hub.lan:8080', token: 'drm_enr_x', dataDir: '/srv/agent data' }),
    ).toEqual({
      enroll: `npx drm-agent enroll --hub http://hub.lan:8080 --token drm_enr_x --data-dir '/srv/agent data'`,
      run: `npx drm-agent run --data-dir '/srv/agent data'`,
    });
  });

  it('adds a name when given and falls back on the default folder', () => {
    const { enroll, run } = enrollCommands({ hubUrl: 'https://h', token: 't', dataDir: ' ', name: 'edge 1' });
    expect(enroll).toBe(
      `npx drm-agent enroll --hub https://h --token t --name 'edge 1' --data-dir /var/lib/drm-agent`,
    );
    expect(run).toBe('npx drm-agent run --data-dir /var/lib/drm-agent');
  });
});
