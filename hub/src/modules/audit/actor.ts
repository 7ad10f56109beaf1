import type { FastifyRequest } from 'fastify';
import { currentUser } from '../../plugins/auth.js';
import type { Queryable } from '../../db/types.js';
import { access } from '../tenancy/scope.js';
import { type AuditInput, writeAudit } from './repo.js';

/** Who did it, as the audit log records it: the user, and whether through an API token. */
export function auditActor(req: FastifyRequest): Pick<AuditInput, 'actorUserId' | 'actorKind'> {
  const user = currentUser(req);
  return { actorUserId: user.userId, actorKind: user.via === 'api' ? 'api-token' : 'user' };
}

/**
 * Records a write of a tenant-scoped request in that tenant's audit log, inside the caller's
 * transaction, with the request's user as the actor.
 */
export function auditRequest(
  q: Queryable,
  req: FastifyRequest,
  entry: Omit<AuditInput, 'actorUserId' | 'actorKind'>,
): Promise<void> {
  return writeAudit(q, access(req).tenantId, { ...auditActor(req), ...entry });
}
