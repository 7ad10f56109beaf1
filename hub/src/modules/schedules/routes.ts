import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  ErrorBody,
  pageOf,
  ScheduleCreate,
  ScheduleDto,
  ScheduleQuery,
  ScheduleUpdate,
  type SnmpJobOptions,
} from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { Errors, withDetails } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { auditRequest } from '../audit/actor.js';
import { bumpConfigRevisions, notifyConfigChanged } from '../devices/agent-config.js';
import { access, requireRole } from '../tenancy/scope.js';
import * as repo from './repo.js';

const TAGS = ['schedules'];
const WRITERS = 'schedules are managed by operators and admins';

interface Issue {
  path: string;
  message: string;
}

function toSchedule(row: repo.ScheduleRow): ScheduleDto {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    kind: row.kind,
    params: row.params,
    deviceIds: row.deviceIds,
    intervalSeconds: row.intervalSeconds,
    jitterPct: row.jitterPct,
    enabled: row.enabled,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  } as ScheduleDto;
}

async function checkDevices(q: Queryable, deviceIds: readonly string[], issues: Issue[]): Promise<void> {
  const missing = await repo.missingDevices(q, deviceIds);
  if (missing.length === 0) return;
  const shown =
    missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
  issues.push({ path: '/deviceIds', message: `no device ${shown} in this tenant` });
}

/** A credential override in the params must be an SNMP credential of this tenant that fits the version. */
async function checkCredential(
  q: Queryable,
  params: SnmpJobOptions,
  path: string,
  issues: Issue[],
): Promise<void> {
  if (!params.credentialId) return;
  const kind = await repo.credentialKind(q, params.credentialId);
  const wanted =
    params.version === '3'
      ? ['snmp-v3']
      : params.version
        ? ['snmp-community']
        : ['snmp-community', 'snmp-v3'];
  if (!kind) issues.push({ path, message: `there is no credential ${params.credentialId} in this tenant` });
  else if (!wanted.includes(kind)) {
    const what = params.version ? `SNMP v${params.version}` : 'an SNMP schedule';
    issues.push({ path, message: `${what} needs a ${wanted.join(' or ')} credential, not ${kind}` });
  }
}

function throwIssues(issues: readonly Issue[]): void {
  const first = issues[0];
  if (first) throw withDetails(new Errors.VALIDATION(`Invalid body: ${first.path} ${first.message}`), issues);
}

/** Bumps the revisions of the agents whose desired state covers these devices; returns them. */
async function bumpAgentsOf(q: Queryable, deviceIds: readonly string[]): Promise<string[]> {
  const agents = await repo.affectedAgentIds(q, [...new Set(deviceIds)]);
  await bumpConfigRevisions(q, agents);
  return agents;
}

function changedFields(body: ScheduleUpdate): string[] {
  return Object.keys(body).filter((k) => body[k as keyof ScheduleUpdate] !== undefined);
}

/** Schedules: recurring polls that agents run as desired state. Operators write, everyone reads. */
export const scheduleRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/schedules',
    {
      schema: {
        tags: TAGS,
        summary: 'List schedules, optionally of one kind or polling one device',
        querystring: ScheduleQuery,
        response: { 200: pageOf(ScheduleDto), 400: ErrorBody },
      },
    },
    async (req) => {
      const { cursor, limit, kind, deviceId } = req.query;
      const rows = await app.db.withTenant(access(req), (q) =>
        repo.listSchedules(q, { cursor: decodeCursor(cursor), limit, kind, deviceId }),
      );
      return pageFrom(rows, limit, (s) => ({ at: s.cursorAt, id: s.id }), toSchedule);
    },
  );

  r.post(
    '/schedules',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a schedule (operators); every device must exist in the tenant',
        body: ScheduleCreate,
        response: { 201: ScheduleDto, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { schedule: row, agents } = await app.db.withTenant(a, async (q) => {
        const issues: Issue[] = [];
        await checkDevices(q, req.body.deviceIds, issues);
        await checkCredential(q, req.body.params, '/params/credentialId', issues);
        throwIssues(issues);
        const schedule = await repo.insertSchedule(q, a.tenantId, req.body);
        const agents = await bumpAgentsOf(q, schedule.deviceIds);
        await auditRequest(q, req, {
          action: 'schedule.create',
          targetType: 'schedule',
          targetId: schedule.id,
          details: { name: schedule.name, kind: schedule.kind, devices: schedule.deviceIds.length },
        });
        return { schedule, agents };
      });
      notifyConfigChanged(app, a.tenantId, agents);
      reply.code(201);
      return toSchedule(row);
    },
  );

  r.get(
    '/schedules/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One schedule',
        params: TenantIdParams,
        response: { 200: ScheduleDto, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => repo.getSchedule(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Schedule');
      return toSchedule(row);
    },
  );

  r.patch(
    '/schedules/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Change a schedule (operators); spec changes kind and params together',
        params: TenantIdParams,
        body: ScheduleUpdate,
        response: { 200: ScheduleDto, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { schedule: row, agents } = await app.db.withTenant(a, async (q) => {
        const before = await repo.getSchedule(q, req.params.id);
        if (!before) throw new Errors.NOT_FOUND('Schedule');
        const issues: Issue[] = [];
        if (req.body.deviceIds) await checkDevices(q, req.body.deviceIds, issues);
        if (req.body.spec)
          await checkCredential(q, req.body.spec.params, '/spec/params/credentialId', issues);
        throwIssues(issues);
        const schedule = (await repo.updateSchedule(q, req.params.id, req.body))!;
        const changed = changedFields(req.body);
        // Old and new devices: agents that lost the schedule must drop it.
        const agents =
          changed.length > 0 ? await bumpAgentsOf(q, [...before.deviceIds, ...schedule.deviceIds]) : [];
        if (changed.length > 0) {
          await auditRequest(q, req, {
            action: 'schedule.update',
            targetType: 'schedule',
            targetId: schedule.id,
            details: { name: schedule.name, changed },
          });
        }
        return { schedule, agents };
      });
      notifyConfigChanged(app, a.tenantId, agents);
      return toSchedule(row);
    },
  );

  r.delete(
    '/schedules/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a schedule (operators); samples it produced are kept',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      const agents = await app.db.withTenant(a, async (q) => {
        const schedule = await repo.deleteSchedule(q, req.params.id);
        if (!schedule) throw new Errors.NOT_FOUND('Schedule');
        const agents = await bumpAgentsOf(q, schedule.deviceIds);
        await auditRequest(q, req, {
          action: 'schedule.delete',
          targetType: 'schedule',
          targetId: schedule.id,
          details: { name: schedule.name, kind: schedule.kind },
        });
        return agents;
      });
      notifyConfigChanged(app, a.tenantId, agents);
      return reply.code(204).send(null);
    },
  );
};
