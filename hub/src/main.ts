import { bootHub, exitOnStartFailure, stopOnSignals } from './process.js';
import { hubBanner } from './server.js';

/** The hub process: config → `startHub` → banner; signals. */
async function main(): Promise<void> {
  const { config, log, hub } = await bootHub('drm-hub');
  process.stdout.write(hubBanner(hub, config.DATA_DIR));
  stopOnSignals(log, () => hub.close(), 10_000);
}

main().catch(exitOnStartFailure('drm-hub'));
