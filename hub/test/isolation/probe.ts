import type { FastifyInstance } from 'fastify';
import type { TenantFixture } from './fixtures.js';
import { tenantSecrets } from './fixtures.js';
import { type BuiltRequest, buildRequest } from './route-cases.js';

export interface Answer {
  status: number;
  body: string;
}

const TIMEOUT_MS = 10_000;

/** One call as the holder of `token`; a route that never answers (a stream) is a failure, not a hang. */
export async function send(app: FastifyInstance, token: string, req: BuiltRequest): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Answer>((resolve) => {
    timer = setTimeout(() => resolve({ status: 0, body: `no answer within ${TIMEOUT_MS} ms` }), TIMEOUT_MS);
  });
  const call = app
    .inject({
      method: req.method,
      url: req.url,
      headers: { authorization: `Bearer ${token}` },
      ...(req.body !== undefined && { payload: req.body as object }),
    })
    .then((res) => ({ status: res.statusCode, body: res.body }));
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** The victim's secrets found in a body, except those the caller put in the request itself. */
export function leaked(answer: Answer, victim: TenantFixture, req: BuiltRequest): string[] {
  const asked = `${req.url} ${JSON.stringify(req.body ?? null)}`.toLowerCase();
  const body = answer.body.toLowerCase();
  return tenantSecrets(victim).filter(
    (s) => body.includes(s.toLowerCase()) && !asked.includes(s.toLowerCase()),
  );
}

const describeCall = (route: string, req: BuiltRequest, a: Answer) =>
  `${route} (${req.method} ${req.url}) answered ${a.status}: ${a.body.slice(0, 200)}`;

const TENANT_NOT_FOUND = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Tenant not found' } });

/**
 * `caller` uses the victim's tenant id and resource ids: every route must answer exactly the
 * 404 of a tenant that does not exist.
 */
export async function probeForeignTenant(
  app: FastifyInstance,
  caller: TenantFixture,
  victim: TenantFixture,
  route: string,
): Promise<string[]> {
  const req = buildRequest(route, victim.tenantId, victim);
  const answer = await send(app, caller.admin.token, req);
  const problems: string[] = [];
  if (answer.status !== 404 || answer.body !== TENANT_NOT_FOUND)
    problems.push(describeCall(route, req, answer));
  for (const s of leaked(answer, victim, req)) problems.push(`${route} leaked ${s}`);
  return problems;
}

/** Whether the caller's request itself names something of the victim. */
export const mentionsVictim = (req: BuiltRequest, victim: TenantFixture): boolean => {
  const asked = `${req.url} ${JSON.stringify(req.body ?? null)}`;
  return tenantSecrets(victim).some((s) => asked.includes(s));
};

/**
 * `caller` stays in their own tenant but names the victim's resources, in the path
 * (`pathFixture` = victim) or only in the query and body (`pathFixture` = caller):
 * - a path naming a victim's resource answers 404, as a resource that does not exist;
 * - a write naming victim resources in its body is refused (4xx);
 * - a read answers 200 (or 404 for a filter that must exist), and nothing of the victim shows.
 */
export async function probeOwnTenant(
  app: FastifyInstance,
  caller: TenantFixture,
  victim: TenantFixture,
  route: string,
  pathFixture: TenantFixture,
): Promise<string[]> {
  const req = buildRequest(route, caller.tenantId, pathFixture, victim);
  const answer = await send(app, caller.admin.token, req);
  const problems = leaked(answer, victim, req).map((s) => `${route} leaked ${s}`);
  const pathNamesVictim = req.itemRoute && pathFixture === victim;
  const ok = pathNamesVictim
    ? answer.status === 404
    : req.method === 'GET'
      ? answer.status === 200 || answer.status === 404
      : mentionsVictim(req, victim)
        ? answer.status >= 400 && answer.status < 500
        : answer.status > 0 && answer.status < 500;
  if (!ok) problems.push(describeCall(route, req, answer));
  return problems;
}
