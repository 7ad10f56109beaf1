import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Device, isTerminalStatus, Job, type JobProgress, type JobStatus } from '@drm/protocol';
import { HubApiError, type HubClient } from './hub-client.js';
import { streamJob, type StreamEnd } from './job-stream.js';

const POLL_MS = 500;

export interface FollowOutcome {
  /** The job as `GET …/jobs/{id}` last returned it. */
  job: Job;
  finished: boolean;
}

export type OnStatus = (status: JobStatus, progress: JobProgress) => void;

/** `/api/v1/tenants/{tenantId}/jobs`, and one job under it. */
export const jobsPath = (tenantId: string) => `/api/v1/tenants/${encodeURIComponent(tenantId)}/jobs`;
export const jobPath = (tenantId: string, jobId: string) =>
  `${jobsPath(tenantId)}/${encodeURIComponent(jobId)}`;

/**
 * Follows a job until it finishes or `deadline` (epoch ms) passes, calling `onStatus` on each
 * status change. Listens to the job's SSE stream and reads the job itself whenever the stream
 * stops (the stream tells changes at once; `GET …/jobs/{id}` is the record); without a stream
 * it polls. Only each status change is reported, whichever of the two saw it first.
 */
export async function followJob(
  client: HubClient,
  tenantId: string,
  jobId: string,
  deadline: number,
  onStatus: OnStatus,
  initial: JobStatus = 'queued',
): Promise<FollowOutcome> {
  let last = initial;
  const report = (status: JobStatus, progress: JobProgress) => {
    if (status === last) return;
    last = status;
    onStatus(status, progress);
  };
  const path = jobPath(tenantId, jobId);
  let sse = true;
  for (;;) {
    const remaining = deadline - Date.now();
    if (sse && remaining > 0) {
      const end: StreamEnd = await streamJob(client, `${path}/events`, AbortSignal.timeout(remaining), (s) =>
        report(s.status, s.progress),
      );
      if (end === 'unavailable') sse = false;
    }
    const job = await client.request('GET', path, Job);
    report(job.status, job.progress);
    if (isTerminalStatus(job.status)) return { job, finished: true };
    const left = deadline - Date.now();
    if (left <= 0) return { job, finished: false };
    await sleep(Math.min(POLL_MS, left));
  }
}

/** The device's agent, or null when it has none or the hub does not show it. */
export async function agentOf(
  client: HubClient,
  tenantId: string,
  agentId: string | null,
): Promise<Agent | null> {
  if (!agentId) return null;
  try {
    return await client.request(
      'GET',
      `/api/v1/tenants/${encodeURIComponent(tenantId)}/agents/${encodeURIComponent(agentId)}`,
      Agent,
    );
  } catch (err) {
    if (err instanceof HubApiError && err.status === 404) return null;
    throw err;
  }
}

/** `demo-agent (0190…)`. */
export const agentLabel = (agent: Agent) => `${agent.name} (${agent.id})`;

/** Why an agent that is not online cannot run the job now, or null when it is online. */
export function agentAbsence(agent: Agent): string | null {
  switch (agent.state) {
    case 'online':
      return null;
    case 'never':
      return `the device's agent ${agentLabel(agent)} is offline: it has never connected to the hub`;
    case 'revoked':
      return `the device's agent ${agentLabel(agent)} is revoked: it can no longer run jobs`;
    case 'offline':
      return `the device's agent ${agentLabel(agent)} is offline (last seen ${agent.lastSeenAt ?? 'never'})`;
  }
}

/** Why a job is still not finished at the deadline, in the words the hub's records allow. */
export async function whyUnfinished(
  client: HubClient,
  tenantId: string,
  job: Job,
  device: Device,
  timeoutMs: number,
): Promise<string> {
  const head = `job ${job.id} did not finish within ${timeoutMs / 1000} s: it is ${job.status}`;
  const target = job.targets?.find((t) => t.deviceId === device.id);
  const agentId = target ? target.agentId : device.agentId;
  const expires = job.expiresAt ? `, until it expires at ${job.expiresAt}` : '';
  if (!agentId) {
    return (
      `${head}, and the device ${device.name} has no agent, so the hub cannot send it anywhere. ` +
      "Assign an agent on the device's page (`npm start` gives the demo device its local agent)"
    );
  }
  const agent = await agentOf(client, tenantId, agentId);
  if (!agent) return `${head}; the device's agent ${agentId} is not visible to this user`;
  const absence = agentAbsence(agent);
  if (absence) {
    return (
      `${head}, because ${absence}. The job waits for the agent and runs when it connects${expires}; ` +
      'the demo agent runs inside `npm start`'
    );
  }
  return (
    `${head}; the device's agent ${agentLabel(agent)} is online, so the job may need longer ` +
    "(run again with a longer --timeout, or watch it with the commands above; the agent's log says more)"
  );
}
