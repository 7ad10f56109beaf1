import { describe, it } from 'vitest';
import { engines } from '../helpers/test-db.js';
import { engineContract } from './engine.contract.js';
import { migrationContract } from './migrations.contract.js';
import { rlsContract } from './rls.contract.js';

/**
 * One contract, every engine: what the hub relies on from its database must hold on the
 * embedded PGlite and on a real PostgreSQL alike. Set TEST_DATABASE_URL (an admin URL; a
 * scratch database is created per suite and dropped after) to run the PostgreSQL half.
 */
describe.each(engines())('database contract on %s', (engine) => {
  migrationContract(engine);
  rlsContract(engine);
  engineContract(engine);
});

if (!process.env.TEST_DATABASE_URL) {
  describe('database contract on postgres', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
  });
}
