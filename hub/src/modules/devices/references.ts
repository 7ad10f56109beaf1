import type { SnmpProfile, Tr181Profile } from '@drm/protocol';
import type { Queryable } from '../../db/types.js';
import { Errors, withDetails } from '../../errors.js';

export interface ReferenceIssue {
  path: string;
  message: string;
}

/** What a device body may point at; fields left out are not checked. */
export interface DeviceReferences {
  siteId?: string | undefined;
  agentId?: string | null | undefined;
  snmp?: SnmpProfile | null | undefined;
  tr181?: Tr181Profile | null | undefined;
}

/**
 * Row-level security hides other tenants' rows, so an id of another tenant looks exactly
 * like one that does not exist: the answer is the same and says nothing about other tenants.
 */
async function exists(q: Queryable, sql: string, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await q.query<Record<string, unknown>>(sql, [id]);
  return rows[0] ?? null;
}

async function checkSite(q: Queryable, siteId: string, issues: ReferenceIssue[]): Promise<void> {
  if (!(await exists(q, 'SELECT 1 FROM sites WHERE id = $1', siteId))) {
    issues.push({ path: '/siteId', message: `there is no site ${siteId} in this tenant` });
  }
}

async function checkAgent(q: Queryable, agentId: string, issues: ReferenceIssue[]): Promise<void> {
  const agent = await exists(q, 'SELECT revoked_at AS "revokedAt" FROM agents WHERE id = $1', agentId);
  if (!agent) issues.push({ path: '/agentId', message: `there is no agent ${agentId} in this tenant` });
  else if (agent.revokedAt) issues.push({ path: '/agentId', message: `agent ${agentId} has been revoked` });
}

/**
 * A credential must exist in this tenant and be of the kind the profile needs. FOR KEY SHARE
 * keeps it from being deleted until this transaction ends; the delete locks it first and then
 * looks for devices, so it either waits for this write and sees it, or this check finds nothing.
 */
async function checkCredential(
  q: Queryable,
  path: string,
  credentialId: string,
  wanted: string,
  why: string,
  issues: ReferenceIssue[],
): Promise<void> {
  const row = await exists(q, 'SELECT kind FROM credentials WHERE id = $1 FOR KEY SHARE', credentialId);
  if (!row) issues.push({ path, message: `there is no credential ${credentialId} in this tenant` });
  else if (row.kind !== wanted)
    issues.push({ path, message: `${why} needs a ${wanted} credential, not ${row.kind}` });
}

async function checkSnmp(q: Queryable, snmp: SnmpProfile, issues: ReferenceIssue[]): Promise<void> {
  const v3 = snmp.version === '3';
  if (!snmp.credentialId) {
    // A v1/v2c device without a credential is polled with the agent's default community.
    if (v3)
      issues.push({
        path: '/snmp/credentialId',
        message: 'is required for SNMP v3 (the user and keys live there)',
      });
    return;
  }
  await checkCredential(
    q,
    '/snmp/credentialId',
    snmp.credentialId,
    v3 ? 'snmp-v3' : 'snmp-community',
    `SNMP v${snmp.version}`,
    issues,
  );
}

/** Throws 400 naming every field of `d` that points at nothing usable in the caller's tenant. */
export async function checkDeviceReferences(q: Queryable, d: DeviceReferences): Promise<void> {
  const issues: ReferenceIssue[] = [];
  if (d.siteId !== undefined) await checkSite(q, d.siteId, issues);
  if (d.agentId) await checkAgent(q, d.agentId, issues);
  if (d.snmp) await checkSnmp(q, d.snmp, issues);
  if (d.tr181?.credentialId) {
    await checkCredential(q, '/tr181/credentialId', d.tr181.credentialId, 'cwmp', 'TR-181', issues);
  }
  throwIssues(issues);
}

export function throwIssues(issues: readonly ReferenceIssue[]): void {
  const first = issues[0];
  if (!first) return;
  throw withDetails(new Errors.VALIDATION(`Invalid body: ${first.path} ${first.message}`), issues);
}
