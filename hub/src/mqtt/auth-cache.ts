import { createHash } from 'node:crypto';
import type { AgentIdentity } from './types.js';

/** What the credential check answers: an agent (perhaps revoked), or null for bad credentials. */
export interface VerifiedAgent extends AgentIdentity {
  revoked: boolean;
}

export type VerifyCredentials = (username: string, password: Buffer) => Promise<VerifiedAgent | null>;

export interface AuthCacheOptions {
  /** How long a successful check is reused; default 30 s. */
  ttlMs?: number;
  /** Bound on remembered credentials; the oldest go first. Default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  agent: VerifiedAgent;
  expiresAt: number;
}

/**
 * Remembers successful credential checks for a short while, so that a reconnect storm after a
 * network blip costs one scrypt hash per agent instead of one per attempt. Failures are never
 * remembered (concurrent attempts with the same credentials share one check, that is all), and
 * a revoked agent is forgotten at once.
 */
export class AuthCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<VerifiedAgent | null>>();
  // A check that read the database before a revocation was committed must not be kept.
  private epoch = 0;
  private readonly forgottenAt = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly verify: VerifyCredentials,
    opts: AuthCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** The agent behind these credentials, or null; rejects only when the check itself fails. */
  async check(username: string, password: Buffer): Promise<VerifiedAgent | null> {
    const key = cacheKey(username, password);
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.agent;
    if (hit) this.entries.delete(key);
    let inFlight = this.pending.get(key);
    if (!inFlight) {
      inFlight = this.verifyAndKeep(key, username, password).finally(() => this.pending.delete(key));
      this.pending.set(key, inFlight);
    }
    return inFlight;
  }

  /** Drops what is remembered of an agent (revocation). */
  forget(tenantId: string, agentId: string): void {
    this.epoch += 1;
    this.forgottenAt.set(agentKey({ tenantId, agentId }), this.epoch);
    for (const [key, entry] of this.entries) {
      if (entry.agent.tenantId === tenantId && entry.agent.agentId === agentId) this.entries.delete(key);
    }
    // Revocations are rare; the bound only stops a pathological caller growing the map.
    if (this.forgottenAt.size > 10_000) this.forgottenAt.clear();
  }

  clear(): void {
    this.entries.clear();
  }

  private async verifyAndKeep(key: string, username: string, password: Buffer) {
    for (let attempt = 0; ; attempt++) {
      const started = this.epoch;
      const agent = await this.verify(username, password);
      if (!agent || agent.revoked) return agent;
      const forgotten = this.forgottenAt.get(agentKey(agent)) ?? 0;
      // Revoked while the check ran: ask again, now that the revocation is committed.
      if (forgotten > started && attempt === 0) continue;
      if (forgotten > started) return null;
      this.remember(key, agent);
      return agent;
    }
  }

  private remember(key: string, agent: VerifiedAgent): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { agent, expiresAt: this.now() + this.ttlMs });
  }
}

function agentKey(a: AgentIdentity): string {
  return `${a.tenantId}/${a.agentId}`;
}

// The password is hashed so the map never holds it in clear; sha-256 suffices as a map key
// because only credentials that already passed scrypt are stored under it.
function cacheKey(username: string, password: Buffer): string {
  return `${username}\u0000${createHash('sha256').update(password).digest('hex')}`;
}
