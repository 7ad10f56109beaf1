import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody, Job, JobCreated, JobCreateRequest, JobQuery, pageOf } from '@drm/protocol';
import type { TenantContext } from '../../db/types.js';
import { Errors } from '../../errors.js';
import { decodeCursor, pageFrom } from '../../lib/paging.js';
import { TenantIdParams } from '../../lib/schemas.js';
import { currentUser } from '../../plugins/auth.js';
import { auditActor } from '../audit/actor.js';
import { listUserTenants } from '../auth/repo.js';
import { access, requireRole } from '../tenancy/scope.js';
import { toJob } from './dto.js';
import * as repo from './repo.js';
import { resultRoutes } from './results-routes.js';
import { createJobService, type JobActor, type JobDispatcher } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Sends jobs to agents; decorated by the MQTT layer before the feature routes load.
     * Without it jobs are stored and stay `queued`.
     */
    jobDispatcher?: JobDispatcher;
  }
}

const TAGS = ['jobs'];

/** Jobs: operators create and cancel them, everyone in the tenant reads them. */
export const jobRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createJobService({
    db: app.db,
    log: app.log.child({ module: 'jobs' }),
    dispatcher: app.jobDispatcher,
    live: app.hasDecorator('live') ? app.live.hub : undefined,
  });
  const loadJob = async (ctx: TenantContext, id: string): Promise<Job> => {
    const found = await app.db.withTenant(ctx, async (q) => {
      const job = await repo.getJob(q, id);
      return job && { job, targets: await repo.listTargets(q, job.id) };
    });
    if (!found) throw new Errors.NOT_FOUND('Job');
    return toJob(found.job, found.targets);
  };
  const operator = (req: FastifyRequest, why: string): JobActor => {
    const a = requireRole(req, 'operator', why);
    return { tenantId: a.tenantId, userId: a.userId, audit: auditActor(req) };
  };

  r.post(
    '/jobs',
    {
      schema: {
        tags: TAGS,
        summary: 'Queue a job on devices (operators)',
        description:
          'Every target must be a device of this tenant: unknown ids are named in a 400, whether or not ' +
          'they exist elsewhere. SNMP kinds need an SNMP profile on each device or `params.credentialId`; ' +
          'TR-181 kinds need a TR-181 profile. Targets not finished `expiresInSeconds` (default 3600) ' +
          'after creation expire.',
        body: JobCreateRequest,
        response: { 202: JobCreated, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const created = await service.create(operator(req, 'running jobs needs operator'), req.body);
      reply.code(202);
      return created;
    },
  );

  r.get(
    '/jobs',
    {
      schema: {
        tags: TAGS,
        summary: 'List jobs, newest first',
        description:
          '`deviceId` and `agentId` match jobs with at least one such target; `since` is inclusive.',
        querystring: JobQuery,
        response: { 200: pageOf(Job), 400: ErrorBody },
      },
    },
    async (req) => {
      const { limit, cursor, ...filters } = req.query;
      const rows = await app.db.withTenant(access(req), (q) =>
        repo.listJobs(q, { ...filters, cursor: decodeCursor(cursor), limit }),
      );
      return pageFrom(
        rows,
        limit,
        (j) => ({ at: j.cursorAt, id: j.id }),
        (j) => toJob(j),
      );
    },
  );

  r.get(
    '/jobs/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One job with its progress and the state of each target',
        params: TenantIdParams,
        response: { 200: Job, 404: ErrorBody },
      },
    },
    async (req) => {
      return loadJob(access(req), req.params.id);
    },
  );

  r.post(
    '/jobs/:id/cancel',
    {
      schema: {
        tags: TAGS,
        summary: 'Request cancellation of a job (operators)',
        description:
          'Targets not yet sent to an agent are cancelled at once; those on an agent stop when the agent ' +
          'is told. Answers with the job as it stands; 409 when the job has already finished.',
        params: TenantIdParams,
        response: { 202: Job, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const actor = operator(req, 'cancelling jobs needs operator');
      await service.cancel(actor, req.params.id);
      const job = await loadJob(actor, req.params.id);
      reply.code(202);
      return job;
    },
  );

  await app.register(resultRoutes);
};

/** Tenants whose jobs are listed at once by `GET /api/v1/jobs`; each is its own transaction. */
const TENANT_QUERIES_AT_ONCE = 4;

/** Newest first, as each tenant's list is sorted: by sort time, then id (lower-case uuid text). */
const newestFirst = (a: repo.ListedJob, b: repo.ListedJob): number =>
  a.cursorAt === b.cursorAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.cursorAt < b.cursorAt ? 1 : -1;

/**
 * `GET /api/v1/jobs`: the jobs of every tenant where the caller has a role, newest first, with
 * the filters and paging of a tenant's list. Each tenant is read in its own transaction with
 * that tenant set, under the same row-level security as everything else; the pages are merged
 * here. The cursor is the tenant list's (time, id), so one cursor goes on across tenants.
 */
export const allTenantJobRoutes: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/jobs',
    {
      schema: {
        tags: TAGS,
        summary: 'List the jobs of every tenant you have a role in, newest first',
        description:
          'The filters and paging of `GET /api/v1/tenants/{tenantId}/jobs`, over all your tenants at ' +
          'once; each job names its `tenantId`. `deviceId` and `agentId` match jobs with at least one ' +
          'such target; `since` is inclusive.',
        querystring: JobQuery,
        response: { 200: pageOf(Job), 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const user = currentUser(req);
      const { limit, cursor, ...filters } = req.query;
      const filter = { ...filters, cursor: decodeCursor(cursor), limit };
      const tenants = await app.db.asSystem((q) => listUserTenants(q, user.userId));
      const rows: repo.ListedJob[] = [];
      for (let i = 0; i < tenants.length; i += TENANT_QUERIES_AT_ONCE) {
        const pages = await Promise.all(
          tenants
            .slice(i, i + TENANT_QUERIES_AT_ONCE)
            .map((t) =>
              app.db.withTenant({ tenantId: t.id, userId: user.userId }, (q) => repo.listJobs(q, filter)),
            ),
        );
        for (const page of pages) rows.push(...page);
      }
      rows.sort(newestFirst);
      return pageFrom(
        rows.slice(0, limit + 1),
        limit,
        (j) => ({ at: j.cursorAt, id: j.id }),
        (j) => toJob(j),
      );
    },
  );
};
