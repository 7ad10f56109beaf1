#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { createAgentLogger } from './logger.js';
import { Name } from '@drm/protocol';
import {
  type AgentConfig,
  CONFIG_OPTIONS,
  ConfigError,
  type ConfigSources,
  loadConfig,
  outboxMaxBytes,
} from './config.js';
import { agentVersion, defaultAgentName, EnrollError, enroll, normaliseHubUrl } from './enroll.js';
import { Agent, AgentNotEnrolledError } from './agent.js';
import { formatStatus, readStatus } from './status.js';
import { SchemaVersionError, StoreCorruptError, StoreLockedError } from './store/index.js';

const USAGE = `Usage: drm-agent <command> [options]

Commands:
  enroll --hub URL --token TOKEN [--name NAME] [--force]
                          enroll with the hub using a single-use enrollment token (made by an
                          admin on the hub) and store the agent's identity and MQTT credentials
                          in the data folder. --name defaults to the host name; --force replaces
                          an existing enrollment, discarding its queued jobs and unsent results
  run                     connect to the hub and work until SIGINT or SIGTERM: run jobs, poll
                          schedules, receive traps, report results; keeps working offline and
                          sends the backlog when the hub is back. Stops cleanly (offline status
                          published, running targets given 5 s, then requeued)
  status [--json]         print what the data folder holds: identity, hub link and last contact,
                          queued and running jobs, outbox size and the age of its oldest item,
                          dropped samples, desired-state revision. Needs no hub, and works
                          while the agent is up

Options:
  --data-dir DIR          the agent's data folder (default /var/lib/drm-agent)
  --config FILE           JSON file of settings ({"dataDir": "...", "logLevel": "..."})
  --log-level LEVEL       fatal, error, warn, info, debug, trace or silent; logs go to stderr
  -h, --help              show this help
  -v, --version           print the version

Options of run:
  --trap-port PORT        UDP port of the trap and inform receiver (default 162; 0 = any free)
  --trap-host ADDRESS     address it listens on (default 0.0.0.0; :: for IPv6)
  --trap-communities LIST extra v1/v2c communities accepted on traps, comma-separated
  --max-concurrency N     job targets and polls at once (default 16)
  --per-device-concurrency N
                          at once against one device (default 2)
  --outbox-max-mb N       bound of unsent results and samples (default 256)
  --target-budget-seconds N
                          caps each job target's time (default 3600)
  --heartbeat-seconds N   status interval (default 30)
  --reconnect-max-seconds N
                          longest wait between attempts to reach the hub (default 60)

Variables: DRM_AGENT_DATA_DIR, DRM_AGENT_LOG_LEVEL, and DRM_AGENT_ and the option's name for
the options of run (DRM_AGENT_TRAP_PORT, …). Flags win over variables, variables over the
--config file.
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
`;

const COMMANDS = ['enroll', 'run', 'status'] as const;
type Command = (typeof COMMANDS)[number];

/** Wrong arguments: exit code 2. */
class UsageError extends Error {}

const PARSE_CONFIG = {
  allowPositionals: true,
  strict: true,
  options: {
    ...CONFIG_OPTIONS,
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    hub: { type: 'string' },
    token: { type: 'string' },
    name: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
} as const;

type Values = ReturnType<typeof parseArgs<typeof PARSE_CONFIG>>['values'];

/** Options each command takes; any other one given is a usage error. */
const ACCEPTS: Record<Command, readonly (keyof Values)[]> = {
  enroll: ['hub', 'token', 'name', 'force', 'data-dir', 'config', 'log-level'],
  status: ['json', 'data-dir', 'config', 'log-level'],
  // Every setting: `run` is the command they are for.
  run: Object.keys(CONFIG_OPTIONS) as (keyof Values)[],
};

const out = (text: string) => process.stdout.write(`${text}\n`);

function parse(argv: string[]): { command: string | undefined; rest: string[]; values: Values } {
  try {
    const { positionals, values } = parseArgs({ ...PARSE_CONFIG, args: argv });
    const [command, ...rest] = positionals;
    return { command, rest, values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function check(command: Command, rest: string[], values: Values): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' for ${command}`);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'help' || name === 'version') continue;
    if (!ACCEPTS[command].includes(name as keyof Values)) {
      throw new UsageError(`--${name} does not apply to ${command}`);
    }
  }
}

function configOf(command: Command, values: Values): AgentConfig {
  if (command === 'run') {
    const flags = Object.fromEntries(
      Object.keys(CONFIG_OPTIONS).map((flag) => [flag, values[flag as keyof Values] as string | undefined]),
    ) as NonNullable<ConfigSources['flags']>;
    return loadConfig({ flags });
  }
  return loadConfig({
    flags: { config: values.config, 'data-dir': values['data-dir'], 'log-level': values['log-level'] },
    // One-shot commands print their own output; logs only when asked for.
    defaults: { logLevel: 'warn' },
  });
}

function cliLogger(config: AgentConfig): Logger {
  return createAgentLogger(config.logLevel, pino.destination(2));
}

async function cmdEnroll(values: Values, config: AgentConfig): Promise<void> {
  if (!values.hub)
    throw new UsageError("enroll needs --hub URL (the hub's address, e.g. https://hub.example.com)");
  if (!values.token) throw new UsageError('enroll needs --token TOKEN (an enrollment token from the hub)');
  const hubUrl = normaliseHubUrl(values.hub);
  if (!hubUrl) throw new UsageError(`--hub: must be an http:// or https:// URL (got '${values.hub}')`);
  const name = Name.safeParse(values.name ?? defaultAgentName());
  if (!name.success) throw new UsageError('--name: must be 1 to 200 characters');
  const { identity, replaced } = await enroll({
    hubUrl,
    token: values.token,
    name: name.data,
    dataDir: config.dataDir,
    force: values.force ?? false,
    version: agentVersion(),
    log: cliLogger(config),
  });
  if (replaced) {
    out(
      `Replaced agent ${replaced.identity.name} (${replaced.identity.agentId}): discarded ` +
        `${replaced.queued} unfinished job targets and ${replaced.unsent} unsent outbox items`,
    );
  }
  out(`Enrolled as agent ${identity.name} (${identity.agentId})`);
  out(`  tenant  ${identity.tenantId}`);
  out(`  site    ${identity.siteId}`);
  out(`  hub     ${identity.hubUrl}`);
  out(`  mqtt    ${identity.mqtt.url} as ${identity.mqtt.username}`);
  out(`Identity and MQTT credentials are stored in ${config.dataDir}`);
}

function cmdStatus(values: Values, config: AgentConfig): void {
  const report = readStatus(config.dataDir, { outboxMaxBytes: outboxMaxBytes(config) });
  out(values.json ? JSON.stringify(report, null, 2) : formatStatus(report));
}

/**
 * Runs the agent until SIGINT or SIGTERM, then stops it cleanly. A second signal while it
 * stops ends the process at once (the store is crash-safe; running targets are requeued).
 */
async function cmdRun(config: AgentConfig): Promise<void> {
  const log = cliLogger(config);
  const agent = new Agent({ config, log });
  let signalled: NodeJS.Signals | null = null;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      signalled = signal;
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // Components catch their own failures; anything that still escapes is logged, not fatal.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  await agent.start();
  await stopped;
  await agent.stop();
}

async function main(argv: string[]): Promise<number> {
  try {
    const { command, rest, values } = parse(argv);
    if (values.help || command === 'help') {
      out(USAGE.trimEnd());
      return 0;
    }
    if (values.version) {
      out(agentVersion());
      return 0;
    }
    if (!command) throw new UsageError(`a command is required (${COMMANDS.join(', ')})`);
    if (!(COMMANDS as readonly string[]).includes(command))
      throw new UsageError(`unknown command '${command}'`);
    const cmd = command as Command;
    check(cmd, rest, values);
    const config = configOf(cmd, values);
    if (cmd === 'enroll') await cmdEnroll(values, config);
    else if (cmd === 'run') await cmdRun(config);
    else cmdStatus(values, config);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`drm-agent: ${err.message} (see drm-agent --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`drm-agent: invalid configuration: ${err.problems.join('; ')}\n`);
      return 2;
    }
    const known =
      err instanceof EnrollError ||
      err instanceof AgentNotEnrolledError ||
      err instanceof StoreLockedError ||
      err instanceof SchemaVersionError ||
      err instanceof StoreCorruptError;
    process.stderr.write(`drm-agent: ${known ? err.message : oneLine(err)}\n`);
    return 1;
  }
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, '; ');
}

process.exitCode = await main(process.argv.slice(2));
