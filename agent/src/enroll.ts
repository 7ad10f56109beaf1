import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { z } from 'zod';
import { EnrollRequest, EnrollResponse, ErrorBody } from '@drm/protocol';
import { type Identity, SchemaVersionError, Store, StoreLockedError } from './store/index.js';

/** Enrollment failed; the message says why in words for the person at the terminal. */
export class EnrollError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrollError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const HubUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** This build's version, from the package's manifest (one level above `src/` and `dist/`). */
export function agentVersion(): string {
  const manifest = new URL('../package.json', import.meta.url);
  return z.object({ version: z.string().min(1).max(64) }).parse(JSON.parse(readFileSync(manifest, 'utf8')))
    .version;
}

/** The default agent name: the host name, cut to what the hub accepts. */
export function defaultAgentName(): string {
  return hostname().slice(0, 200) || 'drm-agent';
}

/** Checks `--hub`; returns it without a trailing slash, or null when it is not an http(s) URL. */
export function normaliseHubUrl(value: string): string | null {
  const parsed = HubUrl.safeParse(value.trim());
  return parsed.success ? parsed.data.replace(/\/+$/, '') : null;
}

export interface EnrollOptions {
  /** Base URL of the hub, already checked by `normaliseHubUrl`. */
  hubUrl: string;
  token: string;
  name: string;
  dataDir: string;
  /** Replace an existing enrollment. */
  force: boolean;
  version: string;
  log: Logger;
  timeoutMs?: number;
}

export interface EnrollOutcome {
  identity: Identity;
  /** The enrollment `--force` replaced, with what it held that is now gone. */
  replaced: { identity: Identity; queued: number; unsent: number } | null;
}

/**
 * Enrolls this agent: refuses an enrolled data folder unless `force` (checked before the
 * token is spent), calls `POST {hub}/api/v1/agents/enroll`, validates the answer, and stores
 * the identity. A new identity starts from an empty store: jobs, results and desired state
 * of a previous enrollment belong to another agent id, which the broker no longer lets us use.
 */
export async function enroll(opts: EnrollOptions): Promise<EnrollOutcome> {
  const store = openForEnroll(opts.dataDir, opts.log);
  try {
    const existing = store.identity.get();
    if (existing && !opts.force) {
      throw new EnrollError(
        `${opts.dataDir} is already enrolled as agent ${existing.name} (${existing.agentId}) with ${existing.hubUrl}; ` +
          'add --force to enroll it again as a new agent (its queued jobs and unsent results are discarded)',
      );
    }
    const request = EnrollRequest.parse({ token: opts.token, name: opts.name, version: opts.version });
    const answer = await requestEnrollment(opts.hubUrl, request, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const identity: Identity = {
      agentId: answer.agentId,
      tenantId: answer.tenantId,
      siteId: answer.siteId,
      name: request.name,
      hubUrl: opts.hubUrl,
      mqtt: answer.mqtt,
      enrolledAt: new Date().toISOString(),
    };
    const counts = store.inbox.counts();
    const replaced = existing
      ? { identity: existing, queued: counts.queued + counts.running, unsent: store.outbox.stats().count }
      : null;
    try {
      store.transaction(() => {
        store.reset();
        store.identity.set(identity);
      });
    } catch (err) {
      // The token is spent: say which agent it made, so an admin can revoke it.
      throw new EnrollError(
        `the hub enrolled agent ${answer.agentId} but it could not be stored in ${store.path} ` +
          `(${(err as Error).message}); revoke that agent on the hub and enroll with a new token`,
      );
    }
    opts.log.info({ agentId: identity.agentId, tenantId: identity.tenantId }, 'agent enrolled');
    return { identity, replaced };
  } finally {
    store.close();
  }
}

function openForEnroll(dataDir: string, log: Logger): Store {
  try {
    return Store.open(dataDir, { log });
  } catch (err) {
    if (err instanceof StoreLockedError || err instanceof SchemaVersionError)
      throw new EnrollError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw new EnrollError(
        `cannot write the data folder ${dataDir} (${e.code}): choose one with --data-dir`,
      );
    }
    throw err;
  }
}

/** One POST to the hub; every failure becomes an `EnrollError` that says what happened. */
async function requestEnrollment(
  hubUrl: string,
  request: EnrollRequest,
  timeoutMs: number,
): Promise<EnrollResponse> {
  const url = new URL('api/v1/agents/enroll', `${hubUrl}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new EnrollError(`cannot reach the hub at ${hubUrl}: ${networkReason(err, timeoutMs)}`);
  }
  const text = await res.text().catch(() => '');
  const json = parseJson(text);
  if (!res.ok) {
    const body = ErrorBody.safeParse(json);
    if (body.success) {
      throw new EnrollError(
        `the hub refused the enrollment: ${body.data.error.message} (HTTP ${res.status} ${body.data.error.code})`,
      );
    }
    throw new EnrollError(
      `the hub answered HTTP ${res.status} ${res.statusText} to ${url.href}; is ${hubUrl} the hub's address?`,
    );
  }
  const parsed = EnrollResponse.safeParse(json);
  if (!parsed.success) {
    throw new EnrollError(
      `the answer from ${url.href} is not an enrollment (${parsed.error.issues[0]?.message ?? 'invalid'}); ` +
        'if it came from the hub, the token may be spent: ask for a new one',
    );
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch() says only "fetch failed"; the reason is in its cause. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = e?.cause;
  if (cause?.code && cause.message)
    return cause.message.includes(cause.code) ? cause.message : `${cause.code} ${cause.message}`;
  return cause?.message ?? e?.message ?? String(err);
}
