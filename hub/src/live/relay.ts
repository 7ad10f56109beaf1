import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { BaseLogger } from 'pino';
import { z } from 'zod';
import { ProgressEvent, SampleRecord, Uuid } from '@drm/protocol';

/**
 * Committed changes relayed between hub replicas over PostgreSQL `LISTEN/NOTIFY`, so that a
 * client on one replica hears of a result another replica ingested (results, samples, traps
 * and statuses reach one replica through the broker's shared subscriptions). A note names what
 * changed; the receiving replica reads the state back as it does for its own changes. Progress,
 * the busiest stream, is relayed as the event itself and only as often as it is stored (each
 * state change, and mid-walk counts at most once a second per target): the replica that
 * receives it from the agent sends every event to its own clients, the others at that pace.
 */

const CHANNEL = 'drm_live';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; samples are split below this. */
const MAX_PAYLOAD = 7_000;
/** Notes waiting for the connection; past this the relay is behind and drops (clients resync on subscribe). */
const MAX_QUEUED = 10_000;

export const RelayNote = z.discriminatedUnion('k', [
  z.object({ k: z.literal('job'), t: Uuid, id: Uuid }),
  z.object({ k: z.literal('agent'), t: Uuid, id: Uuid }),
  z.object({ k: z.literal('trap'), t: Uuid, id: Uuid }),
  z.object({ k: z.literal('samples'), t: Uuid, s: z.array(SampleRecord) }),
  z.object({ k: z.literal('progress'), t: Uuid, p: ProgressEvent }),
]);
export type RelayNote = z.infer<typeof RelayNote>;

const Envelope = z.object({ o: z.string(), n: RelayNote });

export interface RelayTarget {
  /** Another replica's change: fan it out here, without relaying it again. */
  applyRemote(note: RelayNote): void;
}

/** Splits a samples note so that each payload stays under the NOTIFY limit. */
function split(note: RelayNote): RelayNote[] {
  if (note.k !== 'samples' || JSON.stringify(note).length < MAX_PAYLOAD) return [note];
  const out: RelayNote[] = [];
  let chunk: SampleRecord[] = [];
  let size = 0;
  for (const s of note.s) {
    const n = JSON.stringify(s).length + 1;
    if (chunk.length > 0 && size + n > MAX_PAYLOAD - 200) {
      out.push({ k: 'samples', t: note.t, s: chunk });
      chunk = [];
      size = 0;
    }
    chunk.push(s);
    size += n;
  }
  if (chunk.length > 0) out.push({ k: 'samples', t: note.t, s: chunk });
  return out;
}

/**
 * One dedicated connection that LISTENs and NOTIFYs. A note published while it is down is
 * lost (clients catch up on their next subscribe, whose snapshot is current); it reconnects
 * with a growing delay.
 */
export class PgLiveRelay {
  readonly origin = randomUUID();
  #client: pg.Client | null = null;
  #closed = false;
  #retryMs = 1_000;
  #timer: NodeJS.Timeout | null = null;
  /** Notes go out one after the other on the one connection, at most MAX_QUEUED waiting. */
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  constructor(
    private readonly url: string,
    private readonly target: RelayTarget,
    private readonly log: Pick<BaseLogger, 'info' | 'warn' | 'debug'>,
  ) {}

  /** Connects and listens; a failure is logged and retried, never thrown. */
  async start(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'drm-hub-live' });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    client.on('notification', (msg) => this.#receive(msg.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.#client = client;
      this.#retryMs = 1_000;
      this.log.info('live relay listening');
    } catch (err) {
      this.#lost(client, err);
    }
  }

  publish(note: RelayNote): void {
    const client = this.#client;
    if (!client) return;
    for (const part of split(note)) {
      if (this.#queued >= MAX_QUEUED) {
        this.log.warn('live relay behind; a note was dropped');
        return;
      }
      const payload = JSON.stringify({ o: this.origin, n: part });
      this.#queued += 1;
      this.#tail = this.#tail
        .then(() => client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]))
        .catch((err: unknown) => this.log.warn({ err }, 'live relay notify failed'))
        .finally(() => {
          this.#queued -= 1;
        });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  #receive(payload: string | undefined): void {
    let parsed: z.infer<typeof Envelope> | null = null;
    try {
      const r = Envelope.safeParse(JSON.parse(payload ?? ''));
      parsed = r.success ? r.data : null;
    } catch {
      parsed = null;
    }
    if (!parsed) {
      this.log.warn('live relay: a note that is not one of ours, dropped');
      return;
    }
    if (parsed.o !== this.origin) this.target.applyRemote(parsed.n);
  }

  #lost(client: pg.Client, err?: unknown): void {
    if (this.#client === client) this.#client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.#closed || this.#timer) return;
    this.log.warn({ err, retryMs: this.#retryMs }, 'live relay connection lost; reconnecting');
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.start();
    }, this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
  }
}
