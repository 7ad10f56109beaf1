/**
 * The sending side of `ingest.ts`, in a worker thread of its own: an agent is a process of its
 * own, so building and writing its MQTT packets must not run on the hub's event loop. It
 * connects with the agent's credentials (the client id must be the agent's, so the main
 * thread's connection is closed first) and, for each `load` + `go`, publishes the batches with
 * at most `inFlight` unacknowledged, as the agent's outbox drain does, and reports the
 * milliseconds from its first publish to the last ack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { pool } from './pool.js';

export interface AgentWorkerData {
  url: string;
  clientId: string;
  username: string;
  password: string;
  resultsTopic: string;
  ackTopic: string;
  statusTopic: string;
  statusPayload: string;
  inFlight: number;
  ackTimeoutMs: number;
}

export type ToAgentWorker =
  | { type: 'load'; batches: { id: string; text: string }[] }
  | { type: 'go' }
  | { type: 'close' };
export type FromAgentWorker =
  | { type: 'ready' }
  | { type: 'loaded' }
  | { type: 'done'; ms: number; committed: number }
  | { type: 'failed'; error: string };

const data = workerData as AgentWorkerData;
const port = parentPort!;

const client = await mqtt.connectAsync(data.url, {
  protocolVersion: 4,
  reconnectPeriod: 0,
  connectTimeout: 5_000,
  clientId: data.clientId,
  username: data.username,
  password: data.password,
});
const acks = new Map<string, (ack: { committed: string[]; rejected?: unknown[] }) => void>();
client.on('message', (_topic, payload) => {
  const ack = JSON.parse(payload.toString()).body;
  acks.get(ack.batchId)?.(ack);
});
await client.subscribeAsync(data.ackTopic, { qos: 1 });
await client.publishAsync(data.statusTopic, data.statusPayload, { qos: 1, retain: true });

let loaded: { id: string; text: string }[] = [];

async function publishAll(
  batches: { id: string; text: string }[],
): Promise<{ ms: number; committed: number }> {
  let committed = 0;
  const start = performance.now();
  const one = async (batch: { id: string; text: string }) => {
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ack for batch ${batch.id} within ${data.ackTimeoutMs} ms`)),
        data.ackTimeoutMs,
      );
      acks.set(batch.id, (ack) => {
        clearTimeout(timer);
        acks.delete(batch.id);
        committed += ack.committed.length;
        if (ack.rejected?.length) reject(new Error(`rejected: ${JSON.stringify(ack.rejected[0])}`));
        else resolve();
      });
    });
    await client.publishAsync(data.resultsTopic, batch.text, { qos: 1 });
    await acked;
  };
  await pool(batches, data.inFlight, one);
  return { ms: performance.now() - start, committed };
}

port.on('message', (msg: ToAgentWorker) => {
  if (msg.type === 'load') {
    loaded = msg.batches;
    port.postMessage({ type: 'loaded' } satisfies FromAgentWorker);
  } else if (msg.type === 'go') {
    publishAll(loaded).then(
      (r) => port.postMessage({ type: 'done', ...r } satisfies FromAgentWorker),
      (err: Error) => port.postMessage({ type: 'failed', error: err.message } satisfies FromAgentWorker),
    );
  } else {
    client.end(true, () => port.close());
  }
});
port.postMessage({ type: 'ready' } satisfies FromAgentWorker);
