import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  Credential,
  CredentialCreate,
  CredentialQuery,
  CredentialUpdate,
  ErrorBody,
  pageOf,
} from '@drm/protocol';
import { Errors, withDetails } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { NoContent, TenantIdParams } from '../../lib/schemas.js';
import { auditRequest } from '../audit/actor.js';
import { agentsUsingCredential, bumpConfigRevisions, notifyConfigChanged } from '../devices/agent-config.js';
import { access, requireRole } from '../tenancy/scope.js';
import { applyUpdate, changedFields, fromCreate } from './compose.js';
import * as repo from './repo.js';
import { CredentialUnreadableError, openSecret, type SecretFields, sealSecret } from './secret.js';

const TAGS = ['credentials'];
const WRITERS = 'credentials are managed by operators and admins';

function toCredential(row: repo.CredentialRow): Credential {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    ...(row.version !== null && { version: row.version as Credential['version'] }),
    ...(row.username !== null && { username: row.username }),
    ...(row.securityLevel !== null && { securityLevel: row.securityLevel }),
    ...(row.authProtocol !== null && { authProtocol: row.authProtocol }),
    ...(row.privProtocol !== null && { privProtocol: row.privProtocol }),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** The one unique constraint a client can hit here: names are unique per tenant, case-insensitively. */
async function uniqueName<T>(name: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: unknown }).code === '23505') {
      throw new Errors.CONFLICT(`A credential named "${name}" already exists in this tenant`);
    }
    throw err;
  }
}

function inUse(name: string, users: Awaited<ReturnType<typeof repo.credentialUsers>>): Error {
  const parts = [
    users.devices.length > 0 && `device(s) ${users.devices.map((d) => `"${d.name}"`).join(', ')}`,
    users.schedules.length > 0 && `schedule(s) ${users.schedules.map((s) => `"${s.name}"`).join(', ')}`,
  ].filter(Boolean);
  return withDetails(
    new Errors.CONFLICT(
      `Credential "${name}" is still used by ${parts.join(' and ')}; point them at another credential first`,
    ),
    { deviceIds: users.devices.map((d) => d.id), scheduleIds: users.schedules.map((s) => s.id) },
  );
}

/**
 * Device credentials (SNMP communities, SNMPv3 users, CWMP logins). Secrets are write-only:
 * sealed with the hub's key before they reach the database, never returned, logged or audited.
 */
export const credentialRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/credentials',
    {
      schema: {
        tags: TAGS,
        summary: 'List credentials (descriptors only, never secrets)',
        querystring: CredentialQuery,
        response: { 200: pageOf(Credential) },
      },
    },
    async (req) => {
      const cursor = decodeCursor(req.query.cursor);
      const rows = await app.db.withTenant(access(req), (q) =>
        repo.listCredentials(q, { cursor, limit: req.query.limit, kind: req.query.kind }),
      );
      return pageFrom(rows, req.query.limit, (c) => ({ at: c.cursorAt, id: c.id }), toCredential);
    },
  );

  r.post(
    '/credentials',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a credential (operators); its secrets are write-only',
        body: CredentialCreate,
        response: { 201: Credential, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { descriptors, secret } = fromCreate(req.body);
      // The id is made here because the ciphertext's associated data names it.
      const id = randomUUID();
      const sealed = sealSecret(app.secrets, a.tenantId, id, secret);
      const row = await uniqueName(descriptors.name, () =>
        app.db.withTenant(a, async (q) => {
          const created = await repo.insertCredential(q, a.tenantId, {
            ...descriptors,
            id,
            kind: req.body.kind,
            secret: sealed,
            keyId: app.secrets.keyId,
          });
          await auditRequest(q, req, {
            action: 'credential.create',
            targetType: 'credential',
            targetId: id,
            details: { name: created.name, kind: created.kind },
          });
          return created;
        }),
      );
      reply.code(201);
      return toCredential(row);
    },
  );

  r.get(
    '/credentials/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One credential (descriptors only)',
        params: TenantIdParams,
        response: { 200: Credential, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => repo.getCredential(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Credential');
      return toCredential(row);
    },
  );

  r.patch(
    '/credentials/:id',
    {
      schema: {
        tags: TAGS,
        summary:
          'Rename a credential or rotate its secrets (operators); a secret given replaces the stored one',
        params: TenantIdParams,
        body: CredentialUpdate,
        response: { 200: Credential, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const a = requireRole(req, 'operator', WRITERS);
      const { updated: row, agents } = await uniqueName(req.body.name, () =>
        app.db.withTenant(a, async (q) => {
          const current = await repo.lockCredential(q, req.params.id);
          if (!current) throw new Errors.NOT_FOUND('Credential');
          if (current.kind !== req.body.kind) {
            const message = `must stay ${current.kind}: a credential's kind cannot change`;
            throw withDetails(new Errors.VALIDATION(`Invalid body: /kind ${message}`), [
              { path: '/kind', message },
            ]);
          }
          let old: SecretFields | null = null;
          try {
            old = openSecret(
              app.secrets,
              a.tenantId,
              current.id,
              current.kind,
              current.secret,
              current.keyId,
            );
          } catch (err) {
            if (!(err instanceof CredentialUnreadableError)) throw err;
            req.log.warn(
              { credentialId: current.id, keyId: current.keyId },
              'stored credential secret does not open',
            );
          }
          const next = applyUpdate(current, old, req.body);
          // Re-sealed on every change: a fresh IV, and the hub's current key.
          const sealed = {
            secret: sealSecret(app.secrets, a.tenantId, current.id, next.secret),
            keyId: app.secrets.keyId,
          };
          const updated = await repo.updateCredential(q, current.id, next.descriptors, sealed);
          // Agents hold the devices' access material: a rotated secret must reach them.
          const agents = await agentsUsingCredential(q, current.id);
          await bumpConfigRevisions(q, agents);
          await auditRequest(q, req, {
            action: 'credential.update',
            targetType: 'credential',
            targetId: current.id,
            details: { name: next.descriptors.name, ...changedFields(req.body) },
          });
          return { updated: updated!, agents };
        }),
      );
      notifyConfigChanged(app, a.tenantId, agents);
      return toCredential(row);
    },
  );

  r.delete(
    '/credentials/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a credential that no device or schedule uses (operators)',
        params: TenantIdParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const a = requireRole(req, 'operator', WRITERS);
      await app.db.withTenant(a, async (q) => {
        const current = await repo.lockCredential(q, req.params.id);
        if (!current) throw new Errors.NOT_FOUND('Credential');
        const users = await repo.credentialUsers(q, current.id);
        if (users.devices.length > 0 || users.schedules.length > 0) throw inUse(current.name, users);
        await repo.deleteCredential(q, current.id);
        await auditRequest(q, req, {
          action: 'credential.delete',
          targetType: 'credential',
          targetId: current.id,
          details: { name: current.name, kind: current.kind },
        });
      });
      return reply.code(204).send(null);
    },
  );
};
