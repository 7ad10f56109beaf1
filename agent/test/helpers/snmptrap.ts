import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Debian's `snmptrap` and `snmpinform` (Net-SNMP's C tools) as real notification senders. They
 * run with `MIBS=""` (numeric OIDs only), a private persistent directory (their engine boots
 * and cached keys must not land in /var/lib/snmp) and no snmp.conf from the host.
 */

const run = promisify(execFile);

export const SNMPTRAP_INSTALL_HINT = 'install it with: apt-get install -y snmp';

export interface TrapTools {
  snmptrap: string;
  snmpinform: string;
  /** Runs one of the tools; rejects with its stderr when it exits non-zero. */
  run(tool: 'snmptrap' | 'snmpinform', args: string[]): Promise<{ stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export type TrapToolsProbe = { ok: true; path: string; informPath: string } | { ok: false; reason: string };

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function probeTrapTools(): TrapToolsProbe {
  const path = findExecutable('snmptrap');
  const informPath = findExecutable('snmpinform');
  if (!path || !informPath) {
    return { ok: false, reason: `snmptrap/snmpinform are not installed (${SNMPTRAP_INSTALL_HINT})` };
  }
  return { ok: true, path, informPath };
}

export async function trapTools(probe: Extract<TrapToolsProbe, { ok: true }>): Promise<TrapTools> {
  const dir = await mkdtemp(join(tmpdir(), 'drm-snmptrap-'));
  const env = {
    ...process.env,
    MIBS: '',
    SNMP_PERSISTENT_DIR: join(dir, 'persist'),
    SNMPCONFPATH: join(dir, 'conf'),
  };
  return {
    snmptrap: probe.path,
    snmpinform: probe.informPath,
    async run(tool, args) {
      const file = tool === 'snmptrap' ? probe.path : probe.informPath;
      try {
        const { stdout, stderr } = await run(file, args, { env, timeout: 20_000 });
        return { stdout, stderr };
      } catch (err) {
        const { stderr = '', code } = err as { stderr?: string; code?: unknown };
        throw new Error(`${tool} ${args.join(' ')} failed (${String(code)}): ${stderr.trim()}`);
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
