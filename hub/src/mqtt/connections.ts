import type { Client } from 'aedes';
import type { AgentIdentity } from './types.js';

/**
 * The embedded broker's authenticated clients, by agent. A client is added as soon as its
 * credentials pass (before CONNACK), so a revocation that lands while it connects still finds
 * it, and removed when its socket closes.
 */
export class AgentConnections {
  private readonly identities = new WeakMap<Client, AgentIdentity>();
  private readonly byAgent = new Map<string, Set<Client>>();

  add(client: Client, who: AgentIdentity): void {
    this.identities.set(client, who);
    const key = keyOf(who);
    let set = this.byAgent.get(key);
    if (!set) {
      set = new Set();
      this.byAgent.set(key, set);
    }
    set.add(client);
  }

  remove(client: Client): void {
    const who = this.identities.get(client);
    if (!who) return;
    const key = keyOf(who);
    const set = this.byAgent.get(key);
    set?.delete(client);
    if (set?.size === 0) this.byAgent.delete(key);
  }

  /** The agent a client authenticated as; kept after the client closed (its will needs it). */
  identityOf(client: Client | null | undefined): AgentIdentity | undefined {
    return client ? this.identities.get(client) : undefined;
  }

  clientsOf(tenantId: string, agentId: string): Client[] {
    return [...(this.byAgent.get(keyOf({ tenantId, agentId })) ?? [])];
  }

  /** Whether the agent has a connected client other than `except` (a newer session). */
  hasOtherConnected(who: AgentIdentity, except: Client): boolean {
    return this.clientsOf(who.tenantId, who.agentId).some((c) => c !== except && c.connected && !c.closed);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byAgent.values()) n += set.size;
    return n;
  }
}

function keyOf(who: AgentIdentity): string {
  return `${who.tenantId}/${who.agentId}`;
}
