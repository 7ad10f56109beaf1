import { join } from 'node:path';
import type { Logger } from 'pino';
import { createPgDb } from './pg-db.js';
import { createPgliteDb } from './pglite-db.js';
import type { Db } from './types.js';

/** The folder under DATA_DIR that holds the embedded database. */
export const EMBEDDED_DB_DIR = 'pgdata';

export interface CreateDbConfig {
  /** DATABASE_URL: a real PostgreSQL. Unset or empty: the embedded engine in `dataDir`. */
  databaseUrl?: string | undefined;
  /** DATA_DIR; the embedded database lives in `${dataDir}/pgdata`. */
  dataDir: string;
  log: Logger;
  /** Pool size on PostgreSQL. */
  poolMax?: number | undefined;
}

/** Picks the engine from the configuration. Neither migrates: call `migrate` next. */
export async function createDb(config: CreateDbConfig): Promise<Db> {
  const log = config.log.child({ component: 'db' });
  if (config.databaseUrl) {
    log.info({ engine: 'postgres' }, 'using PostgreSQL');
    return createPgDb({ url: config.databaseUrl, log, max: config.poolMax });
  }
  const dataDir = join(config.dataDir, EMBEDDED_DB_DIR);
  log.info({ engine: 'pglite', dataDir }, 'using the embedded PostgreSQL');
  return createPgliteDb({ dataDir, log });
}
