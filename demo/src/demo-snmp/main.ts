import {
  type Agent,
  type Device,
  type Job,
  JobCreated,
  JobCreateRequest,
  JobResult,
  type JobStatus,
  pageOf,
  type Varbind,
} from '@drm/protocol';
import { CommandError, oneLine, UsageError } from './errors.js';
import { agentAbsence, agentLabel, agentOf, followJob, jobPath, jobsPath, whyUnfinished } from './follow.js';
import { HubClient } from './hub-client.js';
import { type Options, resolveOptions, USAGE } from './options.js';
import { type Found, findDevice, type Session, signIn } from './session.js';
import { watchCommands } from './watch-commands.js';

/** sysDescr.0 (RFC 3418): what the platform this one replaces asked the demo device for. */
export const SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0';
const ResultPage = pageOf(JobResult);
const MAX_RESULT_PAGES = 10;

/** Where the command writes: lines to stdout, messages to stderr. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const PROCESS_IO: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `npm run demo:snmp`: queues an `snmp.get` of sysDescr.0 on the demo device through a
 * running hub's REST API, prints how to watch the job, follows it and prints the answer.
 * Resolves with the exit code: 0 succeeded (or queued, with `--no-wait`), 1 failed, timed
 * out or the hub could not be used, 2 bad usage.
 */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  io: Io = PROCESS_IO,
): Promise<number> {
  try {
    const opts = resolveOptions(argv, env);
    if (opts === 'help') {
      io.out(USAGE.trimEnd());
      return 0;
    }
    return await run(opts, io);
  } catch (err) {
    if (err instanceof CommandError) {
      io.err(`demo:snmp: ${err.message}${err instanceof UsageError ? ' (see --help)' : ''}`);
      return err.exitCode;
    }
    io.err(`demo:snmp: ${oneLine(err)}`);
    return 1;
  }
}

async function run(opts: Options, io: Io): Promise<number> {
  const client = new HubClient(opts.hubUrl);
  const session = await signIn(client, opts);
  // Ctrl-C while following: the login's session is ended, not left valid until it expires.
  const interrupted = () => {
    void session.end().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  try {
    const found = await findDevice(client, session, opts);
    return await queueAndFollow(client, session, found, opts, io);
  } finally {
    process.off('SIGINT', interrupted);
    await session.end();
  }
}

async function queueAndFollow(
  client: HubClient,
  session: Session,
  found: Found,
  opts: Options,
  io: Io,
): Promise<number> {
  const { tenant, device } = found;
  if (tenant.role === 'viewer') {
    throw new CommandError(
      `${session.email} is a viewer in ${tenant.name} (${tenant.id}): running jobs needs the operator or admin role`,
    );
  }
  const body = JobCreateRequest.parse({
    kind: 'snmp.get',
    targets: [device.id],
    params: { oids: [SYS_DESCR_OID] },
  });
  const agent = await agentOf(client, tenant.id, device.agentId);
  const created = await client.request('POST', jobsPath(tenant.id), JobCreated, body);
  const queuedAt = Date.now();
  printQueued(io, opts, session, found, created.id, agent);
  if (!opts.wait) return 0;

  io.out(`Following the job for up to ${opts.timeoutMs / 1000} s:`);
  const status = (s: JobStatus, progress: { done: number; total: number }) => {
    const seconds = ((Date.now() - queuedAt) / 1000).toFixed(1).padStart(5);
    io.out(`  ${seconds} s  ${s.padEnd(10)} ${progress.done}/${progress.total}`);
  };
  status('queued', { done: 0, total: body.targets.length });
  const outcome = await followJob(client, tenant.id, created.id, queuedAt + opts.timeoutMs, status);
  if (!outcome.finished) {
    io.err(`demo:snmp: ${await whyUnfinished(client, tenant.id, outcome.job, device, opts.timeoutMs)}`);
    return 1;
  }
  await printResults(client, tenant.id, outcome.job, device, io);
  if (outcome.job.status === 'succeeded') return 0;
  io.err(`demo:snmp: job ${created.id} ${outcome.job.status}`);
  return 1;
}

/** The job, where to see it in the dashboard, its device's agent, and how to watch it. */
function printQueued(
  io: Io,
  opts: Options,
  session: Session,
  { tenant, device }: Found,
  jobId: string,
  agent: Agent | null,
): void {
  io.out(
    `Queued snmp.get of ${SYS_DESCR_OID} (sysDescr.0) on ${device.name} (${device.address}) in ${tenant.name}`,
  );
  io.out(`  Job         ${jobId}`);
  io.out(`  Dashboard   ${opts.hubUrl}/t/${tenant.id}/jobs/${jobId}`);
  io.out(`  Agent       ${agentLine(device, agent)}`);
  io.out('');
  for (const line of watchCommands(opts, session, `${opts.hubUrl}${jobPath(tenant.id, jobId)}`)) io.out(line);
  io.out('');
}

function agentLine(device: Device, agent: Agent | null): string {
  if (!device.agentId) return 'none: the job stays queued until the device has an agent';
  if (!agent) return device.agentId;
  if (!agentAbsence(agent)) return agentLabel(agent);
  const consequence = agent.state === 'revoked' ? 'it runs no more jobs' : 'the job waits until it connects';
  return `${agentLabel(agent)}, ${agent.state}: ${consequence}`;
}

/** The values the device answered (as the README's walkthrough prints them), or why it did not. */
async function printResults(
  client: HubClient,
  tenantId: string,
  job: Job,
  device: Device,
  io: Io,
): Promise<void> {
  const results: JobResult[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_RESULT_PAGES; page++) {
    const query = new URLSearchParams({ limit: '200' });
    if (cursor) query.set('cursor', cursor);
    const res = await client.request('GET', `${jobPath(tenantId, job.id)}/results?${query}`, ResultPage);
    results.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  io.out('');
  io.out(`Result from ${device.name}:`);
  for (const result of results) {
    if (result.error) io.out(`  ${result.status}: ${result.error.code}: ${result.error.message}`);
    for (const vb of result.varbinds ?? []) io.out(`  ${vb.name ?? vb.oid} = ${valueText(vb)}`);
  }
  // A target that failed without a stored result (expired, cancelled, no access) has its error on the job.
  for (const target of job.targets ?? []) {
    if (target.error && !results.some((r) => r.deviceId === target.deviceId)) {
      io.out(`  ${target.status}: ${target.error.code}: ${target.error.message}`);
    }
  }
  if (results.length === 0 && !job.targets?.some((t) => t.error))
    io.out(`  (no result; the job ${job.status})`);
}

function valueText(vb: Varbind): string {
  if (vb.error) return vb.error;
  if (vb.encoding === 'hex') return `0x${vb.value} (hex)`;
  return String(vb.value);
}
