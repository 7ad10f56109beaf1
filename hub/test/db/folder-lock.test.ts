import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderLockedError, lockFolder } from '../../src/db/folder-lock.js';
import { createPgliteDb } from '../../src/db/pglite-db.js';

let dir: string;
let folder: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drm-lock-'));
  folder = join(dir, 'embedded-db');
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(done.stdout.toString());
}

/** Another process holding the lock, as a second hub would. */
async function holder(): Promise<ChildProcess> {
  const script = `
    const { writeFileSync } = require('node:fs');
    writeFileSync(${JSON.stringify(`${folder}.lock`)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), since: new Date().toISOString() }), { flag: 'wx' });
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

describe('the embedded database folder lock', () => {
  it('refuses a second holder in the same process until the first releases', async () => {
    const lock = await lockFolder(folder);
    await expect(lockFolder(folder)).rejects.toBeInstanceOf(FolderLockedError);
    expect(JSON.parse(await readFile(`${folder}.lock`, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
    await lock.release();
    await lock.release();
    const again = await lockFolder(folder);
    await again.release();
  });

  it('refuses while another live process holds it, naming that process, and takes it once it is killed', async () => {
    const child = await holder();
    const refused = await lockFolder(folder).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(FolderLockedError);
    expect((refused as Error).message).toContain(`in use by process ${child.pid}`);
    expect((refused as Error).message).toContain(`${folder}.lock`);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const lock = await lockFolder(folder);
    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock left by a process that is gone, or one that is not a lock at all', async () => {
    for (const content of [
      JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }),
      '',
      'not json',
    ]) {
      await writeFile(`${folder}.lock`, content);
      const lock = await lockFolder(folder);
      expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
      await lock.release();
    }
  });

  it('refuses a lock written on another host, whose process cannot be checked from here', async () => {
    await writeFile(
      `${folder}.lock`,
      JSON.stringify({ pid: deadPid(), host: `${hostname()}-other`, since: '2026-01-01T00:00:00.000Z' }),
    );
    await expect(lockFolder(folder)).rejects.toThrow(/in use by process \d+ on .*-other/);
  });

  it('keeps a second embedded database off an open one, and lets it in after close', async () => {
    const log = pino({ level: 'silent' });
    const first = await createPgliteDb({ dataDir: folder, log });
    await first.asOwner((q) => q.exec('CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)'));
    await expect(createPgliteDb({ dataDir: folder, log })).rejects.toBeInstanceOf(FolderLockedError);
    await first.close();

    const second = await createPgliteDb({ dataDir: folder, log });
    try {
      const { rows } = await second.asOwner((q) => q.query<{ x: number }>('SELECT x FROM kept'));
      expect(rows).toEqual([{ x: 7 }]);
    } finally {
      await second.close();
    }
    await expect(readFile(`${folder}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
