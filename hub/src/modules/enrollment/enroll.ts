import { randomUUID } from 'node:crypto';
import type { EnrollRequest } from '@drm/protocol';
import type { Db } from '../../db/types.js';
import { Errors } from '../../errors.js';
import type { BrokerAccounts } from '../../mqtt/dynsec.js';
import { hashPassword } from '../../security/passwords.js';
import { hashToken, newToken } from '../../security/tokens.js';
import { writeAudit } from '../audit/repo.js';
import { agentUsername } from '../agents/broker-auth.js';
import { insertAgent, insertAgentEvent } from '../agents/repo.js';
import * as repo from './repo.js';

export interface Enrolled {
  tenantId: string;
  siteId: string;
  agentId: string;
  tokenId: string;
  mqttUsername: string;
  /** Shown once to the agent; only its scrypt hash is stored. */
  mqttPassword: string;
}

/**
 * Enrolls an agent with a single-use token: claim the token, create the agent with fresh
 * MQTT credentials, link the token to it, and record an event and an audit entry, all in one
 * transaction. Throws ENROLLMENT_TOKEN_INVALID saying what is wrong with the token.
 *
 * With `accounts` (agent logins kept at an external broker), the login is created at the
 * broker before the transaction commits: if the broker does not confirm it, nothing is
 * committed and the token stays usable (UNAVAILABLE); if the commit fails after it, the
 * orphan login is removed by the accounts' reconciliation.
 */
export async function enrollAgent(
  db: Pick<Db, 'asSystem'>,
  req: EnrollRequest,
  accounts?: Pick<BrokerAccounts, 'provision'> | null,
): Promise<Enrolled> {
  const tokenHash = hashToken(req.token);
  const agentId = randomUUID();
  const mqttUsername = agentUsername(agentId);
  const mqttPassword = newToken('agent');
  // Hashed before the transaction so the token's row lock is not held through ~50 ms of scrypt.
  const secretHash = await hashPassword(mqttPassword);

  return db.asSystem(async (q) => {
    const claim = await repo.claimToken(q, tokenHash);
    if (!claim) throw new Errors.ENROLLMENT_TOKEN_INVALID(await repo.whyUnusable(q, tokenHash));
    const { tenantId, tokenId, siteId } = claim;
    await insertAgent(q, {
      tenantId,
      id: agentId,
      siteId,
      name: req.name,
      version: req.version,
      mqttUsername,
      secretHash,
    });
    await repo.linkToken(q, tenantId, tokenId, agentId);
    const details = { name: req.name, version: req.version, siteId, tokenId };
    await insertAgentEvent(q, tenantId, {
      agentId,
      kind: 'agent.enrolled',
      summary: `agent ${req.name} enrolled`,
      payload: details,
    });
    await writeAudit(q, tenantId, {
      actorUserId: null,
      actorKind: 'agent',
      action: 'agent.enroll',
      targetType: 'agent',
      targetId: agentId,
      details,
    });
    if (accounts) {
      await accounts
        .provision({ tenantId, agentId, username: mqttUsername, password: mqttPassword })
        .catch((err: unknown) => {
          // The reason (broker names, plugin replies) goes to the log, not to an unauthenticated caller.
          throw Object.assign(
            new Errors.UNAVAILABLE(
              "The MQTT broker did not take the agent's login; the token was not used, try again later",
            ),
            { cause: err },
          );
        });
    }
    return { tenantId, siteId, agentId, tokenId, mqttUsername, mqttPassword };
  });
}
