import type { Agent, LiveAgentState, LiveJobState } from '@drm/protocol';
import { describe, expect, it } from 'vitest';
import { mergeAgentStates, mergeJobState, withLiveAgents } from '../../src/api/live-state.js';

const T = '11111111-1111-4111-8111-111111111111';
const J = '22222222-2222-4222-8222-222222222222';
const D1 = '33333333-3333-4333-8333-333333333331';
const D2 = '33333333-3333-4333-8333-333333333332';

const snapshot: LiveJobState = {
  tenantId: T,
  jobId: J,
  status: 'running',
  progress: { done: 0, total: 2 },
  targets: [
    { deviceId: D1, status: 'running', varbinds: 10 },
    { deviceId: D2, status: 'dispatched' },
  ],
  finishedAt: null,
};

describe('mergeJobState', () => {
  it('takes status and progress from the update and merges changed targets by device', () => {
    const next = mergeJobState(snapshot, {
      ...snapshot,
      status: 'running',
      progress: { done: 1, total: 2 },
      targets: [{ deviceId: D1, status: 'succeeded' }],
    });
    expect(next.progress).toEqual({ done: 1, total: 2 });
    expect(next.targets).toEqual([
      { deviceId: D1, status: 'succeeded', varbinds: 10 },
      { deviceId: D2, status: 'dispatched' },
    ]);
  });

  it('an update of another job replaces the state', () => {
    const other = { ...snapshot, jobId: T };
    expect(mergeJobState(snapshot, other)).toBe(other);
    expect(mergeJobState(null, snapshot)).toBe(snapshot);
  });
});

describe('mergeAgentStates', () => {
  const a: LiveAgentState = {
    tenantId: T,
    agentId: D1,
    state: 'online',
    lastSeenAt: '2025-01-01T00:00:00.000Z',
    version: '1.0.0',
    outbox: { count: 5, bytes: 100, dropped: 0 },
  };

  it('updates the agent in place and keeps what the update leaves out', () => {
    const next = mergeAgentStates([a], {
      tenantId: T,
      agentId: D1,
      state: 'offline',
      lastSeenAt: '2025-01-01T00:01:00.000Z',
    });
    expect(next).toEqual([{ ...a, state: 'offline', lastSeenAt: '2025-01-01T00:01:00.000Z' }]);
  });

  it('adds an agent it has not seen', () => {
    const b = { ...a, agentId: D2 };
    expect(mergeAgentStates([a], b)).toEqual([a, b]);
  });
});

describe('withLiveAgents', () => {
  const rest: Agent = {
    id: D1,
    tenantId: T,
    siteId: D2,
    name: 'edge-1',
    version: '0.9.0',
    state: 'never',
    lastSeenAt: null,
    configRevision: -1,
    appliedConfigRevision: 0,
    outbox: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    revokedAt: null,
    credentialRotationRequestedAt: null,
    credentialsRotatedAt: null,
  };

  it('lays live presence, version, config revisions and backlog over the listed agent', () => {
    const live = new Map<string, LiveAgentState>([
      [
        D1,
        {
          tenantId: T,
          agentId: D1,
          state: 'online',
          lastSeenAt: '2025-01-02T00:00:00.000Z',
          version: '1.0.0',
          outbox: { count: 3, bytes: 30, dropped: 1 },
          configRevision: 4,
          appliedConfigRevision: 3,
        },
      ],
    ]);
    expect(withLiveAgents([rest], live)).toEqual([
      {
        ...rest,
        state: 'online',
        lastSeenAt: '2025-01-02T00:00:00.000Z',
        version: '1.0.0',
        outbox: { count: 3, bytes: 30, dropped: 1 },
        configRevision: 4,
        appliedConfigRevision: 3,
      },
    ]);
  });

  it('keeps what the live state leaves out, and agents it does not mention', () => {
    const live = new Map<string, LiveAgentState>([
      [D1, { tenantId: T, agentId: D1, state: 'offline', lastSeenAt: null }],
    ]);
    expect(withLiveAgents([rest], live)[0]).toMatchObject({
      state: 'offline',
      version: '0.9.0',
      outbox: null,
      configRevision: -1,
      appliedConfigRevision: 0,
    });
    expect(withLiveAgents([rest], new Map())).toEqual([rest]);
  });
});
