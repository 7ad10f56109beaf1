/** A failed API call: the hub's `{error: {code, message, details?}}`, or what stood in for it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The request never got an answer: offline, DNS, the hub down, or aborted. */
export const NETWORK = 'NETWORK';

/** What to tell a person about an error: a short headline and, when it helps, more. */
export interface ErrorText {
  title: string;
  detail?: string;
}

/**
 * Words for each error code the hub's catalogue uses. The hub's own message follows as the
 * detail when it says more than the headline (it names the field, the role, the conflict).
 */
const HEADLINES: Record<string, string> = {
  VALIDATION: 'Some of what was entered is not valid',
  BAD_CURSOR: 'The list changed while paging; start again from the first page',
  UNAUTHENTICATED: 'Your session has ended; please log in again',
  INVALID_CREDENTIALS: 'Wrong email or password',
  FORBIDDEN: 'Your role does not allow this',
  NOT_FOUND: 'Not found: it may have been deleted, or you do not have access to it',
  CONFLICT: 'That conflicts with what is already there',
  ENROLLMENT_TOKEN_INVALID: 'That enrollment token cannot be used',
  INVITATION_INVALID: 'That invitation cannot be used',
  BAD_REQUEST: 'The hub could not accept this request',
  PAYLOAD_TOO_LARGE: 'That is too much data to send at once',
  UNSUPPORTED_MEDIA_TYPE: 'The hub could not read the request',
  RATE_LIMITED: 'Too many attempts; wait a moment and try again',
  UNAVAILABLE: 'The hub cannot do this right now; try again shortly',
  INTERNAL: 'Something went wrong on the hub; it has been logged',
  [NETWORK]: 'Cannot reach the hub; check the connection and try again',
};

function byStatus(status: number): string {
  if (status === 401) return HEADLINES.UNAUTHENTICATED!;
  if (status === 403) return HEADLINES.FORBIDDEN!;
  if (status === 404) return HEADLINES.NOT_FOUND!;
  if (status === 409) return HEADLINES.CONFLICT!;
  if (status === 429) return HEADLINES.RATE_LIMITED!;
  if (status >= 500) return `The hub answered with an error (HTTP ${status}); try again shortly`;
  return `The request was refused (HTTP ${status})`;
}

/** The hub prefixes some messages with its catalogue text; strip what the headline already says. */
function detailOf(err: ApiError, title: string): string | undefined {
  let msg = err.message.trim();
  const forbidden = /^Your role in this tenant does not allow this:\s*/i;
  if (forbidden.test(msg)) msg = msg.replace(forbidden, '');
  const invalid = /^Invalid (?:body|querystring|params|request): (\/\S*) (.*)$/s.exec(msg);
  if (invalid) msg = `${fieldLabel(invalid[1]!)}${invalid[2]}`;
  if (!msg || msg.toLowerCase() === title.toLowerCase()) return undefined;
  if (err.code === 'INTERNAL' || err.code === NETWORK) return undefined;
  return msg.charAt(0).toUpperCase() + msg.slice(1);
}

/** Turns anything a call threw into words for a person. */
export function describeError(err: unknown): ErrorText {
  if (err instanceof ApiError) {
    const title = HEADLINES[err.code] ?? byStatus(err.status);
    const detail = detailOf(err, title);
    return detail ? { title, detail } : { title };
  }
  if (err instanceof DOMException && err.name === 'AbortError') return { title: 'Cancelled' };
  return { title: 'Something went wrong in the dashboard', detail: String((err as Error)?.message ?? err) };
}

/** A one-line message: headline and detail together. */
export function errorMessage(err: unknown): string {
  const { title, detail } = describeError(err);
  return detail ? `${title}: ${detail}` : title;
}

/**
 * Validation messages by field, keyed by dotted path (`params.oids.0`, `snmp.port`), from the
 * hub's `details: [{path: '/params/oids/0', message}]`. Forms show each next to its input.
 */
export function fieldErrors(err: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!(err instanceof ApiError) || err.code !== 'VALIDATION' || !Array.isArray(err.details)) return out;
  for (const item of err.details as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { path, message } = item as { path?: unknown; message?: unknown };
    if (typeof message !== 'string') continue;
    const key = typeof path === 'string' ? path.replace(/^\//, '').replaceAll('/', '.') : '';
    if (!out.has(key)) out.set(key, sentence(message));
  }
  return out;
}

/** The first error at `path` or below it (`params` finds `params.oids.0`). */
export function errorAt(errors: ReadonlyMap<string, string>, path: string): string | undefined {
  for (const [key, message] of errors) {
    if (key === path || key.startsWith(`${path}.`)) return message;
  }
  return undefined;
}

/** `/params/oids/0` → `params › oids › 1: ` (people count from one); `/` → nothing. */
function fieldLabel(pointer: string): string {
  const parts = pointer.split('/').filter(Boolean);
  if (parts.length === 0) return '';
  return `${parts.map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p)).join(' › ')}: `;
}

function sentence(message: string): string {
  const text = message.trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
