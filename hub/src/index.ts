export { type Config, ConfigError, loadConfig } from './config.js';
export { ListenError } from './lib/listen-error.js';
export { createLogger } from './logger.js';
export { DEMO_EMAIL, DEMO_IDS } from './seed/demo.js';
export { hubBanner, type RunningHub, startHub } from './server.js';
export { attachDemoDevice, DEMO_SCHEDULE_NAME, demoEnrollmentToken } from './seed/demo-agent.js';
export { type DashboardBuild, ensureDashboardBuilt } from './dashboard-assets.js';
export { type BootedHub, bootHub, exitOnStartFailure, stopOnSignals } from './process.js';
