import { type ApiToken, ApiTokenCreate } from '@drm/protocol';
import { shellQuote } from '../../lib/enroll-commands.js';
import { formatDate } from '../../lib/format.js';
import { issueFields } from '../../lib/issues.js';

/** How long a new token works: value in days ('' for no end), words. */
export const EXPIRY_CHOICES: readonly [string, string][] = [
  ['90', '90 days'],
  ['30', '30 days'],
  ['365', '1 year'],
  ['', 'No expiry'],
];

/** The request that makes a token, checked with the hub's schema, or the problems by field. */
export function buildTokenRequest(
  name: string,
  expiresInDays: string,
): { body: ApiTokenCreate | null; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  if (name.trim() === '') errors.set('name', 'Name the token after the script or system that uses it');
  const parsed = ApiTokenCreate.safeParse({
    name,
    ...(expiresInDays !== '' && { expiresInDays: Number(expiresInDays) }),
  });
  if (!parsed.success) issueFields(parsed.error.issues, '', errors);
  return errors.size > 0 ? { body: null, errors } : { body: parsed.data ?? null, errors };
}

/**
 * A command that shows the token at work: the tenant's devices, read with the token in the
 * `Authorization` header (the hub never takes a token from a URL). Quoted for a POSIX shell.
 */
export function curlExample(hubOrigin: string, tenantId: string, token: string): string {
  const url = `${hubOrigin.replace(/\/+$/, '')}/api/v1/tenants/${encodeURIComponent(tenantId)}/devices`;
  return `curl -H ${shellQuote(`Authorization: Bearer ${token}`)} ${shellQuote(url)}`;
}

/** "Never" for a token without an end, else the day it stops working. */
export function expiryText(t: Pick<ApiToken, 'expiresAt'>): string {
  return t.expiresAt ? formatDate(t.expiresAt) : 'Never';
}
