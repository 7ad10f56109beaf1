import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '@drm/protocol';
import type { InboundContext } from '../../src/mqtt/types.js';
import { findBinary, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import {
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

// deploy/mosquitto-acl.example, rendered for two agents and loaded into a Mosquitto of our own:
// the external-broker mode with real credentials, and the ACL doing what the embedded broker
// does for itself.

const EXAMPLE = new URL('../../../deploy/mosquitto-acl.example', import.meta.url);
const HUB_PASSWORD = 'hub-test-password';

const mosquittoBin = findBinary('mosquitto');
const passwdBin = findBinary('mosquitto_passwd');
const available = mosquittoBin !== null && passwdBin !== null;

/** The example with the agent block repeated once per agent. */
function renderAcl(agents: TestAgent[]): string {
  const text = readFileSync(EXAMPLE, 'utf8');
  const at = text.indexOf('user agent-AGENT_ID');
  const head = text.slice(0, at);
  const block = text.slice(at);
  return (
    head +
    agents.map((a) => block.replaceAll('TENANT_ID', a.tenantId).replaceAll('AGENT_ID', a.agentId)).join('\n')
  );
}

// In CI (which installs mosquitto) a missing binary fails the suite instead of skipping it.
describe.skipIf(!available && process.env.CI !== 'true')(
  `external broker with deploy/mosquitto-acl.example${available ? '' : ' (skipped: mosquitto is not installed)'}`,
  () => {
    let broker: Mosquitto;
    let hub: MqttTestHub;
    let a: TestAgent;
    let b: TestAgent;
    let url: string;
    const handled: InboundContext[] = [];
    const clients: MqttClient[] = [];

    function writeCredentials(dir: string, agents: TestAgent[]): void {
      const passwords = join(dir, 'passwords');
      writeFileSync(passwords, '');
      execFileSync(passwdBin!, ['-b', passwords, 'drm-hub', HUB_PASSWORD]);
      for (const agent of agents) execFileSync(passwdBin!, ['-b', passwords, agent.username, agent.password]);
      writeFileSync(join(dir, 'acl'), renderAcl(agents));
    }

    beforeAll(async () => {
      broker = await startMosquitto(
        mosquittoBin!,
        (dir) => [
          'allow_anonymous false',
          `password_file ${join(dir, 'passwords')}`,
          `acl_file ${join(dir, 'acl')}`,
        ],
        (dir) => writeCredentials(dir, []),
      );
      url = broker.url;

      hub = await createMqttTestHub({ broker: { url, username: 'drm-hub', password: HUB_PASSWORD } });
      hub.app.mqtt.handle('results', async (_message, ctx) => {
        handled.push(ctx);
      });
      a = await enrollAgent(hub);
      b = await enrollAgent(hub, a);
      // As a deployment would at enrollment: give the broker the agents' logins and rules.
      writeCredentials(broker.dir, [a, b]);
      broker.reload();
      const probe = () => connackCode(url, { clientId: a.agentId, ...login(a) }).catch(() => -1);
      await until(async () => (await probe()) === 0, 5_000);
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.end(true);
    });
    afterAll(async () => {
      await hub?.close();
      await broker?.close();
    });

    async function connect(agent: TestAgent): Promise<MqttClient> {
      const client = await connectAgent(url, agent);
      clients.push(client);
      return client;
    }

    const results = () =>
      readFileSync(new URL('../../../protocol/test/fixtures/valid/results-snmp-get.json', import.meta.url));

    it('lets the hub in with its login and refuses anonymous clients', async () => {
      expect((await hub.call(null, 'GET', '/ready')).json().checks.broker).toEqual({ ok: true });
      expect(await connackCode(url, {})).not.toBe(0);
      expect(await connackCode(url, { username: a.username, password: 'agent_wrong' })).not.toBe(0);
    });

    it('refuses to rotate an agent’s password: the broker’s logins are kept by hand', async () => {
      const res = await hub.call(a.admin.token, 'POST', `${a.base}/agents/${a.agentId}/rotate-credentials`);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.message).toMatch(/kept by hand/);
      expect(await connackCode(url, { clientId: a.agentId, ...login(a) })).toBe(0);
    });

    it('delivers an agent’s own results to the hub, and drops what it publishes as another agent', async () => {
      const client = await connect(a);
      await client.publishAsync(topicOf(b, 'results'), results(), { qos: 1 });
      await client.publishAsync(topicOf(a, 'results'), results(), { qos: 1 });
      expect(await until(() => handled.some((h) => h.agentId === a.agentId))).toBe(true);
      expect(handled.filter((h) => h.agentId === b.agentId)).toEqual([]);
    });

    it('gives an agent its own jobs and nothing of another agent’s', async () => {
      const spy = await connect(a);
      await subackCodes(spy, [topicOf(a, 'cancel'), topicOf(b, 'cancel')]);
      const got: string[] = [];
      spy.on('message', (topic, payload) => {
        if (parseMessage('cancel', payload).ok) got.push(topic);
      });
      await hub.app.mqtt.publish(b.tenantId, b.agentId, 'cancel', { jobId: a.agentId });
      await hub.app.mqtt.publish(a.tenantId, a.agentId, 'cancel', { jobId: a.agentId });
      await until(() => got.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([topicOf(a, 'cancel')]);
    });
  },
);

function login(agent: TestAgent) {
  return { username: agent.username, password: agent.password };
}
