import { join } from 'node:path';
import {
  Agent,
  type AgentConfig,
  agentVersion,
  enroll,
  loadConfig as loadAgentConfig,
  Store,
} from '@drm/agent';
import { attachDemoDevice, demoEnrollmentToken, type RunningHub } from '@drm/hub';
import type { Logger } from 'pino';
import type { SimulatedDevice } from './simulated-device.js';

export const DEMO_AGENT_NAME = 'demo-agent';

/** The local agent of the demo, with the folder it keeps its store in. */
export interface LocalAgent {
  agent: Agent;
  agentId: string;
  config: AgentConfig;
  stop(): Promise<void>;
}

/**
 * The agent id enrolled in `dataDir`, if any. Opened for writing, as the agent about to start
 * opens it: a store an earlier version left is upgraded here (a read-only open refuses it).
 */
function enrolledId(dataDir: string): string | null {
  const store = Store.open(dataDir);
  try {
    return store.identity.get()?.agentId ?? null;
  } finally {
    store.close();
  }
}

/** Whether the hub knows this agent and has not revoked it (the database may be a new one). */
async function hubAccepts(hub: RunningHub, agentId: string): Promise<boolean> {
  return hub.db.asSystem(async (q) => {
    const { rows } = await q.query<{ ok: boolean }>(
      'SELECT revoked_at IS NULL AS ok FROM agents WHERE id = $1',
      [agentId],
    );
    return rows[0]?.ok ?? false;
  });
}

/**
 * Starts the demo's agent in this process, as `drm-agent run` would on an edge host: enrolls it
 * with a token the hub makes for the demo site the first time (or when the hub no longer knows
 * it), hands it the demo device pointed at the simulated switch, and runs it. Its settings
 * come from the same `DRM_AGENT_*` variables as a real agent's; by default its data lives in
 * `DATA_DIR/demo-agent` and its trap receiver takes a free UDP port (162 needs root).
 */
export async function startLocalAgent(
  hub: RunningHub,
  device: SimulatedDevice,
  opts: { dataDir: string; log: Logger },
): Promise<LocalAgent> {
  const config = loadAgentConfig({
    defaults: { dataDir: join(opts.dataDir, DEMO_AGENT_NAME), trapPort: 0 },
  });
  const { log } = opts;
  let agentId = enrolledId(config.dataDir);
  if (!agentId || !(await hubAccepts(hub, agentId))) {
    const token = await demoEnrollmentToken(hub.app);
    const outcome = await enroll({
      hubUrl: hub.url,
      token,
      name: DEMO_AGENT_NAME,
      dataDir: config.dataDir,
      force: agentId !== null,
      version: agentVersion(),
      log,
    });
    agentId = outcome.identity.agentId;
    log.info({ agentId, dataDir: config.dataDir }, 'demo agent enrolled');
  }
  await attachDemoDevice(hub.app, { agentId, host: device.host, port: device.port });
  const agent = new Agent({ config, log });
  await agent.start();
  return { agent, agentId, config, stop: () => agent.stop() };
}
