import type { Db } from '../../db/types.js';
import { verifyPassword } from '../../security/passwords.js';
import { findAgentByUsername } from './repo.js';

/** An agent's MQTT user name: issued at enrollment, and the name of its login at an external broker. */
export const agentUsername = (agentId: string) => `agent-${agentId.toLowerCase()}`;

export interface AgentIdentity {
  tenantId: string;
  agentId: string;
  /** A revoked agent's password still verifies: the broker refuses it with a precise reason. */
  revoked: boolean;
}

// MQTT 3.1.1 caps both fields at 65,535 bytes [MQTT-1.5.3]; anything near that is not ours.
const MAX_FIELD = 1024;

/**
 * Checks an agent's MQTT credentials (for the broker's authenticate hook). Runs in the system
 * context because no tenant is known before the user name is resolved. An unknown user name
 * costs the same scrypt time as a wrong password, so user names cannot be probed by timing.
 */
export async function verifyAgentPassword(
  db: Pick<Db, 'asSystem'>,
  username: string,
  password: string | Uint8Array,
): Promise<AgentIdentity | null> {
  const text = typeof password === 'string' ? password : Buffer.from(password).toString('utf8');
  const known =
    username.length > 0 && username.length <= MAX_FIELD && text.length <= MAX_FIELD
      ? await db.asSystem((q) => findAgentByUsername(q, username))
      : null;
  const given = text.slice(0, MAX_FIELD);
  // While a rotation waits, either password logs in: the agent switches when it has stored the new one.
  const ok =
    (await verifyPassword(given, known?.secretHash)) ||
    (known?.pendingSecretHash ? await verifyPassword(given, known.pendingSecretHash) : false);
  if (!known || !ok) return null;
  return { tenantId: known.tenantId, agentId: known.agentId, revoked: known.revoked };
}
