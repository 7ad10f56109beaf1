import { type JobStatus, type TargetStatus, isTerminalStatus } from '@drm/protocol';

/**
 * How far along its life a target is. A target only moves forward: queued → dispatched →
 * running → one terminal status, and never leaves a terminal status.
 */
const STAGE: Record<TargetStatus, number> = {
  queued: 0,
  dispatched: 1,
  running: 2,
  succeeded: 3,
  failed: 3,
  partial: 3,
  cancelled: 3,
  expired: 3,
};

/**
 * Whether a target may go from `from` to `to`. Moving forward past a stage is allowed:
 * receipts, progress and results travel on separate MQTT topics (and progress may be lost),
 * so the hub can see an agent's result before the `running` progress, or its receipt before
 * it recorded the dispatch. Staying put is not a transition.
 */
export function canTransition(from: TargetStatus, to: TargetStatus): boolean {
  if (isTerminalStatus(from)) return false;
  return STAGE[to] > STAGE[from];
}

export type StatusCounts = Partial<Record<TargetStatus, number>>;

/**
 * A job's status from its targets' statuses:
 * - not every target terminal: `running` once any target runs or has finished, else
 *   `dispatched` once any was dispatched, else `queued`;
 * - every target terminal: `succeeded` if all succeeded; `partial` if some succeeded (or
 *   were partial) and some did not; with no success at all, the one status they share, or
 *   `failed` if any failed, or `cancelled` if any was cancelled, or else `expired`.
 */
export function aggregateJobStatus(counts: StatusCounts): JobStatus {
  const n = (s: TargetStatus) => counts[s] ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const active = n('queued') + n('dispatched') + n('running');
  if (total === 0) return 'queued';
  if (active > 0) {
    if (n('running') > 0 || active < total) return 'running';
    return n('dispatched') > 0 ? 'dispatched' : 'queued';
  }
  if (n('succeeded') === total) return 'succeeded';
  if (n('succeeded') + n('partial') > 0) return 'partial';
  if (n('failed') > 0) return 'failed';
  return n('cancelled') > 0 ? 'cancelled' : 'expired';
}
