import { randomUUID } from 'node:crypto';
import pino from 'pino';
import {
  type AgentToHubChannel,
  type ChannelBody,
  ChannelMessages,
  type HubToAgentChannel,
  messageFor,
  parseMessage,
  uuidv7,
} from '@drm/protocol';
import type { Db } from '../../src/db/types.js';
import { sealSecret, type SecretFields } from '../../src/modules/credentials/secret.js';
import { insertJob } from '../../src/modules/jobs/repo.js';
import type { AgentIdentity, InboundContext, InboundHandler, MqttHub } from '../../src/mqtt/types.js';
import type { SecretBox } from '../../src/security/secret-box.js';

export const silentLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface Published {
  tenantId: string;
  agentId: string;
  channel: HubToAgentChannel;
  body: unknown;
}

/**
 * Stands in for the broker at the library boundary: records what the hub publishes and hands
 * inbound bodies to the registered handlers after the same envelope validation the broker does.
 * Real MQTT is covered by the broker's own tests and the end-to-end suite.
 */
export class FakeMqttHub implements MqttHub {
  credentialsChanged(): void {}
  readonly published: Published[] = [];
  readonly handlers = new Map<AgentToHubChannel, InboundHandler<AgentToHubChannel>>();
  /** Makes `publish` reject for matching calls, as a broker that went away would. */
  failWhen: ((p: Omit<Published, 'body'>) => boolean) | null = null;
  readonly port = null;

  async publish<C extends HubToAgentChannel>(
    tenantId: string,
    agentId: string,
    channel: C,
    body: ChannelBody<C>,
  ): Promise<void> {
    if (this.failWhen?.({ tenantId, agentId, channel })) throw new Error('broker unavailable');
    // What the agent would parse: a body that breaks the protocol fails the test here.
    const parsed = ChannelMessages[channel].parse(JSON.parse(JSON.stringify(messageFor(channel, body))));
    this.published.push({ tenantId, agentId, channel, body: parsed.body });
  }

  handle<C extends AgentToHubChannel>(channel: C, handler: InboundHandler<C>): void {
    this.handlers.set(channel, handler as unknown as InboundHandler<AgentToHubChannel>);
  }

  onAgentConnected(_listener: (agent: AgentIdentity) => Promise<void> | void): void {}
  onAgentDisconnected(_listener: (agent: AgentIdentity) => Promise<void> | void): void {}
  disconnectAgent(_tenantId: string, _agentId: string): void {}

  /** Delivers a body from an agent as the broker would; returns the envelope id. */
  async deliver<C extends AgentToHubChannel>(
    channel: C,
    from: AgentIdentity,
    body: unknown,
    opts: { id?: string; receivedAt?: Date } = {},
  ): Promise<string> {
    const text = JSON.stringify(messageFor(channel, body as ChannelBody<C>, { id: opts.id ?? uuidv7() }));
    return this.deliverText(channel, from, text, opts);
  }

  /** Delivers a payload as written (any JSON spelling), parsed as the broker's dispatcher parses it. */
  async deliverText<C extends AgentToHubChannel>(
    channel: C,
    from: AgentIdentity,
    text: string,
    opts: { receivedAt?: Date } = {},
  ): Promise<string> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    const parsed = parseMessage(channel, text);
    if (!parsed.ok) throw new Error(parsed.error);
    const ctx: InboundContext = {
      ...from,
      receivedAt: opts.receivedAt ?? new Date(),
      log: silentLog,
      payloadText: parsed.exactText,
    };
    await handler(parsed.message as never, ctx);
    return parsed.message.id;
  }

  sent<C extends HubToAgentChannel>(channel: C, agentId?: string): ChannelBody<C>[] {
    return this.published
      .filter((p) => p.channel === channel && (!agentId || p.agentId === agentId))
      .map((p) => p.body as ChannelBody<C>);
  }

  clear(): void {
    this.published.length = 0;
  }
}

export interface TenantFixture {
  tenantId: string;
  siteId: string;
  /** Two agents: most devices are on `agentA`. */
  agentA: string;
  agentB: string;
  community: string;
  v3: string;
  cwmp: string;
  /** v2c with the community credential, on agent A. */
  snmpDev: string;
  /** v3 with the v3 credential, on agent A. */
  v3Dev: string;
  /** TR-181 with the cwmp credential, on agent A. */
  trDev: string;
  /** v2c on agent B. */
  otherDev: string;
  /** v2c, no agent. */
  loneDev: string;
}

export const SECRETS = {
  community: 'pr1vate-c0mmunity',
  authKey: 'auth-key-123456',
  privKey: 'priv-key-654321',
  password: 'cwmp-pass',
} as const;

async function insertCredential(
  db: Db,
  secrets: SecretBox,
  tenantId: string,
  c: {
    name: string;
    kind: string;
    version?: string;
    username?: string;
    level?: string;
    fields: SecretFields;
  },
): Promise<string> {
  const id = randomUUID();
  await db.withTenant(tenantId, (q) =>
    q.query(
      `INSERT INTO credentials (tenant_id, id, name, kind, version, username, security_level, auth_protocol,
                                priv_protocol, secret, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        tenantId,
        id,
        c.name,
        c.kind,
        c.version ?? null,
        c.username ?? null,
        c.level ?? null,
        c.level ? 'sha256' : null,
        c.level ? 'aes' : null,
        sealSecret(secrets, tenantId, id, c.fields),
        secrets.keyId,
      ],
    ),
  );
  return id;
}

/** A tenant with a site, two agents, three credentials and five devices; see `TenantFixture`. */
export async function tenantFixture(
  db: Db,
  secrets: SecretBox,
  makeTenant: (name: string) => Promise<string>,
): Promise<TenantFixture> {
  const tenantId = await makeTenant(`MQTT ${randomUUID().slice(0, 8)}`);
  const [siteId, agentA, agentB] = [randomUUID(), randomUUID(), randomUUID()];
  await db.withTenant(tenantId, async (q) => {
    await q.query('INSERT INTO sites (tenant_id, id, name) VALUES ($1, $2, $3)', [tenantId, siteId, 'HQ']);
    for (const agent of [agentA, agentB]) {
      await q.query(
        `INSERT INTO agents (tenant_id, id, site_id, name, mqtt_username, secret_hash)
         VALUES ($1, $2, $3, $4, $5, 'x')`,
        [tenantId, agent, siteId, `edge-${agent.slice(0, 8)}`, `agent-${agent}`],
      );
    }
  });
  const community = await insertCredential(db, secrets, tenantId, {
    name: 'ro',
    kind: 'snmp-community',
    version: '2c',
    fields: { community: SECRETS.community },
  });
  const v3 = await insertCredential(db, secrets, tenantId, {
    name: 'v3',
    kind: 'snmp-v3',
    version: '3',
    username: 'ops',
    level: 'authPriv',
    fields: { authKey: SECRETS.authKey, privKey: SECRETS.privKey },
  });
  const cwmp = await insertCredential(db, secrets, tenantId, {
    name: 'acs',
    kind: 'cwmp',
    username: 'cpe',
    fields: { password: SECRETS.password },
  });
  const snmp = (credentialId: string, version = '2c') =>
    JSON.stringify({ version, port: 1161, credentialId, timeoutMs: 1500, retries: 2, maxRepetitions: 30 });
  const devices = {
    snmpDev: [agentA, snmp(community), null, '192.0.2.1'],
    v3Dev: [agentA, snmp(v3, '3'), null, '192.0.2.2'],
    trDev: [agentA, null, JSON.stringify({ url: 'http://192.0.2.3:7547/', credentialId: cwmp }), '192.0.2.3'],
    otherDev: [agentB, snmp(community), null, '192.0.2.4'],
    loneDev: [null, snmp(community), null, '192.0.2.5'],
  } as const;
  const ids: Record<string, string> = {};
  await db.withTenant(tenantId, async (q) => {
    for (const [name, [agent, sp, tr, address]] of Object.entries(devices)) {
      ids[name] = randomUUID();
      await q.query(
        `INSERT INTO devices (tenant_id, id, site_id, agent_id, name, address, snmp, tr181)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
        [tenantId, ids[name], siteId, agent, name, address, sp, tr],
      );
    }
  });
  return {
    tenantId,
    siteId,
    agentA,
    agentB,
    community,
    v3,
    cwmp,
    snmpDev: ids.snmpDev!,
    v3Dev: ids.v3Dev!,
    trDev: ids.trDev!,
    otherDev: ids.otherDev!,
    loneDev: ids.loneDev!,
  };
}

/** Stores a queued job directly, as the job service does. */
export async function queueJob(
  db: Db,
  tenantId: string,
  deviceIds: string[],
  spec: { kind: string; params: unknown } = { kind: 'snmp.get', params: { oids: ['1.3.6.1.2.1.1.1.0'] } },
  expiresInSeconds = 3600,
): Promise<string> {
  const job = await db.withTenant(tenantId, (q) =>
    insertJob(q, tenantId, {
      kind: spec.kind as never,
      params: spec.params,
      deviceIds,
      createdBy: null,
      expiresInSeconds,
    }),
  );
  return job.id;
}

export interface TargetState {
  deviceId: string;
  agentId: string | null;
  status: string;
  attempts: number;
  dispatchedAt: Date | null;
  receiptedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: { code: string; message: string } | null;
  progress: Record<string, unknown> | null;
}

export async function targetsOf(db: Db, tenantId: string, jobId: string): Promise<Map<string, TargetState>> {
  const { rows } = await db.withTenant(tenantId, (q) =>
    q.query<TargetState>(
      `SELECT device_id AS "deviceId", agent_id AS "agentId", status, attempts, dispatched_at AS "dispatchedAt",
              receipted_at AS "receiptedAt", started_at AS "startedAt", finished_at AS "finishedAt", error, progress
         FROM job_targets WHERE job_id = $1`,
      [jobId],
    ),
  );
  return new Map(rows.map((r) => [r.deviceId, r]));
}

export async function jobOf(
  db: Db,
  tenantId: string,
  jobId: string,
): Promise<{ status: string; doneTargets: number; startedAt: Date | null; finishedAt: Date | null }> {
  const { rows } = await db.withTenant(tenantId, (q) =>
    q.query<{ status: string; doneTargets: number; startedAt: Date | null; finishedAt: Date | null }>(
      `SELECT status, done_targets AS "doneTargets", started_at AS "startedAt", finished_at AS "finishedAt"
         FROM jobs WHERE id = $1`,
      [jobId],
    ),
  );
  return rows[0]!;
}
