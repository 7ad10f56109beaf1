#!/usr/bin/env node
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import pino, { type Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createDb, EMBEDDED_DB_DIR } from './db/create-db.js';
import { migrate, migrationStatus } from './db/migrate.js';
import { MIGRATION_PHASES, type MigrationPhase } from './db/migration-files.js';
import { lockFolder } from './db/folder-lock.js';
import { createPgliteDb } from './db/pglite-db.js';
import type { Db } from './db/types.js';
import { KEY_FILE, loadSecretBox } from './security/hub-key.js';
import { seedDemo } from './seed/demo.js';

const USAGE = `Usage: drm-hub <command> [options]

Commands:
  migrate [up|schema|rls|indexes|seeds|status]
                          apply pending migrations (all phases by default, or one phase),
                          or list every migration file with its state
  seed-demo               create the demo tenants, admin, site, credential, device and job
                          (idempotent) and print the login
  backup --out FILE       write the embedded database to FILE (.tar.gz); stop the hub first
  restore --in FILE [--force]
                          load a backup into DATA_DIR; --force replaces an existing database
                          (the old one is moved aside, not deleted)

Options:
  -h, --help              show this help

Reads the hub's environment: DATABASE_URL, DATA_DIR, HUB_SECRET_KEY, DRM_DEMO_PASSWORD, LOG_LEVEL.
With DATABASE_URL, back up and restore with pg_dump and psql/pg_restore instead.
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
`;

// The embedded database's folder inside DATA_DIR, as create-db.ts places it.

/** Wrong arguments or configuration: exit code 2. */
class UsageError extends Error {}

const out = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`drm-hub: note: ${text}\n`);

interface Args {
  command: string | undefined;
  rest: string[];
  out?: string | undefined;
  in?: string | undefined;
  force: boolean;
  help: boolean;
}

const PARSE_CONFIG = {
  allowPositionals: true,
  strict: true,
  options: {
    help: { type: 'boolean', short: 'h' },
    out: { type: 'string' },
    in: { type: 'string' },
    force: { type: 'boolean' },
  },
} as const;

function parse(argv: string[]): Args {
  let parsed: ReturnType<typeof parseArgs<typeof PARSE_CONFIG>>;
  try {
    parsed = parseArgs({ ...PARSE_CONFIG, args: argv });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [command, ...rest] = parsed.positionals;
  const v = parsed.values;
  return { command, rest, out: v.out, in: v.in, force: v.force ?? false, help: v.help ?? false };
}

/** Refuses options that do not belong to the command, and extra positionals. */
function accept(args: Args, allowed: { positionals: number; options: ('out' | 'in' | 'force')[] }): void {
  if (args.rest.length > allowed.positionals) {
    throw new UsageError(`unexpected argument '${args.rest[allowed.positionals]}' for ${args.command}`);
  }
  for (const name of ['out', 'in', 'force'] as const) {
    if (args[name] && !allowed.options.includes(name)) {
      throw new UsageError(`--${name} does not apply to ${args.command}`);
    }
  }
}

function cliLogger(config: Config): Logger {
  // Progress logs go to stderr so stdout holds only the command's output; quiet unless asked.
  const level = process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn';
  return pino({ name: 'drm-hub', level }, pino.destination(2));
}

async function withDb<T>(config: Config, log: Logger, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function cmdMigrate(args: Args, config: Config, log: Logger): Promise<void> {
  accept(args, { positionals: 1, options: [] });
  const what = args.rest[0] ?? 'up';
  if (what !== 'up' && what !== 'status' && !(MIGRATION_PHASES as readonly string[]).includes(what)) {
    throw new UsageError(`unknown migrate target '${what}' (up, ${MIGRATION_PHASES.join(', ')}, status)`);
  }
  await withDb(config, log, async (db) => {
    if (what === 'status') {
      const rows = await migrationStatus(db);
      printTable(
        ['PHASE', 'FILE', 'STATE', 'APPLIED AT'],
        rows.map((r) => [r.phase, r.name, r.state, r.appliedAt ? r.appliedAt.toISOString() : '-']),
      );
      return;
    }
    const phases = what === 'up' ? MIGRATION_PHASES : [what as MigrationPhase];
    const { applied } = await migrate(db, { phases, log });
    if (applied.length === 0) out(`migrations up to date (${phases.join(', ')})`);
    for (const m of applied) out(`applied ${m.phase}/${m.name}`);
  });
}

async function cmdSeedDemo(args: Args, config: Config, log: Logger): Promise<void> {
  accept(args, { positionals: 0, options: [] });
  const secrets = await loadSecretBox({ secretKey: config.HUB_SECRET_KEY, dataDir: config.DATA_DIR, log });
  const seed = await withDb(config, log, async (db) => {
    await migrate(db, { log });
    return seedDemo(db, secrets, { password: config.DRM_DEMO_PASSWORD, dataDir: config.DATA_DIR, log });
  });
  out(seed.createdAdmin ? 'Demo data created:' : 'Demo data already present (anything missing was added):');
  printTable(
    ['WHAT', 'NAME', 'ID'],
    [
      ['tenant (msp)', 'Demo MSP', seed.mspTenantId],
      ['tenant (customer)', 'Demo Customer', seed.customerTenantId],
      ['user (admin of both)', `Demo Admin <${seed.email}>`, seed.adminId],
      ['site', 'Demo HQ', seed.siteId],
      ['credential', 'demo-public (SNMP v2c community, encrypted)', seed.credentialId],
      ['device', 'localhost-snmp 127.0.0.1:161 (SNMP v2c)', seed.deviceId],
      ['job', 'snmp.get sysDescr.0, succeeded, 1 result', seed.jobId],
    ],
  );
  out('');
  out(`Log in as ${seed.email}`);
  out(`Password  ${seed.password ?? '(unchanged: set by DRM_DEMO_PASSWORD or changed since)'}`);
}

async function cmdBackup(args: Args, config: Config, log: Logger): Promise<void> {
  accept(args, { positionals: 0, options: ['out'] });
  if (!args.out) throw new UsageError('backup needs --out FILE');
  refuseExternal(config, 'backup', 'pg_dump');
  const dbDir = join(config.DATA_DIR, EMBEDDED_DB_DIR);
  if (!(await hasEntries(dbDir))) throw new Error(`no embedded database in ${dbDir}`);
  const target = resolve(args.out);
  const partial = `${target}.partial`;
  // The dump is taken from a copy: opening the live folder would start a second PostgreSQL
  // on files a running hub may be writing.
  const copy = `${dbDir}.backup-${process.pid}`;
  try {
    await cp(dbDir, copy, { recursive: true });
    const db = await createPgliteDb({ dataDir: copy, log });
    let tar: Blob;
    try {
      tar = await db.dumpDataDir();
    } finally {
      await db.close();
    }
    await pipeline(Readable.fromWeb(tar.stream()), createGzip(), createWriteStream(partial));
    await rename(partial, target);
  } finally {
    await rm(copy, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
  const { size } = await stat(target);
  out(`backup written to ${target} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
  if (!config.HUB_SECRET_KEY) {
    note(
      `device credentials are encrypted with ${join(config.DATA_DIR, KEY_FILE)}: keep a copy of it with the backup`,
    );
  }
}

async function cmdRestore(args: Args, config: Config, log: Logger): Promise<void> {
  accept(args, { positionals: 0, options: ['in', 'force'] });
  if (!args.in) throw new UsageError('restore needs --in FILE');
  refuseExternal(config, 'restore', 'psql or pg_restore');
  const source = resolve(args.in);
  const dump = await readFile(source).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      err.code === 'ENOENT' ? `no such file: ${source}` : `cannot read ${source}: ${err.message}`,
    );
  });
  const dbDir = join(config.DATA_DIR, EMBEDDED_DB_DIR);
  const occupied = await hasEntries(dbDir);
  if (occupied && !args.force) {
    throw new Error(
      `${dbDir} already holds a database: restore into an empty DATA_DIR, or add --force to replace it`,
    );
  }
  // Load into a sibling folder first, so a bad file leaves the current database untouched.
  const staging = `${dbDir}.restoring-${process.pid}`;
  await mkdir(config.DATA_DIR, { recursive: true });
  // A hub running on the folder would go on writing the database this replaces.
  const lock = await lockFolder(dbDir);
  try {
    await rm(staging, { recursive: true, force: true });
    let summary: { migrations: number; users: number };
    try {
      const db = await createPgliteDb({ dataDir: staging, log, loadDataDir: new Blob([dump]) });
      try {
        summary = await db.asOwner(async (q) => {
          const { rows } = await q.query<{ migrations: number; users: number }>(
            `SELECT (SELECT count(*)::int FROM drm_migrations) AS migrations,
                    (SELECT count(*)::int FROM users) AS users`,
          );
          return rows[0]!;
        });
      } finally {
        await db.close();
      }
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(`${source} is not a usable backup of the embedded database (${oneLine(err)})`);
    }
    let movedAside: string | null = null;
    if (occupied) {
      movedAside = `${dbDir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(dbDir, movedAside);
    }
    await rename(staging, dbDir);
    out(
      `restored ${source} into ${dbDir} (${summary.migrations} migrations applied, ${summary.users} users)`,
    );
    if (movedAside)
      out(`the previous database was moved to ${movedAside}; delete it once the restore is verified`);
    if (!config.HUB_SECRET_KEY && !(await exists(join(config.DATA_DIR, KEY_FILE)))) {
      note(
        `put the backed-up hub's ${KEY_FILE} into ${config.DATA_DIR} (or set HUB_SECRET_KEY) before starting the hub, or its device credentials cannot be decrypted`,
      );
    }
  } finally {
    await lock.release();
  }
}

function refuseExternal(config: Config, verb: string, tools: string): void {
  if (config.DATABASE_URL) {
    throw new UsageError(`${verb} works on the embedded database only; with DATABASE_URL use ${tools}`);
  }
}

async function hasEntries(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') return true;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    out(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  }
}

function oneLine(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  let text = e instanceof Error ? e.message : String(err);
  if (e instanceof Error && e.cause instanceof Error && !text.includes(e.cause.message)) {
    text += `: ${e.cause.message}`;
  }
  return text.replace(/\s*\n\s*/g, '; ');
}

const COMMANDS: Record<string, (args: Args, config: Config, log: Logger) => Promise<void>> = {
  migrate: cmdMigrate,
  'seed-demo': cmdSeedDemo,
  backup: cmdBackup,
  restore: cmdRestore,
};

async function main(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args.help || args.command === 'help') {
      out(USAGE.trimEnd());
      return 0;
    }
    if (!args.command) throw new UsageError('a command is required (migrate, seed-demo, backup, restore)');
    const run = COMMANDS[args.command];
    if (!run) throw new UsageError(`unknown command '${args.command}'`);
    const config = loadConfig();
    await run(args, config, cliLogger(config));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`drm-hub: ${err.message} (see drm-hub --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`drm-hub: invalid configuration: ${err.problems.join('; ')}\n`);
      return 2;
    }
    process.stderr.write(`drm-hub: ${oneLine(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
