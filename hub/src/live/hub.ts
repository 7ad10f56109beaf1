import {
  type LiveAgentState,
  type LiveJobState,
  type LiveSample,
  type LiveTopic,
  liveTopicKey,
  type ProgressEvent,
  type SampleRecord,
} from '@drm/protocol';
import type { BaseLogger } from 'pino';
import type { Db, Queryable } from '../db/types.js';
import type { LiveMetrics } from './metrics.js';
import type { LiveNotifier } from './notifier.js';
import { type EncodedFrame, encodeFrame, SubscriptionRegistry } from './registry.js';
import { JobFeed } from './job-feed.js';
import { agentStates, deviceExists, jobState, roleIn, trapById } from './repo.js';
import type { PgLiveRelay, RelayNote } from './relay.js';
import { KeyedSerial } from './serial.js';

export type OpenResult =
  | { ok: true; snapshot?: LiveJobState | LiveAgentState[] }
  | { ok: false; code: 'not_found' | 'unavailable' };

export interface LiveHubDeps {
  db: Pick<Db, 'withTenant'>;
  log: Pick<BaseLogger, 'info' | 'warn' | 'error' | 'debug'>;
  metrics: LiveMetrics;
}

const lower = (s: string) => s.toLowerCase();
const now = () => new Date().toISOString();

/**
 * The fan-out: takes the hub's committed changes (as a `LiveNotifier`) and sends frames to the
 * clients whose subscriptions match, each frame serialised once. Job and agent states are read
 * back from the database after the change was committed, so every frame says what is stored;
 * nothing is read for an event nobody watches. Other replicas' changes arrive through
 * `applyRemote` when a relay is attached (see `relay.ts`).
 */
export class LiveHub implements LiveNotifier {
  readonly registry = new SubscriptionRegistry();
  readonly #serial: KeyedSerial;
  readonly #jobs: JobFeed;
  readonly #dirtyAgents = new Map<string, Set<string>>();
  #closed = false;
  #relay: Pick<PgLiveRelay, 'publish'> | null = null;

  constructor(private readonly deps: LiveHubDeps) {
    this.#serial = new KeyedSerial(deps.log);
    this.#jobs = new JobFeed(deps.db, this.#serial, (keys, frame) => this.#emit(keys, frame));
  }

  /** Relays this replica's changes to the others (and theirs here, through `applyRemote`). */
  attachRelay(relay: Pick<PgLiveRelay, 'publish'> | null): void {
    this.#relay = relay;
  }

  applyRemote(note: RelayNote): void {
    if (note.k === 'job') this.#jobChanged(note.t, note.id);
    else if (note.k === 'agent') this.#agentChanged(note.t, note.id);
    else if (note.k === 'trap') this.#trapStored(note.t, note.id);
    else if (note.k === 'progress') this.progress(note.t, note.p);
    else this.#samplesStored(note.t, note.s);
  }

  jobChanged(tenantId: string, jobId: string): void {
    this.#relay?.publish({ k: 'job', t: tenantId, id: jobId });
    this.#jobChanged(tenantId, jobId);
  }

  agentChanged(tenantId: string, agentId: string): void {
    this.#relay?.publish({ k: 'agent', t: tenantId, id: agentId });
    this.#agentChanged(tenantId, agentId);
  }

  samplesStored(tenantId: string, samples: readonly SampleRecord[]): void {
    this.#relay?.publish({ k: 'samples', t: tenantId, s: [...samples] });
    this.#samplesStored(tenantId, samples);
  }

  trapStored(tenantId: string, eventId: string): void {
    this.#relay?.publish({ k: 'trap', t: tenantId, id: eventId });
    this.#trapStored(tenantId, eventId);
  }

  #jobChanged(tenantId: string, jobId: string): void {
    const t = lower(tenantId);
    const j = lower(jobId);
    if (this.#closed) return;
    const watched =
      this.registry.has(liveTopicKey({ kind: 'job', tenantId: t, jobId: j })) ||
      this.registry.has(liveTopicKey({ kind: 'tenant', tenantId: t })) ||
      this.registry.hasDeviceTopics(t);
    if (watched) this.#jobs.refresh(t, j);
    else this.#jobs.forget(t, j);
  }

  progressStored(tenantId: string, event: ProgressEvent): void {
    this.#relay?.publish({ k: 'progress', t: tenantId, p: event });
  }

  progress(tenantId: string, event: ProgressEvent): void {
    const t = lower(tenantId);
    const jobId = lower(event.jobId);
    const deviceId = lower(event.deviceId);
    const keys = [
      liveTopicKey({ kind: 'job', tenantId: t, jobId }),
      liveTopicKey({ kind: 'device', tenantId: t, deviceId }),
    ];
    const subs = this.registry.match(keys);
    if (subs.length === 0) return;
    const frame = encodeFrame(
      { type: 'job.progress', tenantId: t, at: now(), progress: { ...event, jobId, deviceId } },
      `p:${jobId}:${deviceId}`,
    );
    for (const sub of subs) sub.deliver(frame);
  }

  #agentChanged(tenantId: string, agentId: string): void {
    const t = lower(tenantId);
    const key = liveTopicKey({ kind: 'agents', tenantId: t });
    if (this.#closed) return;
    if (!this.registry.has(key) && !this.registry.has(liveTopicKey({ kind: 'tenant', tenantId: t }))) return;
    let dirty = this.#dirtyAgents.get(t);
    if (dirty) {
      dirty.add(lower(agentId));
      return;
    }
    dirty = new Set([lower(agentId)]);
    this.#dirtyAgents.set(t, dirty);
    this.#serial.run(key, async () => {
      const ids = [...(this.#dirtyAgents.get(t) ?? [])];
      this.#dirtyAgents.delete(t);
      const agents = await this.deps.db.withTenant(t, (q) => agentStates(q, t, ids));
      const keys = [key, liveTopicKey({ kind: 'tenant', tenantId: t })];
      for (const agent of agents) {
        this.#emit(keys, encodeFrame({ type: 'agent.updated', at: now(), agent }, `a:${agent.agentId}`));
      }
    });
  }

  #samplesStored(tenantId: string, samples: readonly SampleRecord[]): void {
    const t = lower(tenantId);
    const byDevice = new Map<string, LiveSample[]>();
    for (const s of samples) {
      const deviceId = lower(s.deviceId);
      const key = liveTopicKey({ kind: 'device', tenantId: t, deviceId });
      if (!this.registry.has(key)) continue;
      const list = byDevice.get(key) ?? [];
      list.push({
        tenantId: t,
        deviceId,
        scheduleId: lower(s.scheduleId),
        ts: s.ts,
        oid: s.oid,
        ...(s.name !== undefined && { name: s.name }),
        ...(s.type !== undefined && { type: s.type }),
        valueNum: s.valueNum ?? null,
        valueText: s.valueText ?? null,
      });
      byDevice.set(key, list);
    }
    for (const [key, list] of byDevice)
      this.#emit([key], encodeFrame({ type: 'samples', at: now(), samples: list }));
  }

  #trapStored(tenantId: string, eventId: string): void {
    const t = lower(tenantId);
    const key = liveTopicKey({ kind: 'tenant', tenantId: t });
    if (this.#closed || !this.registry.has(key)) return;
    this.deps.db
      .withTenant(t, (q) => trapById(q, t, eventId))
      .then((trap) => {
        if (trap) this.#emit([key], encodeFrame({ type: 'trap', at: now(), trap }));
      })
      .catch((err: unknown) => this.deps.log.error({ err, tenantId: t }, 'live trap read failed'));
  }

  /**
   * Checks that `userId` may see the topic (a role in its tenant, and the job or device exists
   * there) and reads its snapshot. `done` runs in order with the topic's updates: call it to
   * mark the subscription open and send `subscribed` synchronously.
   */
  open(topic: LiveTopic, userId: string, done: (result: OpenResult) => void): void {
    const ctx = { tenantId: topic.tenantId, userId };
    const read = async <T>(fn: (q: Queryable) => Promise<T | null>): Promise<{ value: T | null } | null> => {
      try {
        return { value: await this.deps.db.withTenant(ctx, fn) };
      } catch (err) {
        this.deps.log.warn({ err, topic }, 'live subscription read failed');
        return null;
      }
    };
    const answer = <T>(r: { value: T | null } | null, ok: (v: T) => OpenResult) => {
      if (!r) done({ ok: false, code: 'unavailable' });
      else if (r.value === null) done({ ok: false, code: 'not_found' });
      else done(ok(r.value));
    };
    const t = topic.tenantId;
    switch (topic.kind) {
      case 'job':
        this.#jobs.inOrder(t, topic.jobId, async () => {
          const r = await read(async (q) =>
            (await roleIn(q, t, userId)) ? jobState(q, t, topic.jobId) : null,
          );
          answer(r, (snapshot) => ({ ok: true, snapshot }));
        });
        return;
      case 'agents':
        this.#serial.run(liveTopicKey(topic), async () => {
          const r = await read(async (q) => ((await roleIn(q, t, userId)) ? agentStates(q, t) : null));
          answer(r, (snapshot) => ({ ok: true, snapshot }));
        });
        return;
      case 'device':
        void read(async (q) =>
          (await roleIn(q, t, userId)) && (await deviceExists(q, t, topic.deviceId)) ? true : null,
        ).then((r) => answer(r, () => ({ ok: true })));
        return;
      case 'tenant':
        void read(async (q) => ((await roleIn(q, t, userId)) ? true : null)).then((r) =>
          answer(r, () => ({ ok: true })),
        );
        return;
    }
  }

  /** Stops reading and sending; what is scheduled finishes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#serial.idle();
  }

  #emit(keys: string[], frame: EncodedFrame): void {
    for (const sub of this.registry.match(keys)) sub.deliver(frame);
  }
}
