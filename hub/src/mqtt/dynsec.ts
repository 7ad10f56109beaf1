import { randomUUID } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { AGENT_TO_HUB, HUB_TO_AGENT, topicFor } from '@drm/protocol';
import type { Logger } from 'pino';
import { agentUsername } from '../modules/agents/broker-auth.js';
import { hubClientOptions } from './external-broker.js';
import { z } from 'zod';

/** An agent's login as the hub issued it at enrollment: the only moment its password is known. */
export interface AgentLogin {
  tenantId: string;
  agentId: string;
  username: string;
  password: string;
}

/**
 * Agent logins kept in an external broker by the hub: created at enrollment, removed at
 * revocation (which drops the agent's connection), and reconciled against the agents table.
 */
export interface BrokerAccounts {
  /** Creates the agent's login and topic rights; throws when the broker does not confirm them. */
  provision(agent: AgentLogin): Promise<void>;
  /**
   * Gives the agent's existing login a new password (credential rotation); throws when the
   * broker does not confirm it, or has no such login (never creates one: the agent may have
   * been revoked meanwhile).
   */
  setPassword(agent: AgentLogin): Promise<void>;
  /** Removes the agent's login; the broker drops its connection at once. */
  remove(agentId: string): Promise<void>;
  /** Removes the logins the agents table no longer allows (also on each reconnection and every few minutes). */
  reconcile(): Promise<void>;
  /** Throws, saying why, while logins cannot be managed (readiness). */
  check(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface KnownAgents {
  /** Enrolled and not revoked (lower-case ids). */
  allowed: Set<string>;
  revoked: Set<string>;
}

export interface DynsecOptions {
  url: string;
  /** The hub's login: a client of the dynamic-security plugin with its `admin` role. */
  username: string | undefined;
  password: string | undefined;
  /** Every agent in the agents table, over every tenant: the ones allowed and the revoked ones. */
  knownAgents: () => Promise<KnownAgents>;
  log: Logger;
  /** How often the broker's logins are reconciled with the agents table; default 5 min. */
  reconcileEveryMs?: number | undefined;
  /** How long one request may wait for the plugin's answer; default 5 s. */
  timeoutMs?: number | undefined;
  /** How soon a failed set-up is tried again while the connection holds; default 5 s. */
  setUpRetryMs?: number | undefined;
}

const CONTROL = '$CONTROL/dynamic-security/v1';
const RESPONSE = `${CONTROL}/response`;
/** The role that lets the hub write the hub-to-agent channels of every agent. */
export const HUB_ROLE = 'drm-hub';
const AGENT_USER = /^agent-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const AGENT_ROLE = /^drm-agent-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const agentRole = (agentId: string) => `drm-agent-${agentId.toLowerCase()}`;

interface Command {
  command: string;
  [field: string]: unknown;
}

/** What the plugin answers on its response topic (fields this module does not read are kept). */
const Answer = z.object({
  responses: z.array(
    z.looseObject({
      command: z.string(),
      error: z.string().optional(),
      data: z.unknown().optional(),
      correlationData: z.string().optional(),
    }),
  ),
});
type Response = z.infer<typeof Answer>['responses'][number];

const ClientList = z.looseObject({ clients: z.array(z.string()) });
const RoleList = z.looseObject({ roles: z.array(z.string()) });
const RoleAcls = z.looseObject({
  role: z.looseObject({
    acls: z.array(z.looseObject({ acltype: z.string(), topic: z.string(), allow: z.boolean() })),
  }),
});
const ClientRoles = z.looseObject({
  client: z.looseObject({ roles: z.array(z.looseObject({ rolename: z.string() })) }),
});

/** The ACL of one agent: exactly what the embedded broker allows it (see acl.ts). */
export function agentAcls(
  tenantId: string,
  agentId: string,
): { acltype: string; topic: string; allow: true }[] {
  const t = tenantId.toLowerCase();
  const a = agentId.toLowerCase();
  return [
    ...AGENT_TO_HUB.map((c) => ({
      acltype: 'publishClientSend',
      topic: topicFor(t, a, c),
      allow: true as const,
    })),
    ...HUB_TO_AGENT.flatMap((c) => [
      { acltype: 'subscribeLiteral', topic: topicFor(t, a, c), allow: true as const },
      { acltype: 'publishClientReceive', topic: topicFor(t, a, c), allow: true as const },
    ]),
  ];
}

class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`the broker's dynamic-security plugin refused ${command}: ${reason}`);
    this.name = 'DynsecError';
  }
}

/** A refusal that leaves the broker as wanted (deleting what is gone, adding what is there). */
const harmless = (r: Response) => /not found|already/i.test(r.error ?? '');

/**
 * Agent logins in Mosquitto's dynamic-security plugin, managed over its control topic with the
 * hub's own login (MQTT_AGENT_AUTH=mosquitto-dynsec). Each agent gets a client `agent-{id}`
 * bound to its client id, with a role `drm-agent-{id}` allowing exactly its own channels; the
 * hub gives itself the `drm-hub` role to write every agent's hub-to-agent channels. Deleting
 * a client in the plugin disconnects it, so a revocation takes effect at once. A revocation
 * made while the broker was unreachable is applied when the hub reconnects (and every few
 * minutes), by removing every agent login the agents table no longer allows.
 */
export class MosquittoDynsec implements BrokerAccounts {
  readonly #opts: DynsecOptions;
  readonly #connect: (url: string, options: IClientOptions) => MqttClient;
  #client: MqttClient | null = null;
  readonly #waiting = new Map<string, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  #problem: string | null = 'not connected to the MQTT broker yet';
  #timer: NodeJS.Timeout | undefined;
  #setUpRetry: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | null = null;
  /** Logins of agents the table did not know at the last reconciliation. */
  #unknown = new Set<string>();

  private constructor(opts: DynsecOptions, connect: (url: string, options: IClientOptions) => MqttClient) {
    this.#opts = opts;
    this.#connect = connect;
  }

  static async create(opts: DynsecOptions): Promise<MosquittoDynsec> {
    const { connect } = await import('mqtt');
    return new MosquittoDynsec(opts, connect);
  }

  async start(): Promise<void> {
    const { log } = this.#opts;
    const client = this.#connect(this.#opts.url, hubClientOptions('drm-hub-dynsec', this.#opts));
    this.#client = client;
    client.on('error', (err) => log.warn({ err }, 'dynamic-security link: connection error'));
    client.on('close', () => {
      clearTimeout(this.#setUpRetry);
      this.#problem = 'not connected to the MQTT broker';
      for (const [id, w] of this.#waiting) {
        this.#waiting.delete(id);
        w.reject(new Error('the connection to the MQTT broker closed before the broker answered'));
      }
    });
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE) this.#answered(payload);
    });
    const first = new Promise<void>((resolve) => {
      client.on('connect', () => void this.#setUp(client).finally(resolve));
    });
    this.#timer = setInterval(
      () =>
        void this.reconcile().catch((err: unknown) =>
          log.warn({ err }, 'dynamic-security: reconciliation failed'),
        ),
      this.#opts.reconcileEveryMs ?? 300_000,
    );
    this.#timer.unref();
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((r) => (wait = setTimeout(r, 5_000)))]);
    clearTimeout(wait);
  }

  /**
   * Prepares the hub's own rights on a new connection. A failure (a broker busy just after its
   * restart, say) is tried again while the connection holds, not only at the next one: until
   * it succeeds the hub is not ready and refuses enrollments.
   */
  async #setUp(client: MqttClient): Promise<void> {
    const { log } = this.#opts;
    clearTimeout(this.#setUpRetry);
    try {
      await this.#prepare();
      // Not when the set-up ended this connection (a role change): the next one prepares again.
      if (!client.connected) return;
      this.#problem = null;
      log.info('agent logins are kept in the broker’s dynamic-security plugin');
    } catch (err) {
      this.#problem = `cannot manage agent logins in the broker: ${(err as Error).message}`;
      log.error({ err }, 'dynamic-security: set-up failed; agents cannot be enrolled');
      if (this.#client !== client || !client.connected) return;
      this.#setUpRetry = setTimeout(() => {
        if (this.#client === client && client.connected) void this.#setUp(client);
      }, this.#opts.setUpRetryMs ?? 5_000);
      this.#setUpRetry.unref();
    }
  }

  async check(): Promise<void> {
    if (this.#problem) throw new Error(this.#problem);
  }

  async provision(agent: AgentLogin): Promise<void> {
    if (this.#problem) throw new Error(this.#problem);
    const rolename = agentRole(agent.agentId);
    await this.#run(
      [
        { command: 'createRole', rolename, acls: agentAcls(agent.tenantId, agent.agentId) },
        {
          command: 'createClient',
          username: agent.username,
          password: agent.password,
          clientid: agent.agentId.toLowerCase(),
          textname: `drm agent of tenant ${agent.tenantId.toLowerCase()}`,
          roles: [{ rolename }],
        },
      ],
      () => false,
    );
  }

  async setPassword(agent: AgentLogin): Promise<void> {
    if (this.#problem) throw new Error(this.#problem);
    await this.#run(
      [{ command: 'setClientPassword', username: agent.username, password: agent.password }],
      () => false,
    );
  }

  async remove(agentId: string): Promise<void> {
    await this.#run(
      [
        { command: 'deleteClient', username: agentUsername(agentId) },
        { command: 'deleteRole', rolename: agentRole(agentId) },
      ],
      harmless,
    );
  }

  /**
   * Removes the login and role of every revoked agent, and of every agent the agents table
   * did not know at the previous reconciliation either (deleted, or an enrollment that never
   * committed: a login is created just before its agent's row commits, possibly by another
   * replica, so one unknown at a single look may be seconds old). Says how many allowed agents
   * have no login at the broker (enrolled before this mode: only a new enrollment can give
   * them one, the hub keeps no password).
   */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#reconcile().finally(() => {
      this.#reconciling = null;
    });
    return this.#reconciling;
  }

  async #reconcile(): Promise<void> {
    const { log } = this.#opts;
    const [clients, roles] = await this.#run(
      [
        { command: 'listClients', verbose: false, count: -1 },
        { command: 'listRoles', verbose: false, count: -1 },
      ],
      () => false,
    );
    const clientNames = ClientList.safeParse(clients?.data);
    const roleNames = RoleList.safeParse(roles?.data);
    if (!clientNames.success || !roleNames.success) {
      throw new Error('the broker answered listClients/listRoles with an unexpected shape');
    }
    const known = await this.#opts.knownAgents();
    const withLogin = new Set<string>();
    const present = new Set<string>();
    for (const name of clientNames.data.clients) {
      const id = AGENT_USER.exec(name)?.[1];
      if (!id) continue;
      present.add(id);
      if (known.allowed.has(id)) withLogin.add(id);
    }
    for (const name of roleNames.data.roles) {
      const id = AGENT_ROLE.exec(name)?.[1];
      if (id) present.add(id);
    }
    const unknown = new Set<string>();
    const stale: string[] = [];
    for (const id of present) {
      if (known.allowed.has(id)) continue;
      if (known.revoked.has(id) || this.#unknown.has(id)) stale.push(id);
      else unknown.add(id);
    }
    this.#unknown = unknown;
    for (const id of stale) await this.remove(id);
    if (stale.length > 0) {
      log.warn({ removed: stale.length }, 'dynamic-security: removed logins of agents no longer allowed');
    }
    const missing = [...known.allowed].filter((id) => !withLogin.has(id));
    if (missing.length > 0) {
      log.warn(
        { agents: missing.length, sample: missing.slice(0, 5) },
        'dynamic-security: enrolled agents without a login at the broker; enroll them again',
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#setUpRetry);
    await this.#reconciling?.catch(() => undefined);
    await this.#client?.endAsync(!this.#client.connected);
  }

  /** On each connection: the response topic, the hub's own role, then a reconciliation. */
  async #prepare(): Promise<void> {
    const client = this.#client!;
    const granted = await client.subscribeAsync(RESPONSE, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) {
      throw new Error(`the hub's login may not subscribe to ${RESPONSE} (give it the plugin's admin role)`);
    }
    const hubUser = this.#opts.username;
    if (!hubUser)
      throw new Error('MQTT_URL names no user: the hub needs a login with the plugin’s admin role');
    const wanted = HUB_TO_AGENT.map((c) => ({
      acltype: 'publishClientSend',
      topic: `drm/v1/+/+/${c}`,
      allow: true,
    }));
    const [role, self] = await this.#run(
      [
        { command: 'getRole', rolename: HUB_ROLE },
        { command: 'getClient', username: hubUser },
      ],
      harmless,
    );
    if (self?.error)
      throw new Error(`the hub's login ${hubUser} is not a client of the dynamic-security plugin`);
    const held = RoleAcls.safeParse(role?.data);
    if (!held.success) {
      await this.#run([{ command: 'createRole', rolename: HUB_ROLE, acls: wanted }], () => false);
    } else {
      const missing = wanted.filter(
        (w) => !held.data.role.acls.some((a) => a.acltype === w.acltype && a.topic === w.topic && a.allow),
      );
      // Changing a role's ACLs disconnects its clients: only when they are not all there.
      if (missing.length > 0) {
        await this.#run(
          missing.map((acl) => ({ command: 'addRoleACL', rolename: HUB_ROLE, ...acl })),
          harmless,
        ).catch(() => undefined);
        if (!client.connected) return;
      }
    }
    const roles = ClientRoles.safeParse(self?.data);
    if (!roles.success || !roles.data.client.roles.some((r) => r.rolename === HUB_ROLE)) {
      // The plugin disconnects a client whose roles change, before it answers: this connection
      // (and the hub's others) end here once, and the next connection finds the role in place.
      await this.#run([{ command: 'addClientRole', username: hubUser, rolename: HUB_ROLE }], harmless).catch(
        () => undefined,
      );
      if (!client.connected) return;
    }
    // Enrollment works without it; the next connection or the timer tries again.
    await this.reconcile().catch((err: unknown) =>
      this.#opts.log.warn({ err }, 'dynamic-security: reconciliation failed'),
    );
  }

  /** Sends commands in one request; throws on the first error that `ignore` does not accept. */
  async #run(commands: Command[], ignore: (r: Response) => boolean): Promise<Response[]> {
    const client = this.#client;
    if (!client?.connected) throw new Error('not connected to the MQTT broker');
    const ids = commands.map(() => randomUUID());
    const answers = ids.map(
      (id) =>
        new Promise<Response>((resolve, reject) => {
          this.#waiting.set(id, { resolve, reject });
        }),
    );
    // Rejected when the connection closes, possibly before they are awaited below.
    for (const a of answers) a.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        for (const id of ids) this.#waiting.delete(id);
        reject(new Error('the broker did not answer (is the dynamic-security plugin loaded?)'));
      }, this.#opts.timeoutMs ?? 5_000);
    });
    // It may fire while the publish below is still waiting for its PUBACK, before the race.
    timeout.catch(() => undefined);
    try {
      const body = { commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) };
      await client.publishAsync(CONTROL, JSON.stringify(body), { qos: 1 });
      const responses = await Promise.race([Promise.all(answers), timeout]);
      for (const r of responses) {
        if (r.error !== undefined && !ignore(r)) throw new DynsecError(r.command, r.error);
      }
      return responses;
    } finally {
      clearTimeout(timer);
      for (const id of ids) this.#waiting.delete(id);
    }
  }

  #answered(payload: Buffer): void {
    let parsed: z.infer<typeof Answer>;
    try {
      parsed = Answer.parse(JSON.parse(payload.toString('utf8')));
    } catch (err) {
      this.#opts.log.warn({ err }, 'dynamic-security: an answer that is not the plugin’s, dropped');
      return;
    }
    for (const r of parsed.responses) {
      const w = r.correlationData === undefined ? undefined : this.#waiting.get(r.correlationData);
      if (!w) continue;
      this.#waiting.delete(r.correlationData!);
      w.resolve(r);
    }
  }
}
