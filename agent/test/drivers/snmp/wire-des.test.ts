import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * DES through the own message layer. Node's OpenSSL 3 offers DES only with its legacy
 * provider, which the agent gets from `--openssl-legacy-provider`; this suite's Node has not,
 * so the walks run in a child Node started with it, against a simulator in that child.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./des-walk-child.ts', import.meta.url));

interface ChildReport {
  desAvailable: boolean;
  expected: number;
  users: {
    name: string;
    stop: string;
    error: unknown;
    same: boolean;
    varbinds: number;
    stats: { pages: number; fallbacks: number; dropped: number; resyncs: number };
  }[];
}

describe('SNMPv3 with DES privacy', () => {
  it('walks with every DES user through the own layer, where Node has the legacy provider', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--openssl-legacy-provider', '--conditions=source', '--import', 'tsx', CHILD],
      { cwd: ROOT, timeout: 60_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
    expect(report.desAvailable).toBe(true);
    expect(report.expected).toBeGreaterThan(10);
    expect(report.users.length).toBeGreaterThanOrEqual(2);
    for (const user of report.users) {
      expect(user, user.name).toMatchObject({ stop: 'end', error: null, same: true });
      expect(user.stats.pages, user.name).toBeGreaterThan(0);
      expect(user.stats.fallbacks, user.name).toBe(0);
    }
  }, 90_000);
});
