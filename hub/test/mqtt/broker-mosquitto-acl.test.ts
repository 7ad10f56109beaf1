import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '@drm/protocol';
import type { InboundContext } from '../../src/mqtt/types.js';
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

function findBinary(name: string): string | null {
  for (const candidate of [name, `/usr/sbin/${name}`, `/usr/bin/${name}`]) {
    try {
      execFileSync(candidate, ['-h'], { stdio: 'ignore' });
      return candidate;
    } catch (err) {
      // mosquitto -h exits non-zero after printing its help: only a missing file is "absent".
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return candidate;
    }
  }
  return null;
}

const mosquittoBin = findBinary('mosquitto');
const passwdBin = findBinary('mosquitto_passwd');
const available = mosquittoBin !== null && passwdBin !== null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

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
    let dir: string;
    let broker: ChildProcess;
    let hub: MqttTestHub;
    let a: TestAgent;
    let b: TestAgent;
    let url: string;
    const handled: InboundContext[] = [];
    const clients: MqttClient[] = [];

    function writeCredentials(agents: TestAgent[]): void {
      const passwords = join(dir, 'passwords');
      writeFileSync(passwords, '');
      execFileSync(passwdBin!, ['-b', passwords, 'drm-hub', HUB_PASSWORD]);
      for (const agent of agents) execFileSync(passwdBin!, ['-b', passwords, agent.username, agent.password]);
      writeFileSync(join(dir, 'acl'), renderAcl(agents));
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'drm-mosquitto-'));
      const port = await freePort();
      url = `mqtt://127.0.0.1:${port}`;
      writeCredentials([]);
      writeFileSync(
        join(dir, 'mosquitto.conf'),
        [
          `listener ${port} 127.0.0.1`,
          'allow_anonymous false',
          `password_file ${join(dir, 'passwords')}`,
          `acl_file ${join(dir, 'acl')}`,
          'persistence false',
          'log_dest none',
          // Run as root, Mosquitto would switch to its own user, which cannot read this folder.
          `user ${userInfo().username}`,
        ].join('\n'),
      );
      broker = spawn(mosquittoBin!, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
      await until(
        async () => (await connackCode(url, { username: 'x', password: 'y' }).catch(() => -1)) >= 0,
        5_000,
      );

      hub = await createMqttTestHub({ broker: { url, username: 'drm-hub', password: HUB_PASSWORD } });
      hub.app.mqtt.handle('results', async (_message, ctx) => {
        handled.push(ctx);
      });
      a = await enrollAgent(hub);
      b = await enrollAgent(hub, a);
      // As a deployment would at enrollment: give the broker the agents' logins and rules.
      writeCredentials([a, b]);
      broker.kill('SIGHUP');
      const probe = () => connackCode(url, { clientId: a.agentId, ...login(a) }).catch(() => -1);
      await until(async () => (await probe()) === 0, 5_000);
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.end(true);
    });
    afterAll(async () => {
      await hub?.close();
      broker?.kill('SIGTERM');
      if (dir) rmSync(dir, { recursive: true, force: true });
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
