import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListenError } from '../../src/lib/listen-error.js';
import { connectAgent, createMqttTestHub, enrollAgent } from '../helpers/mqtt.js';

// The embedded broker's port: the default gives way to a free port, a chosen one never does.

let blocker: net.Server;
let taken: number;

beforeAll(async () => {
  blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  taken = (blocker.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

describe('embedded broker port', () => {
  it('listens on a free port when the default one is taken, and agents reach it there', async () => {
    const hub = await createMqttTestHub({ broker: { port: taken, portFallback: true } });
    try {
      expect(hub.app.mqtt.port).not.toBe(taken);
      expect(hub.app.mqtt.port).toBeGreaterThan(0);
      const agent = await enrollAgent(hub);
      const client = await connectAgent(hub.url, agent);
      expect(client.connected).toBe(true);
      client.end(true);
    } finally {
      await hub.close();
    }
  });

  it('fails naming MQTT_PORT when a chosen port is taken', async () => {
    const attempt = createMqttTestHub({ broker: { port: taken, portFallback: false } });
    await expect(attempt).rejects.toBeInstanceOf(ListenError);
    await expect(attempt).rejects.toThrow(`MQTT_PORT ${taken} on 127.0.0.1 is already in use: set MQTT_PORT`);
  });
});
