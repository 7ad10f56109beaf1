import {
  ConfigError,
  createLogger,
  ensureDashboardBuilt,
  hubBanner,
  ListenError,
  loadConfig,
  type RunningHub,
  startHub,
} from '@drm/hub';
import { type LocalAgent, startLocalAgent } from './local-agent.js';
import { type SimulatedDevice, startSimulatedDevice } from './simulated-device.js';

/**
 * `npm start`: the hub with its embedded database and broker, a simulated switch, and a local
 * agent that enrolls itself and polls the switch. Ctrl-C stops them in reverse order. With
 * `DRM_DEMO_AGENT=off` only the hub starts (as `drm-hub` would).
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`npm start: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  // A dashboard that fails to build must not keep the API down: the error names the cause.
  await ensureDashboardBuilt({ log }).catch((err: unknown) =>
    log.error({ err }, 'the dashboard could not be built'),
  );
  let hub: RunningHub;
  try {
    hub = await startHub(config, log);
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    log.fatal(err.message);
    process.exit(1);
  }

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

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    (async () => {
      await agent?.stop();
      await device?.close();
      await hub.close();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `npm start: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
