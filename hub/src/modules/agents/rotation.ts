import type { Logger } from 'pino';
import type { Db, Queryable, TenantContext } from '../../db/types.js';
import type { BrokerAccounts } from '../../mqtt/dynsec.js';
import { hashPassword } from '../../security/passwords.js';
import type { SecretBox } from '../../security/secret-box.js';
import { newToken } from '../../security/tokens.js';
import { agentUsername } from './broker-auth.js';
import * as repo from './repo.js';

/*
 * Rotation of an agent's MQTT password, in three steps, one rotation at a time per agent:
 * 1. an admin asks (`startRotation`): a new password is made, stored hashed and sealed, with a
 *    rotation id, and the agent's config revision moves on; the broker now accepts the old and
 *    the new password;
 * 2. every config pushed from then on carries the new password and the rotation id to the agent
 *    (`pendingPassword`), which stores the password before it acknowledges, naming the id;
 * 3. that acknowledgement, and nothing less, ends it (`finishRotation`): the new hash replaces
 *    the old one. With the logins kept in an external broker, the broker takes the new password
 *    first; while it cannot, the rotation stays open and the next acknowledgement tries again.
 * The agent keeps its previous password too, and falls back to it when a login is refused. With
 * one rotation at a time the broker always accepts one of the agent's two passwords.
 */

/** What a sealed agent password is bound to: it opens only as this agent's. */
const sealedFor = (tenantId: string, agentId: string) =>
  `agent-mqtt-password:${tenantId.toLowerCase()}:${agentId.toLowerCase()}`;

/** Step 1, in the caller's transaction: null when the agent is missing, revoked or has one waiting. */
export async function startRotation(
  q: Queryable,
  secrets: SecretBox,
  ctx: TenantContext,
  agentId: string,
): Promise<repo.AgentRow | null> {
  const password = newToken('agent');
  const hash = await hashPassword(password);
  const sealed = secrets.seal(password, sealedFor(ctx.tenantId, agentId));
  return repo.requestRotation(q, agentId, { hash, sealed });
}

/** Step 2: the new password waiting for the agent and its rotation's id; null when none waits. */
export async function pendingPassword(
  q: Queryable,
  secrets: SecretBox,
  tenantId: string,
  agentId: string,
): Promise<{ rotationId: string; mqttPassword: string } | null> {
  const pending = await repo.pendingSecret(q, agentId);
  if (!pending) return null;
  return {
    rotationId: pending.rotationId,
    mqttPassword: secrets.open(pending.sealed, sealedFor(tenantId, agentId)),
  };
}

export interface RotationDeps {
  db: Db;
  secrets: SecretBox;
  /** The external broker's logins (dynamic security), when the hub keeps them. */
  accounts: Pick<BrokerAccounts, 'setPassword'> | null;
  log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Step 3, when the agent acknowledged holding the new password of rotation `rotationId`: ends
 * that rotation if it still waits. Returns whether it ended.
 */
export async function finishRotation(
  deps: RotationDeps,
  tenantId: string,
  agentId: string,
  rotationId: string,
): Promise<boolean> {
  const { db, secrets, accounts, log } = deps;
  const pending = await db.withTenant(tenantId, (q) => repo.pendingSecret(q, agentId));
  if (!pending || pending.rotationId !== rotationId.toLowerCase()) return false;
  if (accounts) {
    const password = secrets.open(pending.sealed, sealedFor(tenantId, agentId));
    try {
      await accounts.setPassword({ tenantId, agentId, username: agentUsername(agentId), password });
    } catch (err) {
      log.warn(
        { err, tenantId, agentId },
        'the broker did not take the new agent password; the rotation stays open',
      );
      return false;
    }
  }
  const done = await db.withTenant(tenantId, async (q) => {
    if (!(await repo.completeRotation(q, agentId, pending.rotationId))) return false;
    await repo.insertAgentEvent(q, tenantId, {
      agentId,
      kind: 'agent.credentials-rotated',
      summary: 'agent took its new MQTT password',
    });
    return true;
  });
  if (done) log.info({ tenantId, agentId, rotationId }, 'agent credentials rotated');
  return done;
}
