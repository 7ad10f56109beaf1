import { bootHub, createLogger, exitOnStartFailure, hubBanner, stopOnSignals } from '@drm/hub';
import { type LocalAgent, startLocalAgent } from './local-agent.js';
import { type SimulatedDevice, startSimulatedDevice } from './simulated-device.js';

/**
 * `npm start`: the hub with its embedded database and broker, a simulated switch, and a local
 * agent that enrolls itself and polls the switch. Ctrl-C stops them in reverse order. With
 * `DRM_DEMO_AGENT=off` only the hub starts (as `drm-hub` would).
 */
async function main(): Promise<void> {
  const { config, log, hub } = await bootHub('npm start');

  let device: SimulatedDevice | null = null;
  let agent: LocalAgent | null = null;
  const withAgent = process.env.DRM_DEMO_AGENT !== 'off' && hub.demo !== null;
  if (withAgent) {
    device = await startSimulatedDevice();
    agent = await startLocalAgent(hub, device, {
      dataDir: config.DATA_DIR,
      log: createLogger(config.LOG_LEVEL, 'agent'),
    });
  }

  const lines = [hubBanner(hub, config.DATA_DIR).trimEnd()];
  if (agent && device) {
    lines.push(`  Local agent        ${agent.agentId} (data in ${agent.config.dataDir})`);
    lines.push(
      `  Simulated switch   udp://${device.host}:${device.port}, community ${device.community}, polled every 10 s`,
    );
    lines.push(`  Traps to           udp://localhost:${agent.agent.trapPort}`);
  } else if (!hub.demo) {
    lines.push('  (no demo data in this database: the local agent and simulated switch are not started)');
  }
  lines.push('  Ctrl-C stops everything.');
  process.stdout.write(`${lines.join('\n')}\n\n`);

  stopOnSignals(
    log,
    async () => {
      await agent?.stop();
      await device?.close();
      await hub.close();
    },
    15_000,
  );
}

main().catch(exitOnStartFailure('npm start'));
