import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DB_DIR } from '../src/db/create-db.js';
import { lockFolder } from '../src/db/folder-lock.js';
import { createPgliteDb } from '../src/db/pglite-db.js';
import { verifyPassword } from '../src/security/passwords.js';
import { DEMO_EMAIL, DEMO_PASSWORD_FILE } from '../src/seed/demo.js';
import { testLog } from './helpers/test-db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HUB_ENV = [
  'PORT',
  'HOST',
  'MQTT_PORT',
  'MQTT_URL',
  'MQTT_AGENT_AUTH',
  'DATABASE_URL',
  'DATA_DIR',
  'HUB_SECRET_KEY',
  'LOG_LEVEL',
];
const SLOW = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as `npm run migrate` does, with only the given hub variables set. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const base = { ...process.env };
  for (const key of [...HUB_ENV, 'DRM_DEMO_PASSWORD']) delete base[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'hub/src/cli.ts', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: SLOW },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The STATE column of `migrate status`, one entry per migration file. */
function states(run: Run): string[] {
  const [header, ...rows] = run.stdout.trim().split('\n');
  expect(header).toMatch(/^PHASE\s+FILE\s+STATE\s+APPLIED AT$/);
  expect(rows.length).toBeGreaterThan(0);
  return rows.map((line) => line.split(/\s+/)[2]!);
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drm-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const key = randomBytes(32).toString('hex');

describe('drm-hub usage', () => {
  it(
    'prints help, and refuses bad usage and bad configuration with exit code 2',
    async () => {
      const help = await cli(['--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: drm-hub <command>');

      const cases: [string[], Record<string, string>, RegExp][] = [
        [[], {}, /a command is required/],
        [['frobnicate'], {}, /unknown command 'frobnicate'/],
        [['migrate', 'sideways'], {}, /unknown migrate target 'sideways'/],
        [['migrate', '--out', 'x'], {}, /--out does not apply to migrate/],
        [['migrate'], { PORT: 'eighty' }, /PORT="eighty"/],
        [['backup', '--out', 'x.tar.gz'], { DATABASE_URL: 'postgres://drm@127.0.0.1:1/none' }, /pg_dump/],
      ];
      const runs = await Promise.all(
        cases.map(([args, env]) => cli(args, { DATA_DIR: '/nonexistent-drm', ...env })),
      );
      runs.forEach((run, i) => {
        expect(run.code, cases[i]![0].join(' ')).toBe(2);
        expect(run.stderr).toMatch(cases[i]![2]);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
      });
    },
    SLOW,
  );
});

describe.skipIf(process.env.TEST_DATABASE_URL)('drm-hub on the embedded database', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let password: string;
  let backup: string;

  beforeAll(async () => {
    dataDir = await tempDir();
    env = { DATA_DIR: dataDir, HUB_SECRET_KEY: key };
  });

  it(
    'migrate status lists pending files, migrate applies them all',
    async () => {
      const before = await cli(['migrate', 'status'], env);
      expect(before.code).toBe(0);
      expect(new Set(states(before))).toEqual(new Set(['pending']));

      const up = await cli(['migrate'], env);
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/^applied schema\/001_\w+\.sql$/m);

      const after = await cli(['migrate', 'status'], env);
      expect(states(after)).toEqual(states(before).map(() => 'applied'));
    },
    SLOW,
  );

  it(
    'seed-demo prints what it made and the login kept in DATA_DIR',
    async () => {
      const run = await cli(['seed-demo'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('localhost-snmp');
      expect(run.stdout).toContain(`Log in as ${DEMO_EMAIL}`);
      password = /^Password\s+(\S+)$/m.exec(run.stdout)![1]!;
      expect((await readFile(join(dataDir, DEMO_PASSWORD_FILE), 'utf8')).trim()).toBe(password);
    },
    SLOW,
  );

  it(
    'backup writes a .tar.gz; restore loads it into a new DATA_DIR with the demo admin',
    async () => {
      backup = join(await tempDir(), 'hub-backup.tar.gz');
      const run = await cli(['backup', '--out', backup], env);
      expect(run.code, run.stderr).toBe(0);
      expect((await readFile(backup)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

      const restoredDir = await tempDir();
      const restored = await cli(['restore', '--in', backup], { DATA_DIR: restoredDir, HUB_SECRET_KEY: key });
      expect(restored.code, restored.stderr).toBe(0);

      const db = await createPgliteDb({ dataDir: join(restoredDir, 'pgdata'), log: testLog });
      try {
        const hash = await db.asSystem(async (q) => {
          const { rows } = await q.query<{ hash: string }>(
            'SELECT password_hash AS hash FROM users WHERE email = $1',
            [DEMO_EMAIL],
          );
          return rows[0]?.hash;
        });
        expect(await verifyPassword(password, hash)).toBe(true);
      } finally {
        await db.close();
      }

      const refused = await cli(['restore', '--in', backup], { DATA_DIR: restoredDir, HUB_SECRET_KEY: key });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already holds a database.*--force/);
      const forced = await cli(['restore', '--in', backup, '--force'], {
        DATA_DIR: restoredDir,
        HUB_SECRET_KEY: key,
      });
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/previous database was moved to \S+pgdata\.replaced-/);
    },
    SLOW,
  );

  it(
    'restore --force refuses while a hub holds the database, and leaves it as it was',
    async () => {
      const dbDir = join(dataDir, EMBEDDED_DB_DIR);
      const before = (await readdir(dbDir)).sort();
      // This process stands in for the running hub: it holds the folder's lock.
      const lock = await lockFolder(dbDir);
      try {
        const run = await cli(['restore', '--in', backup, '--force'], env);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(`is in use by process ${process.pid}`);
      } finally {
        await lock.release();
      }
      expect((await readdir(dbDir)).sort()).toEqual(before);
      expect(
        (await readdir(dataDir)).filter((f) => f.includes('.replaced-') || f.includes('.restoring-')),
      ).toEqual([]);
    },
    SLOW,
  );

  it(
    'restore refuses a file that is not a backup, leaving DATA_DIR empty',
    async () => {
      const dir = await tempDir();
      const junk = join(dir, 'junk.tar.gz');
      await writeFile(junk, 'not a tarball');
      const run = await cli(['restore', '--in', junk], { DATA_DIR: join(dir, 'data'), HUB_SECRET_KEY: key });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/is not a usable backup/);
      expect(await readdir(join(dir, 'data'))).toEqual([]);
    },
    SLOW,
  );
});

describe.runIf(process.env.TEST_DATABASE_URL)('drm-hub on PostgreSQL', () => {
  const name = `drm_cli_${randomBytes(6).toString('hex')}`;
  let env: Record<string, string>;

  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    env = { DATABASE_URL: url.toString(), DATA_DIR: await tempDir(), HUB_SECRET_KEY: key };
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it(
    'migrates phase by phase, reports status, seeds the demo, and sends backups to pg_dump',
    async () => {
      const before = await cli(['migrate', 'status'], env);
      expect(before.code, before.stderr).toBe(0);
      expect(new Set(states(before))).toEqual(new Set(['pending']));

      const schema = await cli(['migrate', 'schema'], env);
      expect(schema.code, schema.stderr).toBe(0);
      expect(schema.stdout).not.toMatch(/applied rls\//);
      expect(await cli(['migrate', 'up'], env)).toMatchObject({ code: 0 });
      expect(new Set(states(await cli(['migrate', 'status'], env)))).toEqual(new Set(['applied']));

      const seed = await cli(['seed-demo'], env);
      expect(seed.code, seed.stderr).toBe(0);
      expect(seed.stdout).toContain(`Log in as ${DEMO_EMAIL}`);

      const backup = await cli(['backup', '--out', 'x.tar.gz'], env);
      expect(backup.code).toBe(2);
      expect(backup.stderr).toMatch(/pg_dump/);
    },
    SLOW,
  );
});
