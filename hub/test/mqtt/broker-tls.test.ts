import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedMqttHub } from '../../src/mqtt/embedded-broker.js';
import {
  connackCode,
  connectAgent,
  createMqttTestHub,
  enrollAgent,
  type MqttTestHub,
} from '../helpers/mqtt.js';

// The embedded broker's optional TLS listener, with a self-signed certificate made here.

function makeCertificate(): { dir: string; certFile: string; keyFile: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'drm-mqtt-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { dir, certFile, keyFile };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const cert = makeCertificate();

// In CI (which installs openssl) a missing CLI fails the suite instead of skipping it.
describe.skipIf(!cert && process.env.CI !== 'true')(
  `TLS listener${cert ? '' : ' (skipped: the openssl CLI is not available)'}`,
  () => {
    let hub: MqttTestHub;
    let tlsUrl: string;
    let ca: Buffer;

    beforeAll(async () => {
      const c = cert!;
      hub = await createMqttTestHub({
        broker: { tls: { certFile: c.certFile, keyFile: c.keyFile, port: 0 } },
      });
      const mqtt = hub.app.mqtt;
      if (!(mqtt instanceof EmbeddedMqttHub)) throw new Error('expected the embedded broker');
      tlsUrl = `mqtts://127.0.0.1:${mqtt.tlsPort}`;
      ca = readFileSync(c.certFile);
    });
    afterAll(async () => {
      await hub?.close();
      if (cert) rmSync(cert.dir, { recursive: true, force: true });
    });

    it('listens on its own port next to the plain one', () => {
      const mqtt = hub.app.mqtt as EmbeddedMqttHub;
      expect(mqtt.tlsPort).toBeGreaterThan(0);
      expect(mqtt.tlsPort).not.toBe(mqtt.port);
    });

    it('accepts an agent over TLS that trusts the certificate', async () => {
      const agent = await enrollAgent(hub);
      const client = await connectAgent(tlsUrl, agent, { ca, rejectUnauthorized: true });
      try {
        expect(client.connected).toBe(true);
      } finally {
        await client.endAsync();
      }
    });

    it('applies the same authentication over TLS', async () => {
      const agent = await enrollAgent(hub);
      const code = await connackCode(tlsUrl, {
        clientId: agent.agentId,
        username: agent.username,
        password: 'agent_wrong',
        ca,
      });
      expect(code).toBe(4);
    });

    it('is refused by a client that does not trust the certificate', async () => {
      const agent = await enrollAgent(hub);
      await expect(connectAgent(tlsUrl, agent, { rejectUnauthorized: true })).rejects.toThrow(
        /self[- ]signed/i,
      );
    });
  },
);
