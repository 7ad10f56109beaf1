import fp from 'fastify-plugin';
import { finishRotation } from '../modules/agents/rotation.js';
import { createConfigSync } from '../mqtt/config-sync.js';
import { createMqttJobDispatcher, startExpirySweep } from '../mqtt/dispatcher.js';
import { registerIngestion } from '../mqtt/ingest.js';

/**
 * Everything the hub does with agents over MQTT, on top of `app.mqtt`: ingestion of results,
 * samples, receipts, progress, traps and config acks; job dispatch (and re-dispatch of what an
 * agent has not receipted when it connects); desired-state pushes; the job expiry sweep.
 * Registered after the broker and before the feature routes, which read the decorators.
 */
export const agentLinkPlugin = fp(
  async (app) => {
    const log = app.log.child({ component: 'mqtt' });
    const live = app.hasDecorator('live') ? app.live.hub : undefined;
    const deps = { db: app.db, mqtt: app.mqtt, secrets: app.secrets, log, live };
    const configSync = createConfigSync(deps);
    const dispatcher = createMqttJobDispatcher(deps);
    registerIngestion(app.mqtt, {
      db: app.db,
      log,
      metrics: app.metrics,
      live,
      onProgress: live && ((tenantId, event) => live.progress(tenantId, event)),
      pushConfig: (tenantId, agentId) => configSync.push(tenantId, [agentId]),
      finishRotation: async (tenantId, agentId, rotationId) => {
        const accounts = app.hasDecorator('brokerAccounts') ? app.brokerAccounts : null;
        const rotation = { db: app.db, secrets: app.secrets, accounts, log };
        if (!(await finishRotation(rotation, tenantId, agentId, rotationId))) return;
        app.mqtt.credentialsChanged(tenantId, agentId);
        live?.agentChanged(tenantId, agentId);
      },
    });
    app.decorate('jobDispatcher', dispatcher);
    app.decorate('configChanged', async (tenantId: string, agentIds: readonly string[]) => {
      // The revision moved on: pages showing the agents' config state learn it is pending.
      for (const agentId of agentIds) live?.agentChanged(tenantId, agentId);
      await configSync.push(tenantId, agentIds);
    });
    app.mqtt.onAgentConnected((agent) => configSync.onAgentConnected(agent));
    app.mqtt.onAgentConnected((agent) => dispatcher.resendUnreceipted(agent.tenantId, agent.agentId));
    if (live) app.presence.onChange((agent) => live.agentChanged(agent.tenantId, agent.agentId));
    const sweep = startExpirySweep({ db: app.db, log, live });
    app.addHook('onClose', async () => sweep.stop());
  },
  { name: 'drm-agent-link', dependencies: ['drm-db', 'drm-metrics', 'drm-broker'] },
);
