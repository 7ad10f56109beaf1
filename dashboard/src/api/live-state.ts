import type { Agent, LiveAgentState, LiveJobState, LiveTarget } from '@drm/protocol';

/**
 * A job's live state after an update. `job.updated` carries the job's status and progress in
 * full but only the targets that changed, so targets are merged by device.
 */
export function mergeJobState(current: LiveJobState | null, update: LiveJobState): LiveJobState {
  if (!current || current.jobId !== update.jobId) return update;
  const targets = new Map<string, LiveTarget>(current.targets.map((t) => [t.deviceId, t]));
  for (const t of update.targets) targets.set(t.deviceId, { ...targets.get(t.deviceId), ...t });
  return { ...update, targets: [...targets.values()] };
}

/** The agents of a tenant after one agent's update; fields the update leaves out are kept. */
export function mergeAgentStates(
  current: readonly LiveAgentState[],
  update: LiveAgentState,
): LiveAgentState[] {
  const i = current.findIndex((a) => a.agentId === update.agentId);
  if (i < 0) return [...current, update];
  const next = [...current];
  next[i] = { ...current[i]!, ...definedOnly(update) };
  return next;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Agents as the REST list gave them, with the newer live presence and backlog laid over.
 * Agents the list does not know yet (enrolled since) are left for the caller to reload.
 */
export function withLiveAgents(agents: readonly Agent[], live: ReadonlyMap<string, LiveAgentState>): Agent[] {
  return agents.map((a) => {
    const l = live.get(a.id);
    if (!l) return a;
    return {
      ...a,
      state: l.state,
      lastSeenAt: l.lastSeenAt,
      ...(l.version !== undefined && { version: l.version }),
      ...(l.outbox !== undefined && { outbox: l.outbox }),
      ...(l.configRevision !== undefined && { configRevision: l.configRevision }),
      ...(l.appliedConfigRevision !== undefined && { appliedConfigRevision: l.appliedConfigRevision }),
      ...(l.credentialRotationRequestedAt !== undefined && {
        credentialRotationRequestedAt: l.credentialRotationRequestedAt,
      }),
      ...(l.credentialsRotatedAt !== undefined && { credentialsRotatedAt: l.credentialsRotatedAt }),
    };
  });
}
