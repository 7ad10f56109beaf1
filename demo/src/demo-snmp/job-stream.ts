import { LiveJobState, LiveServerMessage, SSE_EVENT_END, SSE_EVENT_SNAPSHOT } from '@drm/protocol';
import { CommandError } from './errors.js';
import type { HubClient, Schema } from './hub-client.js';

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Splits a `text/event-stream` into events as the HTML Living Standard's "Interpreting an
 * event stream" does: lines end with CRLF, LF or CR; `event:` names the event (`message` when
 * absent), `data:` lines are joined with LF, a blank line dispatches, `:` starts a comment.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  /** The last chunk ended with a CR: an LF that starts the next one belongs to it. */
  #afterCr = false;

  push(chunk: string): SseEvent[] {
    this.#buffer += this.#afterCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.#afterCr = false;
    const events: SseEvent[] = [];
    for (;;) {
      const end = /\r\n|\r|\n/.exec(this.#buffer);
      if (!end) break;
      const line = this.#buffer.slice(0, end.index);
      this.#buffer = this.#buffer.slice(end.index + end[0].length);
      this.#afterCr = end[0] === '\r' && this.#buffer === '';
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') {
      const event =
        this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n') } : null;
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return null;
  }
}

/** The job's state as the stream tells it: the snapshot, then each `job.updated`. */
export type OnJobState = (state: LiveJobState) => void;

/**
 * How a stream stopped: `ended` (the hub said the job finished), `closed` (the connection
 * ended otherwise, or `signal` fired), `unavailable` (the hub offers no stream for it).
 */
export type StreamEnd = 'ended' | 'closed' | 'unavailable';

/** The `end` event's data: the job and its final status. */
const SseEnd = LiveJobState.pick({ jobId: true, status: true });

/**
 * Follows `GET /api/v1/tenants/{tenantId}/jobs/{jobId}/events` until the job ends, the
 * connection closes or `signal` fires. Every event it reads is checked against the protocol's
 * live schemas; one that does not match fails the command.
 */
export async function streamJob(
  client: HubClient,
  path: string,
  signal: AbortSignal,
  onState: OnJobState,
): Promise<StreamEnd> {
  let res: Response;
  try {
    res = await client.send('GET', path, { signal, accept: 'text/event-stream' });
  } catch (err) {
    if (signal.aborted) return 'closed';
    throw err;
  }
  if (!res.ok || !res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel().catch(() => undefined);
    return 'unavailable';
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'closed';
      for (const event of parser.push(value)) {
        if (handle(event, onState) === 'end') return 'ended';
      }
    }
  } catch (err) {
    if (err instanceof CommandError) throw err;
    // The deadline, or the connection dropped: the caller reads the job and decides.
    return 'closed';
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function handle(event: SseEvent, onState: OnJobState): 'end' | null {
  switch (event.event) {
    case SSE_EVENT_SNAPSHOT:
      onState(parsed(LiveJobState, event));
      return null;
    case SSE_EVENT_END:
      parsed(SseEnd, event);
      return 'end';
    case 'job.updated':
    case 'job.progress': {
      const frame = parsed(LiveServerMessage, event);
      if (frame.type === 'job.updated') onState(frame.job);
      return null;
    }
    default:
      // Event kinds added later are not this command's business.
      return null;
  }
}

function parsed<T>(schema: Schema<T>, event: SseEvent): T {
  let json: unknown;
  try {
    json = JSON.parse(event.data);
  } catch {
    json = undefined;
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new CommandError(
      `the hub sent a '${event.event}' event this command does not understand ` +
        `(${result.error.issues[0]?.message ?? 'not JSON'})`,
    );
  }
  return result.data;
}
