import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Agent, AgentQuery, AgentUpdate, ErrorBody, pageOf } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { TenantIdParams } from '../../lib/schemas.js';
import { auditRequest } from '../audit/actor.js';
import { notifyConfigChanged } from '../devices/agent-config.js';
import { getSite } from '../sites/repo.js';
import { access, requireRole } from '../tenancy/scope.js';
import * as repo from './repo.js';
import { notifyAgentRevoked } from './revoked-hook.js';
import { startRotation } from './rotation.js';

const TAGS = ['agents'];

function toAgent(row: repo.AgentRow): Agent {
  return {
    id: row.id,
    tenantId: row.tenantId,
    siteId: row.siteId,
    name: row.name,
    version: row.version ?? '',
    state: row.state,
    lastSeenAt: iso(row.lastSeenAt),
    configRevision: row.configRevision,
    appliedConfigRevision: row.appliedConfigRevision,
    // No outbox figures until the agent has reported a status at least once.
    outbox: row.lastSeenAt
      ? {
          count: row.outboxCount,
          bytes: row.outboxBytes,
          ...(row.outboxOldestAt && { oldestAt: iso(row.outboxOldestAt)! }),
          dropped: row.outboxDropped,
        }
      : null,
    createdAt: iso(row.createdAt)!,
    revokedAt: iso(row.revokedAt),
    credentialRotationRequestedAt: iso(row.rotationRequestedAt),
    credentialsRotatedAt: iso(row.credentialsRotatedAt),
  };
}

/** Enrolled agents: everyone reads; admins rename, move, rotate the credentials of and revoke them. */
export const agentRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** Tells live views of a change made here, after its commit (presence changes tell their own). */
  const agentChanged = (tenantId: string, agentId: string) => {
    if (app.hasDecorator('live')) app.live.hub.agentChanged(tenantId, agentId);
  };

  r.get(
    '/agents',
    {
      schema: {
        tags: TAGS,
        summary: 'List agents, newest first',
        querystring: AgentQuery,
        response: { 200: pageOf(Agent) },
      },
    },
    async (req) => {
      const { limit, siteId, state } = req.query;
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(access(req), (q) =>
        repo.listAgents(q, { cursor, limit, siteId, state }),
      );
      return pageFrom(rows, limit, (ag) => ({ at: ag.cursorAt, id: ag.id }), toAgent);
    },
  );

  r.get(
    '/agents/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One agent with its presence and outbox',
        params: TenantIdParams,
        response: { 200: Agent, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => repo.getAgent(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Agent');
      return toAgent(row);
    },
  );

  r.patch(
    '/agents/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Rename an agent or move it to another site (admins)',
        params: TenantIdParams,
        body: AgentUpdate,
        response: { 200: Agent, 404: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'admin', 'managing agents is for admins');
      const { name, siteId } = req.body;
      const row = await app.db.withTenant(a, async (q) => {
        const before = await repo.getAgent(q, req.params.id);
        if (!before) throw new Errors.NOT_FOUND('Agent');
        if (siteId && !(await getSite(q, siteId))) throw new Errors.NOT_FOUND('Site');
        const after = (await repo.updateAgent(q, before.id, { name, siteId }))!;
        const details = {
          name,
          siteId,
          ...(siteId && siteId !== before.siteId && { fromSiteId: before.siteId }),
        };
        await auditRequest(q, req, {
          action: 'agent.update',
          targetType: 'agent',
          targetId: before.id,
          details,
        });
        return after;
      });
      agentChanged(row.tenantId, row.id);
      return toAgent(row);
    },
  );

  r.post(
    '/agents/:id/revoke',
    {
      schema: {
        tags: TAGS,
        summary: 'Revoke an agent: its MQTT credentials stop working, for good (admins)',
        params: TenantIdParams,
        response: { 200: Agent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'admin', 'revoking agents is for admins');
      const row = await app.db.withTenant(a, async (q) => {
        const revoked = await repo.revokeAgent(q, req.params.id);
        if (!revoked) {
          if (await repo.getAgent(q, req.params.id))
            throw new Errors.CONFLICT('This agent is already revoked');
          throw new Errors.NOT_FOUND('Agent');
        }
        await repo.insertAgentEvent(q, a.tenantId, {
          agentId: revoked.id,
          kind: 'agent.revoked',
          summary: `agent ${revoked.name} revoked`,
        });
        await auditRequest(q, req, {
          action: 'agent.revoke',
          targetType: 'agent',
          targetId: revoked.id,
          details: { name: revoked.name, siteId: revoked.siteId },
        });
        return revoked;
      });
      notifyAgentRevoked(app, row.tenantId, row.id);
      // The broker's disconnect tells live views only when the agent was connected.
      agentChanged(row.tenantId, row.id);
      return toAgent(row);
    },
  );

  r.post(
    '/agents/:id/rotate-credentials',
    {
      schema: {
        tags: TAGS,
        summary: 'Give an agent a new MQTT password (admins)',
        description:
          'The hub makes a new password and sends it to the agent with its next config (at once when ' +
          'it is connected, else when it connects). The old password keeps working until the agent ' +
          'confirms it stored the new one; then only the new one does. One rotation at a time: 409 while ' +
          'one waits for the agent. The password itself is never returned. 409 for a revoked agent, ' +
          'and when agents log in to an external broker whose logins are kept by hand (`MQTT_URL` with ' +
          '`MQTT_AGENT_AUTH=broker`): change the password there.',
        params: TenantIdParams,
        response: { 202: Agent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'admin', 'rotating agent credentials is for admins');
      // An external broker (no port of ours) whose logins the hub does not keep.
      const external = app.hasDecorator('mqtt') && app.mqtt.port === null;
      if (external && !(app.hasDecorator('brokerAccounts') && app.brokerAccounts)) {
        throw new Errors.CONFLICT(
          "Agents log in to an external broker whose logins are kept by hand: change this agent's password there",
        );
      }
      const row = await app.db.withTenant(a, async (q) => {
        const rotating = await startRotation(q, app.secrets, a, req.params.id);
        if (!rotating) {
          const agent = await repo.getAgent(q, req.params.id);
          if (!agent) throw new Errors.NOT_FOUND('Agent');
          if (agent.revokedAt) throw new Errors.CONFLICT('This agent is revoked');
          throw new Errors.CONFLICT(
            'A new password already waits for this agent: it takes it with its next config, when it is connected',
          );
        }
        await auditRequest(q, req, {
          action: 'agent.rotate-credentials',
          targetType: 'agent',
          targetId: rotating.id,
          details: { name: rotating.name, configRevision: rotating.configRevision },
        });
        return rotating;
      });
      notifyConfigChanged(app, row.tenantId, [row.id]);
      agentChanged(row.tenantId, row.id);
      reply.code(202);
      return toAgent(row);
    },
  );
};
