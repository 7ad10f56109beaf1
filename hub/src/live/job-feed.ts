import { isTerminalStatus, type LiveJobState, type LiveTarget, liveTopicKey } from '@drm/protocol';
import type { Db } from '../db/types.js';
import { type EncodedFrame, encodeFrame } from './registry.js';
import { jobState } from './repo.js';
import type { KeyedSerial } from './serial.js';

/** What was last sent about one job: the diff base for the next update. */
interface Sent {
  status: string;
  done: number;
  targets: Map<string, string>;
}

/** Jobs whose last sent state is remembered; past it the oldest is forgotten (its next update carries every target). */
const MAX_REMEMBERED = 2_000;

const targetSignature = (t: LiveTarget) => `${t.status}|${t.error ? JSON.stringify(t.error) : ''}`;

/**
 * Job updates for the live stream. A change notice schedules one read of the job (notices that
 * arrive before that read starts share it); the read is diffed against what was last sent, and
 * `job.updated` carries the job's status and progress with only the targets that changed.
 * Reads and snapshots of one job run in order on the job's key (see `KeyedSerial`).
 */
export class JobFeed {
  readonly #sent = new Map<string, Sent>();
  readonly #queued = new Set<string>();

  constructor(
    private readonly db: Pick<Db, 'withTenant'>,
    private readonly serial: KeyedSerial,
    private readonly emit: (keys: string[], frame: EncodedFrame) => void,
  ) {}

  /** Schedules a read of the job and an update to whoever watches it. */
  refresh(tenantId: string, jobId: string): void {
    const key = liveTopicKey({ kind: 'job', tenantId, jobId });
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.serial.run(key, async () => {
      this.#queued.delete(key);
      const state = await this.db.withTenant(tenantId, (q) => jobState(q, tenantId, jobId));
      if (state) this.#publish(key, state);
      else this.#sent.delete(key);
    });
  }

  /** Nobody watches the job any more: what was sent about it no longer matters. */
  forget(tenantId: string, jobId: string): void {
    this.#sent.delete(liveTopicKey({ kind: 'job', tenantId, jobId }));
  }

  /**
   * Runs `read` on the job's key, after every read already scheduled for it, so that the
   * snapshot it returns is never older than an update sent before it.
   */
  inOrder(tenantId: string, jobId: string, read: () => Promise<void>): void {
    this.serial.run(liveTopicKey({ kind: 'job', tenantId, jobId }), read);
  }

  #publish(key: string, state: LiveJobState): void {
    const before = this.#sent.get(key);
    const sigs = new Map(state.targets.map((t) => [t.deviceId, targetSignature(t)]));
    const changed = before
      ? state.targets.filter((t) => before.targets.get(t.deviceId) !== sigs.get(t.deviceId))
      : state.targets;
    if (
      before &&
      before.status === state.status &&
      before.done === state.progress.done &&
      changed.length === 0
    )
      return;
    this.#sent.delete(key);
    // A finished job never changes again; nothing to diff against later.
    if (!isTerminalStatus(state.status)) {
      this.#sent.set(key, { status: state.status, done: state.progress.done, targets: sigs });
      if (this.#sent.size > MAX_REMEMBERED) this.#sent.delete(this.#sent.keys().next().value!);
    }
    const keys = [key, liveTopicKey({ kind: 'tenant', tenantId: state.tenantId })];
    for (const t of changed)
      keys.push(liveTopicKey({ kind: 'device', tenantId: state.tenantId, deviceId: t.deviceId }));
    const at = new Date().toISOString();
    this.emit(keys, encodeFrame({ type: 'job.updated', at, job: { ...state, targets: changed } }));
  }
}
