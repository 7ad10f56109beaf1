import { ErrorBody } from '@drm/protocol';
import { CommandError } from './errors.js';

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * What this client needs of a zod schema (the protocol's), so every answer is parsed by the
 * schema the hub serialized it with.
 */
export interface Schema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** The hub answered with an error: its `{error: {code, message}}`, or only a status. */
export class HubApiError extends CommandError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly hubMessage: string,
    what: string,
    readonly retryAfter: string | null,
  ) {
    super(`the hub refused ${what}: ${hubMessage} (HTTP ${status} ${code})`);
    this.name = 'HubApiError';
  }
}

interface SendOptions {
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
}

/** REST calls to one hub with a bearer token; failures become `CommandError`s that say what happened. */
export class HubClient {
  #token: string | null = null;

  constructor(readonly baseUrl: string) {}

  /** The bearer token sent from now on (a login's session token or an API token). */
  useToken(token: string): void {
    this.#token = token;
  }

  /** One call; the answer is parsed with `schema` or the call fails. */
  async request<T>(method: string, path: string, schema: Schema<T>, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const res = await this.send(method, path, { body, signal });
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.unreachable(err);
    }
    const json = parseJson(text);
    if (!res.ok) throw this.refusal(res, json, what);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
      throw new CommandError(
        `unexpected answer from the hub to ${what} (${where}${issue?.message ?? 'invalid'}); ` +
          `is ${this.baseUrl} a DRM hub of this version?`,
      );
    }
    return parsed.data;
  }

  /**
   * Sends a request and returns the response as it is (for streams). A network failure is
   * the hub being out of reach, unless the caller's `signal` ended the request: that
   * `AbortError` is thrown as is.
   */
  async send(method: string, path: string, opts: SendOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
        signal: opts.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (opts.signal?.aborted && (err as Error).name === 'AbortError') throw err;
      throw this.unreachable(err);
    }
  }

  /** A failed request in words: the address, why, and how to start the demo hub. */
  unreachable(err: unknown): CommandError {
    return new CommandError(
      `cannot reach the hub at ${this.baseUrl} (${networkReason(err)}). Is it running? ` +
        'Start it with `npm start`, or give its address with --hub URL or HUB_URL',
    );
  }

  refusal(res: Response, json: unknown, what: string): CommandError {
    const body = ErrorBody.safeParse(json);
    if (body.success) {
      const { code, message } = body.data.error;
      return new HubApiError(res.status, code, message, what, res.headers.get('retry-after'));
    }
    return new CommandError(
      `${this.baseUrl} answered HTTP ${res.status} ${res.statusText} to ${what}, not as the DRM hub ` +
        "answers; is it the hub's address?",
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch() says only "fetch failed"; the reason is in its cause. */
function networkReason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = e?.cause;
  if (cause?.code && cause.message)
    return cause.message.includes(cause.code) ? cause.message : `${cause.code} ${cause.message}`;
  return cause?.message ?? e?.message ?? String(err);
}
