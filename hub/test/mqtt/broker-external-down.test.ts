import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/mosquitto.js';
import { createMqttTestHub, type MqttTestHub } from '../helpers/mqtt.js';

// An external broker that does not answer: the hub still starts, says why it is not ready,
// and refuses to publish rather than queueing in memory.

describe('external broker down', () => {
  let hub: MqttTestHub;

  beforeAll(async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    hub = await createMqttTestHub({ broker: { url, connectWaitMs: 300 } });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('starts, serves the API, and reports the broker in /ready', async () => {
    expect((await hub.call(null, 'GET', '/health')).statusCode).toBe(200);
    const res = await hub.call(null, 'GET', '/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.broker).toEqual({ ok: false, error: 'not connected to the MQTT broker' });
    expect(res.json().checks.database).toEqual({ ok: true });
  });

  it('rejects a publish at once', async () => {
    await expect(
      hub.app.mqtt.publish(randomUUID(), randomUUID(), 'cancel', { jobId: randomUUID() }),
    ).rejects.toThrow('not connected to the MQTT broker');
  });
});
