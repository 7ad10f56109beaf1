import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, AgentNotEnrolledError } from '../src/agent.js';
import { loadConfig } from '../src/config.js';
import { readStatus } from '../src/status.js';
import { Store, StoreLockedError } from '../src/store/index.js';

/**
 * The composition root's life cycle on a real data folder, without a hub: an agent starts and
 * works offline (the hub is only reached over MQTT, later), and stops leaving the folder free.
 * Runs with a hub are in test/agent-run.test.ts and test/faults/.
 */

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const root = mkdtempSync(join(tmpdir(), 'drm-agent-root-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function configFor(dataDir = join(root, `data-${++n}`)) {
  return loadConfig({ env: {}, flags: { 'data-dir': dataDir, 'trap-port': '0', 'trap-host': '127.0.0.1' } });
}

function enroll(dataDir: string, mqttUrl = 'mqtt://127.0.0.1:1'): void {
  const store = Store.open(dataDir);
  try {
    store.identity.set({
      agentId: '0190a000-0000-7000-8000-0000000000b1',
      tenantId: '0190a000-0000-7000-8000-0000000000b2',
      siteId: '0190a000-0000-7000-8000-0000000000b3',
      name: 'edge-offline',
      hubUrl: 'http://127.0.0.1:1',
      mqtt: { url: mqttUrl, username: 'agent-b1', password: 'secret-password-b1' },
      enrolledAt: new Date().toISOString(),
    });
  } finally {
    store.close();
  }
}

describe('Agent', () => {
  it('refuses a data folder without an enrollment, and leaves it unlocked', async () => {
    const config = configFor();
    const agent = new Agent({ config, log });
    await expect(agent.start()).rejects.toBeInstanceOf(AgentNotEnrolledError);
    await expect(agent.start()).rejects.toThrow(/drm-agent enroll/);
    await agent.stop();
    Store.open(config.dataDir).close();
  });

  it('starts offline with its trap port bound, holds the folder, and stops idempotently', async () => {
    const config = configFor();
    enroll(config.dataDir);
    const agent = new Agent({ config, log, version: '1.2.3' });
    expect(() => agent.trapPort).toThrow(/not running/);
    await agent.start();
    try {
      expect(agent.trapPort).toBeGreaterThan(0);
      expect(() => Store.open(config.dataDir)).toThrow(StoreLockedError);
      const status = readStatus(config.dataDir, { outboxMaxBytes: 1024 * 1024 });
      expect(status.enrolled).toBe(true);
      expect(status.link.state).toBe('disconnected');
    } finally {
      await Promise.all([agent.stop(), agent.stop()]);
    }
    await agent.stop();
    const store = Store.open(config.dataDir);
    expect(store.meta.link()?.state).toBe('disconnected');
    store.close();
  });

  it('fails to start, and releases everything, when its trap port is taken', async () => {
    const first = configFor();
    enroll(first.dataDir);
    const holder = new Agent({ config: first, log });
    await holder.start();
    try {
      const second = configFor();
      enroll(second.dataDir);
      const taken = loadConfig({
        env: {},
        flags: { 'data-dir': second.dataDir, 'trap-port': String(holder.trapPort), 'trap-host': '127.0.0.1' },
      });
      const agent = new Agent({ config: taken, log });
      await expect(agent.start()).rejects.toThrow();
      // The components started before the failure were stopped and the store closed.
      Store.open(second.dataDir).close();
      await agent.stop();
    } finally {
      await holder.stop();
    }
  });
});
