import type { Logger } from 'pino';
import type { Db, Queryable, TenantContext } from '../../db/types.js';
import type { BrokerAccounts } from '../../mqtt/dynsec.js';
import { hashPassword } from '../../security/passwords.js';
import type { SecretBox } from '../../security/secret-box.js';
import { newToken } from '../../security/tokens.js';
import { agentUsername } from './broker-auth.js';
import * as repo from './repo.js';

/*
 * Rotation of an agent's MQTT password, in three steps:
 * 1. an admin asks (`startRotation`): a new password is made, stored hashed and sealed, and the
 *    agent's config revision moves on; the broker now accepts the old and the new password;
 * 2. the config of that revision carries the new password to the agent (`pendingPassword`, read
 *    by the config push, on every push until step 3), which stores it before it acknowledges;
 * 3. the acknowledgement ends it (`finishRotation`): the new hash replaces the old one. With
 *    the logins kept in an external broker, the broker takes the new password first; while it
 *    cannot, the rotation stays open and the next acknowledgement tries again.
 * The agent keeps its previous password too, and falls back to it when a login is refused.
 */

/** What a sealed agent password is bound to: it opens only as this agent's. */
const sealedFor = (tenantId: string, agentId: string) =>
  `agent-mqtt-password:${tenantId.toLowerCase()}:${agentId.toLowerCase()}`;

/** Step 1, in the caller's transaction: null when the agent is missing or revoked. */
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

/** Step 2: the new password waiting for the agent, for its config; null when none waits. */
export async function pendingPassword(
  q: Queryable,
  secrets: SecretBox,
  tenantId: string,
  agentId: string,
): Promise<string | null> {
  const pending = await repo.pendingSecret(q, agentId);
  return pending ? secrets.open(pending.sealed, sealedFor(tenantId, agentId)) : null;
}

export interface RotationDeps {
  db: Db;
  secrets: SecretBox;
  /** The external broker's logins (dynamic security), when the hub keeps them. */
  accounts: Pick<BrokerAccounts, 'setPassword'> | null;
  log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Step 3, when the agent acknowledged config revision `revision`: ends a rotation that this
 * revision delivered. Returns whether one ended.
 */
export async function finishRotation(
  deps: RotationDeps,
  tenantId: string,
  agentId: string,
  revision: number,
): Promise<boolean> {
  const { db, secrets, accounts, log } = deps;
  const pending = await db.withTenant(tenantId, (q) => repo.pendingSecret(q, agentId));
  if (!pending || pending.revision > revision) return false;
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
    if (!(await repo.completeRotation(q, agentId, revision))) return false;
    await repo.insertAgentEvent(q, tenantId, {
      agentId,
      kind: 'agent.credentials-rotated',
      summary: 'agent took its new MQTT password',
    });
    return true;
  });
  if (done) log.info({ tenantId, agentId, revision }, 'agent credentials rotated');
  return done;
}
