import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connackCode, until } from './mqtt.js';

/** A Mosquitto program by name, or null when it is not installed. */
export function findBinary(name: string): string | null {
  for (const candidate of [name, `/usr/sbin/${name}`, `/usr/bin/${name}`]) {
    try {
      execFileSync(candidate, ['--help'], { stdio: 'ignore' });
      return candidate;
    } catch (err) {
      // Mosquitto's programs exit non-zero after printing their help: only a missing file is "absent".
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return candidate;
    }
  }
  return null;
}

/** Mosquitto's dynamic-security plugin as Debian installs it, or null. */
export function findDynsecPlugin(): string | null {
  const file = 'mosquitto_dynamic_security.so';
  const dirs = ['/usr/lib', ...readdirSafe('/usr/lib').map((d) => join('/usr/lib', d))];
  for (const dir of dirs) if (existsSync(join(dir, file))) return join(dir, file);
  return null;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A loopback port that was free when asked (nothing listens there until someone binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Mosquitto {
  url: string;
  dir: string;
  /** Reloads the password and ACL files (SIGHUP). */
  reload(): void;
  stop(): Promise<void>;
  /** Starts it again on the same port with the same configuration. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Mosquitto of the test's own on a free loopback port, configured with `lines` (`dir` is
 * its folder, for files the lines name); `prepare` writes those files before it starts.
 */
export async function startMosquitto(
  bin: string,
  lines: (dir: string) => string[],
  prepare: (dir: string) => void = () => undefined,
): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'drm-mosquitto-'));
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  prepare(dir);
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'persistence false',
      'log_dest none',
      // Run as root, Mosquitto would switch to its own user, which cannot read this folder.
      `user ${userInfo().username}`,
      ...lines(dir),
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(bin, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const listening = await until(
      async () => (await connackCode(url, { username: 'x', password: 'y' }).catch(() => -1)) >= 0,
      5_000,
    );
    if (!listening) throw new Error(`mosquitto did not start on ${url}`);
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    dir,
    reload: () => proc?.kill('SIGHUP'),
    stop,
    restart: start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
