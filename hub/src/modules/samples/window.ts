import { SAMPLE_WINDOW } from '@drm/protocol';
import { Errors, withDetails } from '../../errors.js';

const HOUR_MS = 3_600_000;
const DEFAULT_MS = SAMPLE_WINDOW.defaultHours * HOUR_MS;
const MAX_MS = SAMPLE_WINDOW.maxDays * 24 * HOUR_MS;

/** The window a query reads: [from, to), the default filled in, never wider than the maximum. */
export function sampleWindow(
  from: string | undefined,
  to: string | undefined,
  now = Date.now(),
): { from: Date; to: Date } {
  const end =
    to !== undefined
      ? Date.parse(to)
      : from !== undefined
        ? Math.min(Date.parse(from) + DEFAULT_MS, now)
        : now;
  const start = from !== undefined ? Date.parse(from) : end - DEFAULT_MS;
  if (end - start > MAX_MS) {
    const message = `the window from ${new Date(start).toISOString()} to ${new Date(end).toISOString()} is wider than ${SAMPLE_WINDOW.maxDays} days`;
    throw withDetails(new Errors.VALIDATION(`Invalid querystring: /from ${message}`), [
      { path: '/from', message },
    ]);
  }
  if (end <= start) {
    const message = 'must be after from';
    throw withDetails(new Errors.VALIDATION(`Invalid querystring: /to ${message}`), [
      { path: '/to', message },
    ]);
  }
  return { from: new Date(start), to: new Date(end) };
}
