import { z } from 'zod';
import { ErrorBody, LiveJobState, LiveServerMessage } from '@drm/protocol';

/** OpenAPI text for the live routes: the frames are the contract in `@drm/protocol` (`rest/live.ts`). */

export const LIVE_WS_DESCRIPTION = `
WebSocket (RFC 6455). Authenticate the upgrade request like any API call: the session cookie
or \`Authorization: Bearer …\`, never a token in the URL. Without one the upgrade is refused
with 401; a browser page of another origin using the cookie gets 403. A plain GET answers 426.

All frames are JSON text. The hub sends \`hello\` first (\`heartbeatSeconds\`: it pings at that
interval and cuts a client that has not answered the previous ping).

Client → hub (at most 16 KiB each; larger closes with 1009):
- \`{"type":"subscribe","ref":"1","topic":{"kind":"job","tenantId":…,"jobId":…}}\` — kinds:
  \`job\` (progress and per-target status of one job), \`device\` (its new samples and job
  activity), \`agents\` (presence and backlog of a tenant's agents), \`tenant\` (job status
  changes, agent presence and traps). Answer: \`subscribed\` with a snapshot (the job with every
  target for \`job\`, every agent for \`agents\`), or \`error\` code \`not_found\` — the same for a
  topic you may not see and one that does not exist. At most 200 topics per connection.
- \`{"type":"unsubscribe","topic":…}\` → \`unsubscribed\`; \`{"type":"ping"}\` → \`pong\`.
- A frame that is not JSON or not one of these gets \`error\` code \`bad_frame\`.

Hub → client: \`job.progress\` (an agent's progress for one target), \`job.updated\` (status,
done/total and the targets that changed), \`agent.updated\`, \`samples\` (per device per
ingest), \`trap\`. Only topics you subscribed to. Other error codes: \`limit\`, \`busy\`,
\`unavailable\` (try again).

A slow client gets the latest \`job.progress\` per target and \`agent.updated\` per agent, not
every one; one that stays behind is closed with 1013. When the hub stops, clients are closed
with 1001: reconnect with backoff and subscribe again — the snapshots give the current state.
`.trim();

export const liveWsSchema = {
  tags: ['live'],
  summary: 'Live stream over WebSocket (jobs, devices, agents, tenant overview)',
  description: LIVE_WS_DESCRIPTION,
  response: {
    101: {
      description: 'Switching Protocols; then the hub sends these frames',
      content: { 'application/json': { schema: LiveServerMessage } },
    },
    401: ErrorBody,
    403: ErrorBody,
    426: ErrorBody,
  },
};

const SSE_DESCRIPTION = `
Server-sent events for one job, for clients without WebSocket. Authenticated by the session
cookie or \`Authorization: Bearer …\` (never a token in the URL). The first event is
\`snapshot\` (the job with every target); then \`job.progress\` and \`job.updated\` events, whose
data is the frame as JSON; \`end\` once the job has finished, after which the hub closes the
stream. A comment line every 15 s keeps it open; \`retry:\` tells EventSource how long to wait
before it reconnects (it then gets a fresh snapshot).
`.trim();

const sseResponse = {
  description: 'An event stream',
  content: {
    'text/event-stream': { schema: z.string().describe('event: snapshot|job.progress|job.updated|end') },
  },
};

export const jobEventsSchema = <P extends z.ZodType>(params: P) => ({
  tags: ['live'],
  summary: 'Server-sent events of one job',
  description: `${SSE_DESCRIPTION}\n\nThe snapshot's data: ${Object.keys(LiveJobState.shape).join(', ')}.`,
  params,
  response: { 200: sseResponse, 404: ErrorBody },
});
