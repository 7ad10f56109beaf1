import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * The embedded database is PostgreSQL in this process, without a postmaster to refuse a second
 * server on its files: two hubs (or a hub and `restore`) opening the same folder would both
 * write it and corrupt it. A lock file beside the folder, `<folder>.lock`, holding the owner's
 * process id and host, keeps the second one out with a clear error.
 *
 * A lock left by a process that is gone (killed, machine restarted) is taken over. A lock of
 * this host's live process refuses; so does one written on another host, whose process cannot
 * be checked from here (a folder on a shared disk).
 */
export interface FolderLock {
  readonly path: string;
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

export class FolderLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly owner: Owner,
  ) {
    super(
      `the embedded database ${folder} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}); ` +
        `stop that hub first, or use another DATA_DIR. If no hub runs there, delete ${folder}.lock`,
    );
    this.name = 'FolderLockedError';
  }
}

/** Locks this process holds now: a second open of one folder in the same process is refused too. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<Owner | null> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return null;
    return { pid: owner.pid, host: owner.host, since: String(owner.since ?? 'unknown') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    // Half written (its writer died between create and write) or not ours: stale.
    return null;
  }
}

/** Takes the lock of `folder`, or throws `FolderLockedError` naming who holds it. */
export async function lockFolder(folder: string): Promise<FolderLock> {
  const path = `${folder}.lock`;
  const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const file = await open(path, 'wx', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await file.close();
      }
      held.add(path);
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          held.delete(path);
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: Owner | null;
    try {
      owner = await readOwner(path);
    } catch {
      continue; // removed meanwhile: try again
    }
    // Our own pid without a lock held here: an earlier run that had the same pid (a container's
    // first process, say).
    const ours = owner?.pid === me.pid && !held.has(path);
    const stale = owner === null || (owner.host === me.host && (ours || !alive(owner.pid)));
    if (!stale) throw new FolderLockedError(folder, owner as Owner);
    await rm(path, { force: true });
  }
  throw new Error(`could not take the lock ${path}: other processes keep taking it`);
}
