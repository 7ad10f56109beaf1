import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody, LatestSamples, pageOf, SAMPLE_WINDOW, Sample, SampleRangeQuery } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { TenantIdParams } from '../../lib/schemas.js';
import { access } from '../tenancy/scope.js';
import * as repo from './repo.js';
import { sampleWindow } from './window.js';

const TAGS = ['samples'];

function toSample(row: repo.SampleRow): Sample {
  return {
    deviceId: row.deviceId,
    scheduleId: row.scheduleId,
    oid: row.oid,
    name: row.name,
    ts: iso(row.ts)!,
    valueNum: row.valueNum,
    valueText: row.valueText,
  };
}

/** Numeric OID order (1.3.6.1.2.1.1.2 before 1.3.6.1.2.1.1.10), which text order is not. */
function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** Time series written by agents' polls: one OID over time, and the latest value of each OID. */
export const sampleRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/samples',
    {
      schema: {
        tags: TAGS,
        summary: `Samples of one OID of one device in [from, to), oldest first (default: the last ${SAMPLE_WINDOW.defaultHours} h)`,
        querystring: SampleRangeQuery,
        response: { 200: pageOf(Sample), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const { deviceId, oid, limit } = req.query;
      const window = sampleWindow(req.query.from, req.query.to);
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(access(req), async (q) => {
        if (!(await repo.deviceExists(q, deviceId))) throw new Errors.NOT_FOUND('Device');
        return repo.listSamples(q, { deviceId, oid, ...window, cursor, limit });
      });
      return pageFrom(rows, limit, (s) => ({ at: s.cursorAt, id: s.id }), toSample);
    },
  );

  r.get(
    '/devices/:id/latest',
    {
      schema: {
        tags: TAGS,
        operationId: 'getDeviceLatestSamples',
        summary: 'The latest sample of each OID of a device',
        params: TenantIdParams,
        response: { 200: LatestSamples, 404: ErrorBody },
      },
    },
    async (req) => {
      const rows = await app.db.withTenant(access(req), async (q) => {
        if (!(await repo.deviceExists(q, req.params.id))) throw new Errors.NOT_FOUND('Device');
        return repo.latestSamples(q, req.params.id);
      });
      rows.sort((a, b) => compareOids(a.oid, b.oid));
      return { deviceId: req.params.id, items: rows.map(toSample) };
    },
  );
};
