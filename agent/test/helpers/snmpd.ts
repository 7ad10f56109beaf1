import { type ChildProcess, execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import snmp from 'net-snmp';
import type { SnmpAuthProtocol, SnmpPrivProtocol } from '@drm/protocol';

/**
 * Debian's snmpd (Net-SNMP) as a real peer: a private config on a free loopback port, run in
 * the foreground so stopping it is a signal to our own child, with `MIBS=""` (Debian ships few
 * MIB files) and a private persistent directory (createUser keys must not leak into
 * /var/lib/snmp, nor stale ones come back from it).
 */

const run = promisify(execFile);

export const SNMPD_INSTALL_HINT = 'install it with: apt-get install -y snmpd snmp';

export interface SnmpdUser {
  name: string;
  /** Net-SNMP's spelling, for createUser and the C tools' -a/-x. */
  netSnmpAuth: string;
  netSnmpPriv: string;
  authProtocol: SnmpAuthProtocol;
  privProtocol: SnmpPrivProtocol;
  authKey: string;
  privKey: string;
}

export const SNMPD_SHA_USER: SnmpdUser = {
  name: 'drmsha',
  netSnmpAuth: 'SHA',
  netSnmpPriv: 'AES',
  authProtocol: 'sha',
  privProtocol: 'aes',
  authKey: 'sha-auth-pass',
  privKey: 'aes-priv-pass',
};

/** Net-SNMP's AES-256 is the Blumenthal key extension, `aes256b` here. */
export const SNMPD_SHA256_USER: SnmpdUser = {
  name: 'drmsha256',
  netSnmpAuth: 'SHA-256',
  netSnmpPriv: 'AES-256',
  authProtocol: 'sha256',
  privProtocol: 'aes256b',
  authKey: 'sha256-auth-pass',
  privKey: 'aes256-priv-pass',
};

export interface SnmpTools {
  snmpd: string;
  snmpget: string;
  snmpbulkwalk: string;
  /** SHA-256 in snmpd's createUser and AES-256 in the tools' library. */
  sha256Aes256: boolean;
}

export type SnmpToolsProbe = { ok: true; tools: SnmpTools } | { ok: false; reason: string };

export interface SnmpdInstance {
  host: '127.0.0.1';
  port: number;
  users: SnmpdUser[];
  /** Environment for the C tools: no MIBs, and the instance's persistent directory. */
  env: NodeJS.ProcessEnv;
  tools: SnmpTools;
  /**
   * Stops snmpd and starts it again on the same port and persistent directory: the engine ID
   * stays and snmpEngineBoots counts one up, as after a device reboots.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
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

async function helpText(file: string, flag: string, persistentDir: string): Promise<string> {
  // Even `-h` creates the persistent directory: keep it out of /var/lib/snmp.
  const env = { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: persistentDir };
  try {
    const { stdout, stderr } = await run(file, [flag], { env });
    return stdout + stderr;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    return stdout + stderr;
  }
}

/** Finds snmpd and the C tools; the reason names what is missing. */
export async function probeSnmpTools(): Promise<SnmpToolsProbe> {
  const snmpd = findExecutable('snmpd');
  const snmpget = findExecutable('snmpget');
  const snmpbulkwalk = findExecutable('snmpbulkwalk');
  if (!snmpd) return { ok: false, reason: `snmpd is not installed (${SNMPD_INSTALL_HINT})` };
  if (!snmpget || !snmpbulkwalk)
    return { ok: false, reason: `snmpget/snmpbulkwalk missing (${SNMPD_INSTALL_HINT})` };
  const dir = await mkdtemp(join(tmpdir(), 'drm-snmp-probe-'));
  try {
    const sha256Aes256 =
      (await helpText(snmpd, '-H', dir)).includes('SHA-256') &&
      (await helpText(snmpget, '-h', dir)).includes('AES-256');
    return { ok: true, tools: { snmpd, snmpget, snmpbulkwalk, sha256Aes256 } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A UDP port that was free a moment ago; snmpd cannot be handed a socket, so it binds itself. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function config(port: number, users: SnmpdUser[]): string {
  const lines = [
    `agentAddress udp:127.0.0.1:${port}`,
    'rocommunity public 127.0.0.1',
    'rwcommunity private 127.0.0.1',
    'dontLogTCPWrappersConnects yes',
  ];
  for (const u of users) {
    lines.push(`createUser ${u.name} ${u.netSnmpAuth} "${u.authKey}" ${u.netSnmpPriv} "${u.privKey}"`);
    lines.push(`rwuser ${u.name} priv`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A net-snmp v2c session, community `public`, to a loopback port: one try of 200 ms, socket
 * errors ignored (the caller reads failures from its request's callback). Close it when done.
 */
export function quickV2cSession(port: number): snmp.Session {
  const session = snmp.createSession('127.0.0.1', 'public', {
    port,
    version: snmp.Version2c,
    timeout: 200,
    retries: 0,
  });
  session.on('error', () => {});
  return session;
}

/** True once snmpd answers a v2c Get of sysUpTime.0. */
function answers(port: number): Promise<boolean> {
  const session = quickV2cSession(port);
  return new Promise((resolve) => {
    session.get(['1.3.6.1.2.1.1.3.0'], (error) => {
      session.close();
      resolve(!error);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function startOnce(tools: SnmpTools, dir: string, users: SnmpdUser[]): Promise<SnmpdInstance | string> {
  const port = await freeUdpPort();
  const conf = join(dir, 'snmpd.conf');
  const log = join(dir, 'snmpd.log');
  await writeFile(conf, config(port, users));
  const env = { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: join(dir, 'persist') };
  const args = ['-f', '-C', '-c', conf, '-Lf', log, '-p', join(dir, 'snmpd.pid'), '-r'];
  const launch = async (): Promise<ChildProcess | undefined> => {
    const child = spawn(tools.snmpd, args, { env, stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await answers(port)) return child;
    }
    await stopChild(child);
    return undefined;
  };
  let child = await launch();
  if (child) {
    const restart = async () => {
      if (child) await stopChild(child);
      child = await launch();
      if (!child) throw new Error(`snmpd did not come back on udp:127.0.0.1:${port}`);
    };
    const stop = async () => {
      if (child) await stopChild(child);
    };
    return { host: '127.0.0.1', port, users, env, tools, restart, stop };
  }
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // no log written
  }
  return `snmpd did not answer on udp:127.0.0.1:${port}: ${text.trim().split('\n').slice(-3).join(' / ')}`;
}

/** Starts snmpd with the v2c communities `public`/`private` and the given v3 users. */
export async function startSnmpd(tools: SnmpTools, users?: SnmpdUser[]): Promise<SnmpdInstance> {
  const chosen = users ?? (tools.sha256Aes256 ? [SNMPD_SHA_USER, SNMPD_SHA256_USER] : [SNMPD_SHA_USER]);
  const dir = await mkdtemp(join(tmpdir(), 'drm-snmpd-'));
  let failure = '';
  // A port can be taken between the probe and snmpd's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await startOnce(tools, dir, chosen);
    if (typeof started !== 'string') {
      return {
        ...started,
        stop: async () => {
          await started.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    failure = started;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(failure);
}

/** Runs one of the C tools against the instance and returns its stdout. */
export async function runSnmpTool(
  instance: SnmpdInstance,
  tool: 'snmpget' | 'snmpbulkwalk',
  args: string[],
): Promise<string> {
  const file = instance.tools[tool];
  const { stdout } = await run(file, args, { env: instance.env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
