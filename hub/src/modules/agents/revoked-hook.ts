import type { FastifyInstance } from 'fastify';

/**
 * Called after an agent's revocation has been committed, so that whoever holds its broker
 * connection can drop it. Fire and forget: the revocation already stands, a failing hook is
 * only logged.
 */
export type AgentRevokedHook = (tenantId: string, agentId: string) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Optional: the broker plugin decorates the app with `agentRevoked` to disconnect revoked
     * agents. Until it does, revocation still stands: the broker's authenticate hook refuses
     * the agent at its next connection.
     */
    agentRevoked?: AgentRevokedHook;
  }
}

/** Runs the app's `agentRevoked` hook when one is decorated; never throws. */
export function notifyAgentRevoked(app: FastifyInstance, tenantId: string, agentId: string): void {
  // Looked up per call, not at registration: the broker plugin may be registered later.
  if (!app.hasDecorator('agentRevoked') || typeof app.agentRevoked !== 'function') return;
  try {
    app.agentRevoked(tenantId, agentId);
  } catch (err) {
    app.log.error({ err, tenantId, agentId }, 'agentRevoked hook failed');
  }
}
