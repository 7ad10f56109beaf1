import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody, JobResult, PageQuery, pageOf, Uuid } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { TenantIdParams } from '../../lib/schemas.js';
import { access } from '../tenancy/scope.js';
import { toResult } from './dto.js';
import * as repo from './repo.js';
import {
  decodeResultCursor,
  encodeResultCursor,
  listResultHeads,
  loadResults,
  mergeResults,
} from './results-repo.js';

const ResultQuery = PageQuery.extend({ deviceId: Uuid.optional() });

/** The stored results of a job, for everyone in the tenant. */
export const resultRoutes: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/jobs/:id/results',
    {
      schema: {
        tags: ['jobs'],
        summary: "A job's results, by device then result id",
        description:
          'A result an agent split into parts (a long walk) is returned as one item, merged: varbinds ' +
          'and TR-181 values concatenated in part order, `id` of the first part, `receivedAt` of the last ' +
          'part to arrive. It appears once every part is stored; until then its target has not finished. ' +
          'A page may then hold fewer than `limit` items while `nextCursor` still leads on.',
        params: TenantIdParams,
        querystring: ResultQuery,
        response: { 200: pageOf(JobResult), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const { limit, deviceId } = req.query;
      const cursor = decodeResultCursor(req.query.cursor);
      const jobId = req.params.id;
      const page = await app.db.withTenant(access(req), async (q) => {
        if (!(await repo.getJob(q, jobId))) throw new Errors.NOT_FOUND('Job');
        const heads = await listResultHeads(q, { jobId, deviceId, cursor, limit });
        const kept = heads.slice(0, limit);
        const rows = await loadResults(
          q,
          jobId,
          kept.map((h) => h.id),
        );
        const last = kept.at(-1);
        return { items: mergeResults(rows), next: heads.length > limit && last ? last : null };
      });
      return {
        items: page.items.map(toResult),
        nextCursor: page.next ? encodeResultCursor(page.next) : null,
      };
    },
  );
};
