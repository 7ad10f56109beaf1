import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { finishRotation, pendingPassword } from '../../src/modules/agents/rotation.js';
import { MosquittoDynsec } from '../../src/mqtt/dynsec.js';
import { testLog } from '../helpers/test-db.js';
import { EnrollResponse, parseMessage } from '@drm/protocol';
import type { InboundContext } from '../../src/mqtt/types.js';
import { findBinary, findDynsecPlugin, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import {
  closedWithin,
  connackCode,
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
  subackCodes,
  type TestAgent,
  topicOf,
  until,
} from '../helpers/mqtt.js';

// MQTT_AGENT_AUTH=mosquitto-dynsec against a real Mosquitto with its dynamic-security plugin,
// set up as deploy/README.md says (one `mosquitto_ctrl dynsec init` for the hub's login): the
// hub creates each agent's login at enrollment, deletes it at revocation, and reconciles.

const HUB_PASSWORD = 'hub-dynsec-password';
const mosquittoBin = findBinary('mosquitto');
const ctrlBin = findBinary('mosquitto_ctrl');
const plugin = findDynsecPlugin();
const available = mosquittoBin !== null && ctrlBin !== null && plugin !== null;

// In CI (which installs mosquitto) a missing program or plugin fails the suite instead of skipping it.
describe.skipIf(!available && process.env.CI !== 'true')(
  `agent logins kept in Mosquitto's dynamic-security plugin${available ? '' : ' (skipped: mosquitto is not installed)'}`,
  () => {
    let broker: Mosquitto;
    let hub: MqttTestHub;
    let a: TestAgent;
    let b: TestAgent;
    const handled: InboundContext[] = [];
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      broker = await startMosquitto(
        mosquittoBin!,
        (dir) => [
          'allow_anonymous false',
          `plugin ${plugin}`,
          `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`,
        ],
        (dir) => {
          execFileSync(
            ctrlBin!,
            ['dynsec', 'init', join(dir, 'dynamic-security.json'), 'drm-hub', HUB_PASSWORD],
            {
              stdio: 'ignore',
            },
          );
        },
      );
      hub = await createMqttTestHub({
        broker: {
          url: broker.url,
          username: 'drm-hub',
          password: HUB_PASSWORD,
          agentAuth: 'mosquitto-dynsec',
        },
      });
      hub.app.mqtt.handle('results', async (_message, ctx) => {
        handled.push(ctx);
      });
      a = await enrollAgent(hub);
      b = await enrollAgent(hub, a);
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.end(true);
    });
    afterAll(async () => {
      await hub?.close();
      await broker?.close();
    });

    async function connect(agent: TestAgent): Promise<MqttClient> {
      const client = await connectAgent(broker.url, agent);
      clients.push(client);
      return client;
    }

    const login = (agent: TestAgent, extra: { clientId?: string; password?: string } = {}) =>
      connackCode(broker.url, {
        clientId: extra.clientId ?? agent.agentId,
        username: agent.username,
        password: extra.password ?? agent.password,
      });

    const results = () =>
      readFileSync(new URL('../../../protocol/test/fixtures/valid/results-snmp-get.json', import.meta.url));

    it('is ready, and lets an enrolled agent in with its own login and client id only', async () => {
      expect((await hub.call(null, 'GET', '/ready')).json().checks.broker).toEqual({ ok: true });
      expect(await login(a)).toBe(0);
      expect(await login(a, { password: `${a.password}x` })).not.toBe(0);
      expect(await login(a, { clientId: b.agentId })).not.toBe(0);
      expect(await connackCode(broker.url, {})).not.toBe(0);
    });

    it('confines an agent to its own topics', async () => {
      const client = await connect(a);
      expect(await subackCodes(client, [topicOf(a, 'jobs'), topicOf(b, 'jobs'), 'drm/#'])).toEqual([
        1, 128, 128,
      ]);
      await client.publishAsync(topicOf(b, 'results'), results(), { qos: 1 });
      await client.publishAsync(topicOf(a, 'results'), results(), { qos: 1 });
      expect(await until(() => handled.some((h) => h.agentId === a.agentId))).toBe(true);
      expect(handled.filter((h) => h.agentId === b.agentId)).toEqual([]);
    });

    it('lets the hub write to an agent’s channels', async () => {
      const client = await connect(a);
      await subackCodes(client, [topicOf(a, 'cancel')]);
      const got: string[] = [];
      client.on('message', (topic, payload) => {
        if (parseMessage('cancel', payload).ok) got.push(topic);
      });
      await hub.app.mqtt.publish(a.tenantId, a.agentId, 'cancel', { jobId: randomUUID() });
      expect(await until(() => got.length > 0)).toBe(true);
      expect(got).toEqual([topicOf(a, 'cancel')]);
    });

    it('drops a revoked agent at once and refuses it after', async () => {
      const c = await enrollAgent(hub, a);
      const client = await connect(c);
      const res = await hub.call(c.admin.token, 'POST', `${c.base}/agents/${c.agentId}/revoke`);
      expect(res.statusCode).toBe(200);
      expect(await closedWithin(client, 3_000)).toBe(true);
      expect(await login(c)).not.toBe(0);
      expect(await login(a)).toBe(0);
    });

    it('gives a rotated agent its new password at the broker when the agent has acknowledged it', async () => {
      const c = await enrollAgent(hub, a);
      const res = await hub.call(c.admin.token, 'POST', `${c.base}/agents/${c.agentId}/rotate-credentials`);
      expect(res.statusCode).toBe(202);
      const pending = await hub.db.withTenant(c.tenantId, (q) =>
        pendingPassword(q, hub.app.secrets, c.tenantId, c.agentId),
      );
      const { rotationId, mqttPassword: password } = pending!;
      // Until the agent has it, the broker knows the old password only.
      expect(await login(c)).toBe(0);
      expect(await login(c, { password })).not.toBe(0);
      const rotation = {
        db: hub.db,
        secrets: hub.app.secrets,
        accounts: hub.app.brokerAccounts,
        log: testLog,
      };
      // Only an acknowledgement that names this rotation ends it.
      expect(await finishRotation(rotation, c.tenantId, c.agentId, randomUUID())).toBe(false);
      expect(await login(c, { password })).not.toBe(0);
      expect(await finishRotation(rotation, c.tenantId, c.agentId, rotationId)).toBe(true);
      expect(await login(c, { password })).toBe(0);
      expect(await login(c)).not.toBe(0);
    });

    it('never brings back the login of an agent revoked while its rotation ends', async () => {
      const c = await enrollAgent(hub, a);
      expect(
        (await hub.call(c.admin.token, 'POST', `${c.base}/agents/${c.agentId}/rotate-credentials`))
          .statusCode,
      ).toBe(202);
      const pending = await hub.db.withTenant(c.tenantId, (q) =>
        pendingPassword(q, hub.app.secrets, c.tenantId, c.agentId),
      );
      expect((await hub.call(c.admin.token, 'POST', `${c.base}/agents/${c.agentId}/revoke`)).statusCode).toBe(
        200,
      );
      expect(await until(async () => (await login(c)) !== 0)).toBe(true);
      // As a rotation's end that read the agent before the revocation would: the broker refuses.
      await expect(
        hub.app.brokerAccounts!.setPassword({
          tenantId: c.tenantId,
          agentId: c.agentId,
          username: c.username,
          password: pending!.mqttPassword,
        }),
      ).rejects.toThrow();
      expect(await login(c, { password: pending!.mqttPassword })).not.toBe(0);
      expect(await login(c)).not.toBe(0);
      // The revocation dropped the waiting rotation and its sealed password.
      const left = await hub.db.withTenant(c.tenantId, (q) =>
        pendingPassword(q, hub.app.secrets, c.tenantId, c.agentId),
      );
      expect(left).toBeNull();
      const row = await hub.db.asOwner((q) =>
        q.query('SELECT pending_secret FROM agents WHERE id = $1', [c.agentId]),
      );
      expect(row.rows[0]).toEqual({ pending_secret: null });
    });

    it('removes logins the agents table no longer allows when it reconciles', async () => {
      const d = await enrollAgent(hub, a);
      // Revoked behind the API's back (as by a restore): only the reconciliation can tell.
      await hub.db.asOwner((q) => q.query('UPDATE agents SET revoked_at = now() WHERE id = $1', [d.agentId]));
      // A login whose agent never committed: kept through one look (it may be seconds old), then removed.
      const ghost = { tenantId: a.tenantId, agentId: randomUUID() };
      const ghostLogin = { ...ghost, username: `agent-${ghost.agentId}`, password: 'agent_ghost-password' };
      await hub.app.brokerAccounts!.provision(ghostLogin);
      const ghostIn = () =>
        connackCode(broker.url, {
          clientId: ghost.agentId,
          username: ghostLogin.username,
          password: ghostLogin.password,
        });
      expect(await ghostIn()).toBe(0);

      await hub.app.brokerAccounts!.reconcile();
      expect(await login(d)).not.toBe(0);
      expect(await ghostIn()).toBe(0);
      await hub.app.brokerAccounts!.reconcile();
      expect(await ghostIn()).not.toBe(0);
      expect(await login(a)).toBe(0);
      expect(await login(b)).toBe(0);
    });

    it('tries a failed set-up again while its connection holds, and becomes ready once it can', async () => {
      // A login the plugin does not let manage anything yet: every set-up request goes unanswered.
      const { port } = new URL(broker.url);
      const ctrl = (...args: string[]) =>
        execFileSync(
          ctrlBin!,
          ['-h', '127.0.0.1', '-p', port, '-u', 'drm-hub', '-P', HUB_PASSWORD, 'dynsec', ...args],
          {
            stdio: 'ignore',
          },
        );
      ctrl('createClient', 'late-admin', '-p', 'late-admin-password');
      const accounts = await MosquittoDynsec.create({
        url: broker.url,
        username: 'late-admin',
        password: 'late-admin-password',
        knownAgents: async () => ({ allowed: new Set(), revoked: new Set() }),
        log: testLog,
        timeoutMs: 300,
        setUpRetryMs: 200,
      });
      try {
        await accounts.start();
        await expect(accounts.check()).rejects.toThrow(/cannot manage agent logins/);
        ctrl('addClientRole', 'late-admin', 'admin');
        const ready = await until(
          () =>
            accounts.check().then(
              () => true,
              () => false,
            ),
          10_000,
          100,
        );
        expect(ready).toBe(true);
      } finally {
        await accounts.close();
        ctrl('deleteClient', 'late-admin');
      }
    });

    it('keeps the token when the broker is away, and applies a revocation made meanwhile when it is back', async () => {
      const e = await enrollAgent(hub, a);
      const tok = await hub.call(a.admin.token, 'POST', `${a.base}/enrollment-tokens`, {
        siteId: a.siteId,
        ttlMinutes: 60,
      });
      const token = tok.json().token as string;
      await broker.stop();
      await until(async () => (await hub.call(null, 'GET', '/ready')).statusCode === 503);

      const refused = await hub.call(null, 'POST', '/api/v1/agents/enroll', {
        token,
        name: 'edge-late',
        version: '1.0.0',
      });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error).toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/the token was not used/),
      });
      const revoked = await hub.call(e.admin.token, 'POST', `${e.base}/agents/${e.agentId}/revoke`);
      expect(revoked.statusCode).toBe(200);

      await broker.restart();
      expect(
        await until(async () => (await hub.call(null, 'GET', '/ready')).statusCode === 200, 15_000, 100),
      ).toBe(true);
      expect(await until(async () => (await login(e)) !== 0, 5_000, 100)).toBe(true);
      const enrolled = await hub.call(null, 'POST', '/api/v1/agents/enroll', {
        token,
        name: 'edge-late',
        version: '1.0.0',
      });
      expect(enrolled.statusCode).toBe(201);
      const late = EnrollResponse.parse(enrolled.json());
      expect(
        await connackCode(broker.url, {
          clientId: late.agentId,
          username: late.mqtt.username,
          password: late.mqtt.password,
        }),
      ).toBe(0);
    });
  },
);
