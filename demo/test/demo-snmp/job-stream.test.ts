import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveJobState } from '@drm/protocol';
import { CommandError } from '../../src/demo-snmp/errors.js';
import { HubClient } from '../../src/demo-snmp/hub-client.js';
import { type SseEvent, SseParser, streamJob } from '../../src/demo-snmp/job-stream.js';

/** Every event `chunks` make, fed one chunk at a time. */
function parse(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SseParser', () => {
  it.each<[string, string[], SseEvent[]]>([
    ['one event', ['event: snapshot\ndata: {"a":1}\n\n'], [{ event: 'snapshot', data: '{"a":1}' }]],
    ['no event field: message', ['data: x\n\n'], [{ event: 'message', data: 'x' }]],
    ['data lines joined with LF', ['data: a\ndata: b\n\n'], [{ event: 'message', data: 'a\nb' }]],
    ['no space after the colon', ['event:end\ndata:{}\n\n'], [{ event: 'end', data: '{}' }]],
    [
      'comments and retry ignored',
      ['retry: 3000\n\n: keep-alive\n\ndata: x\n\n'],
      [{ event: 'message', data: 'x' }],
    ],
    ['CRLF line ends', ['event: end\r\ndata: y\r\n\r\n'], [{ event: 'end', data: 'y' }]],
    ['CR line ends', ['event: end\rdata: y\r\r'], [{ event: 'end', data: 'y' }]],
    ['CRLF split across chunks', ['data: z\r', '\n\r', '\n'], [{ event: 'message', data: 'z' }]],
    [
      'a line split across chunks',
      ['ev', 'ent: snap', 'shot\nda', 'ta: 1\n', '\n'],
      [{ event: 'snapshot', data: '1' }],
    ],
    ['no blank line yet: nothing', ['event: end\ndata: 1\n'], []],
    ['a blank line without data: nothing', ['event: end\n\n'], []],
    [
      'two events in one chunk',
      ['event: a\ndata: 1\n\nevent: b\ndata: 2\n\n'],
      [
        { event: 'a', data: '1' },
        { event: 'b', data: '2' },
      ],
    ],
  ])('%s', (_name, chunks, events) => {
    expect(parse(chunks)).toEqual(events);
  });
});

describe('streamJob', () => {
  const TENANT = 'de000000-0000-4000-8000-000000000002';
  const JOB = '0190f000-0000-7000-8000-000000000001';
  const state = (status: LiveJobState['status'], done: number): LiveJobState => ({
    tenantId: TENANT,
    jobId: JOB,
    status,
    progress: { done, total: 1 },
    targets: [],
    finishedAt: null,
  });
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
  });

  /** A stand-in hub on a loopback port that answers the stream with `respond`. */
  async function hub(respond: (res: ServerResponse) => void): Promise<HubClient> {
    server = createServer((_req, res) => respond(res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new HubClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  const sse = (res: ServerResponse, frames: string[]) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const frame of frames) res.write(frame);
    res.end();
  };
  const follow = (client: HubClient, seen: LiveJobState[]) =>
    streamJob(client, '/events', AbortSignal.timeout(5_000), (s) => seen.push(s));

  it('reports the snapshot and each update, and stops at end', async () => {
    const running = state('running', 0);
    const done = { ...state('succeeded', 1), finishedAt: new Date().toISOString() };
    const client = await hub((res) =>
      sse(res, [
        'retry: 3000\n\n',
        `event: snapshot\ndata: ${JSON.stringify(running)}\n\n`,
        `event: job.updated\ndata: ${JSON.stringify({ type: 'job.updated', at: done.finishedAt, job: done })}\n\n`,
        `event: end\ndata: ${JSON.stringify({ jobId: JOB, status: 'succeeded' })}\n\n`,
      ]),
    );
    const seen: LiveJobState[] = [];
    expect(await follow(client, seen)).toBe('ended');
    expect(seen.map((s) => s.status)).toEqual(['running', 'succeeded']);
  });

  it('is unavailable when the hub answers without a stream, and closed when it ends early', async () => {
    const client = await hub((res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"NOT_FOUND","message":"Route not found"}}');
    });
    expect(await follow(client, [])).toBe('unavailable');
    server?.closeAllConnections();
    server?.close();
    const cut = await hub((res) =>
      sse(res, [`event: snapshot\ndata: ${JSON.stringify(state('queued', 0))}\n\n`]),
    );
    expect(await follow(cut, [])).toBe('closed');
  });

  it('fails on an event that does not match the protocol', async () => {
    const client = await hub((res) => sse(res, ['event: snapshot\ndata: {"status":"done"}\n\n']));
    await expect(follow(client, [])).rejects.toThrow(CommandError);
  });
});
