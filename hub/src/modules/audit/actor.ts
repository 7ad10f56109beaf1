import type { FastifyRequest } from 'fastify';
import { currentUser } from '../../plugins/auth.js';
import type { AuditInput } from './repo.js';

/** Who did it, as the audit log records it: the user, and whether through an API token. */
export function auditActor(req: FastifyRequest): Pick<AuditInput, 'actorUserId' | 'actorKind'> {
  const user = currentUser(req);
  return { actorUserId: user.userId, actorKind: user.via === 'api' ? 'api-token' : 'user' };
}
