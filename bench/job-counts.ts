/**
 * A job's bookkeeping per batch of results, for one big job: after a batch ends 500 of its
 * targets, the hub either recounts every target of the job (`recomputeJobStatus`, the
 * reference) or, when targets only ended and others stay open, moves the job on by their
 * number (`advanceJobStatus`). Both on the same job, batch after batch, taking turns; the
 * figure is the median time of the bookkeeping statement(s) per batch, in the transaction that
 * ended the targets, as the hub's role with the tenant set.
 *
 * A scratch database is made from DATABASE_URL / TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), migrated, and dropped at the end.
 *
 *   node --conditions=source --import tsx bench/job-counts.ts [targets]   # default 50000
 */
import { randomUUID } from 'node:crypto';
import { insertJob } from '../hub/src/modules/jobs/repo.js';
import { advanceJobStatus, recomputeJobStatus } from '../hub/src/modules/jobs/state.js';
import { createTestHub } from '../hub/test/helpers/hub.js';

const TARGETS = Number(process.argv[2] ?? 50_000);
const BATCH = 500;
/** Batches measured per side; the job must keep open targets for all of them. */
const ROUNDS = Math.min(40, Math.floor(TARGETS / BATCH / 2) - 1);

process.env.TEST_DATABASE_URL ??= process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const hub = await createTestHub();
try {
  const tenantId = await hub.tenant(`counts-${randomUUID().slice(0, 8)}`);
  const siteId = randomUUID();
  const agentId = randomUUID();
  const devices = await hub.db.withTenant(tenantId, async (q) => {
    await q.query('INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, $3)', [tenantId, siteId, 'HQ']);
    await q.query(
      `INSERT INTO agents (tenant_id, id, site_id, name, mqtt_username, secret_hash)
       VALUES ($1, $2, $3, 'edge', $4, 'x')`,
      [tenantId, agentId, siteId, `agent-${agentId}`],
    );
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, snmp)
       SELECT $1, gen_random_uuid(), $2, $3, 'dev-' || n, '10.0.' || (n / 250) || '.' || (n % 250 + 1),
              jsonb_build_object('version', '2c', 'port', 161, 'credentialId', $4::uuid)
         FROM generate_series(0, $5 - 1) AS n
       RETURNING id`,
      [tenantId, siteId, agentId, randomUUID(), TARGETS],
    );
    return rows.map((r) => r.id).sort();
  });
  const job = await hub.db.withTenant(tenantId, (q) =>
    insertJob(q, tenantId, {
      kind: 'snmp.get' as never,
      params: { oids: ['1.3.6.1.2.1.1.1.0'] },
      deviceIds: devices,
      createdBy: null,
      expiresInSeconds: 3600,
    }),
  );
  await hub.db.asOwner((q) => q.query('ANALYZE job_targets, jobs'));
  const times = { recount: [] as number[], advance: [] as number[] };
  for (let i = 0; i < ROUNDS * 2; i++) {
    const side = i % 2 === 0 ? 'recount' : 'advance';
    const batch = devices.slice(i * BATCH, (i + 1) * BATCH);
    await hub.db.withTenant(tenantId, async (q) => {
      await q.query(
        `UPDATE job_targets SET status = 'succeeded', started_at = now(), finished_at = now()
          WHERE tenant_id = $1 AND job_id = $2 AND device_id = ANY($3::uuid[])`,
        [tenantId, job.id, batch],
      );
      const start = performance.now();
      if (side === 'recount') await recomputeJobStatus(q, tenantId, job.id);
      else if (!(await advanceJobStatus(q, tenantId, job.id, batch.length)))
        throw new Error('job would finish');
      times[side].push(performance.now() - start);
    });
  }
  const check = await hub.db.withTenant(tenantId, (q) => recomputeJobStatus(q, tenantId, job.id));
  if (check?.changed) throw new Error('the advanced counts differ from a recount');
  const recount = median(times.recount);
  const advance = median(times.advance);
  console.log(
    `job of ${TARGETS} targets, ${BATCH} ended per batch, median of ${ROUNDS} batches each: ` +
      `recount ${recount.toFixed(2)} ms | advance ${advance.toFixed(2)} ms | ratio ${(recount / advance).toFixed(1)}×`,
  );
} finally {
  await hub.close();
}
