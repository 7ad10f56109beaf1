import {
  type DeviceAccess,
  encodeMessage,
  type JobDispatch,
  MAX_MESSAGE_BYTES,
  messageFor,
} from '@drm/protocol';

/** `JobDispatch.targets` holds at most this many devices. */
export const MAX_TARGETS_PER_DISPATCH = 1000;

export interface SplitDispatch {
  bodies: JobDispatch[];
  /** Devices whose access material alone does not fit one message with the job's params. */
  tooLarge: string[];
}

const utf8 = new TextEncoder();
const bytesOf = (value: unknown) => utf8.encode(JSON.stringify(value)).length;

/**
 * Splits one agent's targets of a job into as few `JobDispatch` bodies as fit
 * `maxBytes` each once enveloped (the protocol's limit by default) and 1000 targets each. Each
 * body repeats the job; the agent keys its inbox on (jobId, deviceId), so the parts compose.
 */
export function splitDispatch(
  base: Omit<JobDispatch, 'targets'>,
  targets: readonly DeviceAccess[],
  maxBytes = MAX_MESSAGE_BYTES,
): SplitDispatch {
  const withTargets = (t: DeviceAccess[]) => ({ ...base, targets: t }) as JobDispatch;
  // The envelope's id and timestamp have fixed lengths, so one measurement holds for all parts.
  const fixed = bytesOf(messageFor('jobs', withTargets([])));
  const chunks: DeviceAccess[][] = [];
  const tooLarge: string[] = [];
  let current: DeviceAccess[] = [];
  let size = fixed;
  for (const target of targets) {
    // One comma between array elements; the first element has none, a harmless overcount.
    const extra = bytesOf(target) + 1;
    if (fixed + extra > maxBytes) {
      tooLarge.push(target.deviceId);
      continue;
    }
    if (size + extra > maxBytes || current.length >= MAX_TARGETS_PER_DISPATCH) {
      chunks.push(current);
      current = [];
      size = fixed;
    }
    current.push(target);
    size += extra;
  }
  if (current.length > 0) chunks.push(current);
  return { bodies: chunks.flatMap((c) => checked(c, withTargets, maxBytes)), tooLarge };
}

/** Re-measures a part as the broker will see it and halves it if the estimate was off. */
function checked(
  targets: DeviceAccess[],
  withTargets: (t: DeviceAccess[]) => JobDispatch,
  maxBytes: number,
): JobDispatch[] {
  const body = withTargets(targets);
  if (targets.length <= 1 || encodeMessage(messageFor('jobs', body)).bytes <= maxBytes) return [body];
  const half = Math.ceil(targets.length / 2);
  return [
    ...checked(targets.slice(0, half), withTargets, maxBytes),
    ...checked(targets.slice(half), withTargets, maxBytes),
  ];
}
