export { Agent, AgentNotEnrolledError, type AgentOptions } from './agent.js';
export {
  type AgentConfig,
  CONFIG_ENV,
  ConfigError,
  type ConfigSources,
  LOG_LEVELS,
  type LogLevel,
  loadConfig,
  outboxMaxBytes,
} from './config.js';
export { agentVersion, EnrollError, type EnrollOptions, type EnrollOutcome, enroll } from './enroll.js';
export { formatStatus, readStatus, type StatusReport } from './status.js';
export * from './store/index.js';
