import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Device, DeviceCreate, DeviceQuery, DeviceUpdate, ErrorBody, pageOf } from '@drm/protocol';
import { Errors, withDetails } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { auditRequest } from '../audit/actor.js';
import { recomputeJobStatus } from '../jobs/state.js';
import { access, requireRole } from '../tenancy/scope.js';
import { agentSet, bumpConfigRevisions, notifyConfigChanged } from './agent-config.js';
import { checkDeviceReferences } from './references.js';
import * as repo from './repo.js';

const TAGS = ['devices'];
const WRITERS = 'devices are edited by operators and admins';
/** The fields that reach an agent's desired state (its devices' addresses and SNMP access). */
const CONFIG_FIELDS: readonly (keyof DeviceUpdate)[] = ['agentId', 'address', 'snmp'];

function toDevice(row: repo.DeviceRow): Device {
  return {
    id: row.id,
    tenantId: row.tenantId,
    siteId: row.siteId,
    agentId: row.agentId,
    name: row.name,
    address: row.address,
    description: row.description ?? '',
    tags: row.tags,
    snmp: row.snmp,
    tr181: row.tr181,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/**
 * Turns the constraint errors a device write can still meet after its checks (a concurrent
 * write got there first) into answers that say what to fix.
 */
async function clearErrors<T>(name: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: unknown; constraint?: unknown };
    if (e.code === '23505')
      throw new Errors.CONFLICT(`A device named "${name}" already exists in this tenant`);
    if (e.code === '23503') {
      const field = String(e.constraint ?? '').includes('agent') ? 'agentId' : 'siteId';
      const message = 'no longer exists in this tenant';
      throw withDetails(new Errors.VALIDATION(`Invalid body: /${field} ${message}`), [
        { path: `/${field}`, message },
      ]);
    }
    throw err;
  }
}

/** Devices: what agents reach over SNMP and TR-181. Operators write, everyone reads. */
export const deviceRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/devices',
    {
      schema: {
        tags: TAGS,
        summary: 'List devices; q searches name, address, description and tags',
        querystring: DeviceQuery,
        response: { 200: pageOf(Device), 400: ErrorBody },
      },
    },
    async (req) => {
      const { cursor, limit, ...filter } = req.query;
      const rows = await app.db.withTenant(access(req), (q) =>
        repo.listDevices(q, { ...filter, cursor: decodeCursor(cursor), limit }),
      );
      return pageFrom(rows, limit, (d) => ({ at: d.cursorAt, id: d.id }), toDevice);
    },
  );

  r.post(
    '/devices',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a device (operators)',
        body: DeviceCreate,
        response: { 201: Device, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      const row = await clearErrors(req.body.name, () =>
        app.db.withTenant(a, async (q) => {
          await checkDeviceReferences(q, req.body);
          const device = await repo.insertDevice(q, a.tenantId, req.body);
          await bumpConfigRevisions(q, agentSet(device.agentId));
          await auditRequest(q, req, {
            action: 'device.create',
            targetType: 'device',
            targetId: device.id,
            details: { name: device.name, address: device.address, siteId: device.siteId },
          });
          return device;
        }),
      );
      notifyConfigChanged(app, a.tenantId, agentSet(row.agentId));
      reply.code(201);
      return toDevice(row);
    },
  );

  r.get(
    '/devices/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One device',
        params: TenantIdParams,
        response: { 200: Device, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => repo.getDevice(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Device');
      return toDevice(row);
    },
  );

  r.patch(
    '/devices/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Change a device (operators); snmp and tr181 replace the whole profile',
        params: TenantIdParams,
        body: DeviceUpdate,
        response: { 200: Device, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { device: row, agents } = await clearErrors(req.body.name, () =>
        app.db.withTenant(a, async (q) => {
          const before = await repo.getDevice(q, req.params.id);
          if (!before) throw new Errors.NOT_FOUND('Device');
          await checkDeviceReferences(q, req.body);
          const device = await repo.updateDevice(q, req.params.id, req.body);
          if (!device) throw new Errors.NOT_FOUND('Device');
          const changed = Object.keys(req.body).filter(
            (k) => req.body[k as keyof DeviceUpdate] !== undefined,
          );
          // Both agents when the device moves: the old one drops it, the new one takes it.
          const reachesAgents = changed.some((k) => CONFIG_FIELDS.includes(k as keyof DeviceUpdate));
          const agents = reachesAgents ? agentSet(before.agentId, device.agentId) : [];
          await bumpConfigRevisions(q, agents);
          if (changed.length > 0) {
            await auditRequest(q, req, {
              action: 'device.update',
              targetType: 'device',
              targetId: device.id,
              details: { name: device.name, changed },
            });
          }
          return { device, agents };
        }),
      );
      notifyConfigChanged(app, a.tenantId, agents);
      return toDevice(row);
    },
  );

  r.delete(
    '/devices/:id',
    {
      schema: {
        tags: TAGS,
        summary:
          'Delete a device with its samples and job history; jobs it was a target of count without it (operators)',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { device: deleted, jobsChanged } = await app.db.withTenant(a, async (q) => {
        const jobIds = await repo.lockJobTargets(q, req.params.id);
        const device = await repo.deleteDevice(q, req.params.id);
        if (!device) throw new Errors.NOT_FOUND('Device');
        // Its targets went with it: each job it was in counts again, and one left without
        // targets is cancelled (otherwise a job waiting only on this device ran forever).
        const changed: string[] = [];
        for (const jobId of jobIds)
          if ((await recomputeJobStatus(q, a.tenantId, jobId))?.changed) changed.push(jobId);
        await bumpConfigRevisions(q, agentSet(device.agentId));
        await auditRequest(q, req, {
          action: 'device.delete',
          targetType: 'device',
          targetId: device.id,
          details: { name: device.name, address: device.address, jobs: jobIds.length },
        });
        return { device, jobsChanged: changed };
      });
      notifyConfigChanged(app, a.tenantId, agentSet(deleted.agentId));
      if (app.hasDecorator('live'))
        for (const jobId of jobsChanged) app.live.hub.jobChanged(a.tenantId, jobId);
      return reply.code(204).send(null);
    },
  );
};
