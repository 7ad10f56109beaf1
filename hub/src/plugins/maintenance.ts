import fp from 'fastify-plugin';
import { type PartitionMaintenance, startPartitionMaintenance } from '../db/sample-partitions.js';

/**
 * Database housekeeping while the hub runs: the monthly partitions of `samples` are created
 * ahead at start-up and checked daily. The first run finishes before the hub reports ready,
 * and the app waits for a run in progress before it closes the database.
 */
export const maintenancePlugin = fp(
  async (app) => {
    let maintenance: PartitionMaintenance | undefined;
    app.addHook('onReady', async () => {
      maintenance = startPartitionMaintenance({
        db: app.db,
        log: app.log.child({ component: 'maintenance' }),
      });
      await maintenance.firstRun;
    });
    app.addHook('onClose', async () => {
      await maintenance?.stop();
    });
  },
  { name: 'drm-maintenance', dependencies: ['drm-db'] },
);
