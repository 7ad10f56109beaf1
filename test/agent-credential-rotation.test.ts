import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../agent/src/agent.js';
import { loadConfig } from '../agent/src/config.js';
import { Store } from '../agent/src/store/index.js';
import { createTestHub, type TestHub } from '../hub/test/helpers/hub.js';
import { connackCode, type TestAgent } from '../hub/test/helpers/mqtt.js';
import { enrolledAgent, listen, removeDataDirs, waitFor } from './faults/support.js';

/**
 * Rotation of an agent's MQTT password through the real hub, broker and agent: an admin asks,
 * the agent receives the new password with its config and stores it, the hub switches over on
 * the agent's acknowledgement, and from then on only the new password logs in.
 */

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let hub: TestHub;
let agent: TestAgent;
let dataDir: string;
let mqttUrl: string;
let running: Agent | null = null;

function startAgent(): Promise<void> {
  const config = loadConfig({
    env: {},
    flags: { 'data-dir': dataDir, 'trap-port': '0', 'trap-host': '127.0.0.1', 'heartbeat-seconds': '1' },
  });
  running = new Agent({ config, log, version: '0.0.0-rotation' });
  return running.start();
}

async function stopAgent(): Promise<void> {
  await running?.stop();
  running = null;
}

beforeAll(async () => {
  hub = await createTestHub();
  const hubUrl = await listen(hub.app);
  let identity: { mqtt: { url: string } };
  ({ agent, dataDir, identity } = await enrolledAgent(hub, hubUrl));
  mqttUrl = identity.mqtt.url;
}, 120_000);

afterAll(async () => {
  await stopAgent();
  await hub?.close();
  removeDataDirs();
});

const call = (token: string, method: 'GET' | 'POST', url: string) =>
  hub.call(token, method, `${agent.base}${url}`);
const getAgent = async () => (await call(agent.admin.token, 'GET', `/agents/${agent.agentId}`)).json();

/** The passwords the agent holds (its store, read beside the running agent). */
function heldPasswords(): { password: string; previous: string | undefined } {
  const store = Store.openReadOnly(dataDir);
  if (!store) throw new Error('no agent store');
  try {
    const identity = store.identity.get();
    if (!identity) throw new Error('agent not enrolled');
    return { password: identity.mqtt.password, previous: identity.previousMqttPassword };
  } finally {
    store.close();
  }
}

/** The CONNACK code of a login as the agent with `password` (0: accepted). */
const loginWith = (password: string) =>
  connackCode(mqttUrl, { clientId: agent.agentId, username: agent.username, password });

const online = () =>
  waitFor('agent online', async () => ((await getAgent()).state === 'online' ? true : undefined));
const rotated = (after: string | null) =>
  waitFor('rotation finished', async () => {
    const a = await getAgent();
    return a.credentialRotationRequestedAt === null &&
      a.credentialsRotatedAt !== null &&
      a.credentialsRotatedAt !== after
      ? a
      : undefined;
  });

/** Changes the stopped agent's store directly, as a crash or a restore elsewhere would leave it. */
function editStore(change: (store: Store) => void): void {
  const store = Store.open(dataDir);
  try {
    change(store);
  } finally {
    store.close();
  }
}

/** Asks for a rotation of the stopped agent, starts it, and waits for the rotation to end. */
async function rotateThenStart(): Promise<void> {
  const previousRotation = (await getAgent()).credentialsRotatedAt as string | null;
  const res = await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
  expect(res.statusCode, res.body).toBe(202);
  await startAgent();
  await online();
  await rotated(previousRotation);
}

describe('agent credential rotation', () => {
  it('delivers a new password to a connected agent; after its ack only the new one logs in', async () => {
    await startAgent();
    await online();
    const enrolled = agent.password;
    expect(heldPasswords()).toEqual({ password: enrolled, previous: undefined });

    const res = await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({
      id: agent.agentId,
      credentialRotationRequestedAt: expect.any(String),
    });
    expect(res.body).not.toMatch(/password/i);

    const after = await rotated(null);
    expect(after.appliedConfigRevision).toBeGreaterThanOrEqual(after.configRevision);
    const held = heldPasswords();
    expect(held.password).not.toBe(enrolled);
    expect(held.previous).toBe(enrolled);
    // The password never reaches the API, the audit log or the events.
    const audit = (await hub.call(agent.admin.token, 'GET', `${agent.base}/audit?limit=200`)).body;
    expect(audit).toContain('agent.rotate-credentials');
    const events = (await hub.call(agent.admin.token, 'GET', `${agent.base}/events?limit=200`)).body;
    expect(events).toContain('agent.credentials-rotated');
    for (const text of [audit, events, JSON.stringify(after)]) expect(text).not.toContain(held.password);

    expect(await loginWith(enrolled)).not.toBe(0);
    // A restarted agent logs in with the new password (the old one would be refused).
    await stopAgent();
    await startAgent();
    await online();
  });

  it('waits for an agent that is offline; the old password works until the agent has the new one', async () => {
    await stopAgent();
    const before = heldPasswords().password;
    const previousRotation = (await getAgent()).credentialsRotatedAt as string;
    const res = await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
    expect(res.statusCode).toBe(202);
    // One at a time: a second one could take away the password the agent still logs in with.
    const again = await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/already waits for this agent/);
    // Still the agent's own password until it has taken the new one.
    expect(await loginWith(before)).toBe(0);
    await startAgent();
    await online();
    await rotated(previousRotation);
    expect(heldPasswords()).toMatchObject({ previous: before });
    expect(await loginWith(before)).not.toBe(0);
  });

  it('falls back to the previous password when the hub refuses the latest one', async () => {
    // As if the agent had stored a password from a rotation the hub never finished and has
    // replaced since: the latest is refused, the one before it logs in, and the config then
    // brings the password the hub waits for.
    await stopAgent();
    const real = heldPasswords().password;
    editStore((store) => expect(store.identity.takePassword('a-password-the-hub-never-knew')).toBe(true));
    await rotateThenStart();
    const held = heldPasswords();
    expect(held.password).not.toBe(real);
    expect(held.password).not.toBe('a-password-the-hub-never-knew');
    expect(await loginWith(real)).not.toBe(0);
  });

  it('does not end on the acknowledgement of a config the agent ignored as stale', async () => {
    // As after a restore of the hub's database: the agent holds a revision above the hub's, so
    // it ignores the config that brings the password and acknowledges its own revision. Only
    // the later config (the hub moves past the agent's revision) gets the password stored.
    await stopAgent();
    editStore((store) => {
      const held = store.desired.revision();
      expect(store.desired.put({ revision: held + 100, devices: [], schedules: [] }).stored).toBe(true);
    });
    const before = heldPasswords().password;
    await rotateThenStart();
    expect(heldPasswords()).toMatchObject({ previous: before });
    expect(heldPasswords().password).not.toBe(before);
    // The agent has the password the hub now takes: it logs in with it after a restart.
    await stopAgent();
    expect(await loginWith(before)).not.toBe(0);
    await startAgent();
    await online();
  });

  it('is for admins; a revoked or unknown agent is refused', async () => {
    const viewer = await hub.user({ [agent.tenantId]: 'viewer' });
    const operator = await hub.user({ [agent.tenantId]: 'operator' });
    for (const who of [viewer, operator]) {
      const res = await call(who.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
      expect(res.statusCode).toBe(404);
    }
    const unknown = await call(
      agent.admin.token,
      'POST',
      '/agents/00000000-0000-4000-8000-000000000000/rotate-credentials',
    );
    expect(unknown.statusCode).toBe(404);
    await stopAgent();
    expect((await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/revoke`)).statusCode).toBe(200);
    const revoked = await call(agent.admin.token, 'POST', `/agents/${agent.agentId}/rotate-credentials`);
    expect(revoked.statusCode).toBe(409);
    expect(revoked.json().error.code).toBe('CONFLICT');
  });
});
