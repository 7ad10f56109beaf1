export { createDb } from './create-db.js';
export type { CreateDbConfig } from './create-db.js';
export {
  DbError,
  InvalidContextError,
  MigrationChecksumError,
  MigrationFailedError,
  MigrationLayoutError,
  NestedTransactionError,
} from './errors.js';
export { migrate, migrationStatus } from './migrate.js';
export type { MigrateOptions, MigrateResult, MigrationState, MigrationStatus } from './migrate.js';
export { defaultMigrationsDir, loadMigrations, MIGRATION_PHASES } from './migration-files.js';
export type { MigrationFile, MigrationPhase } from './migration-files.js';
export { createPgDb } from './pg-db.js';
export type { PgDbOptions } from './pg-db.js';
export { createPgliteDb } from './pglite-db.js';
export type { PgliteDb, PgliteDbOptions } from './pglite-db.js';
export type { Db, DbEngine, OwnerQueryable, Queryable, QueryResult, TenantContext } from './types.js';
