import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import snmp from 'net-snmp';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, agentVersion, enroll, loadConfig } from '../../agent/src/index.js';
import { IF_INDEX_2, LINK_DOWN, LINK_UP, trap } from '../../agent/test/helpers/trap-harness.js';
import {
  SIM_GOLDEN,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../agent/test/helpers/snmp-simulator.js';
import {
  describeBrowser,
  expectNoProblems,
  launchBrowser,
  logIn,
  navLink,
  openPage,
  type PageProblems,
  poll,
  screenshot,
} from './helpers/browser.js';
import { DEMO_PASSWORD, type DashboardHub, startDashboardHub } from './helpers/hub.js';

/**
 * The whole path in a browser: an admin makes an enrollment token on the Agents page, a real
 * agent enrolls with the command shown and comes online (the page updates by itself), the demo
 * device is pointed at a simulated SNMP device through the device form, and an `snmp.walk` of
 * ifTable made in the job form runs while the job page watches: progress goes from 0 to 100%
 * over the live stream without a reload, results show MIB names, and export downloads them.
 */

const AGENT_NAME = 'browser-test-agent';

let server: DashboardHub;
let browser: Browser;
let sim: SnmpSimulator;
let page: Page;
let problems: PageProblems;
let agent: Agent | null = null;
let dataDir: string;
let tokenFromPage = '';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function agentConfig() {
  // The environment stays out: the agent's settings here are the test's alone.
  return loadConfig({
    env: {},
    defaults: { dataDir, trapPort: 0, trapHost: '127.0.0.1', logLevel: 'silent' },
  });
}

async function startAgent(): Promise<void> {
  agent = new Agent({ config: agentConfig(), log });
  await agent.start();
}

async function stopAgent(): Promise<void> {
  await agent?.stop();
  agent = null;
}

/**
 * Sends an SNMPv2c trap about ifIndex 2 to the agent from the demo device's address with its
 * community: the agent knows both from its desired state.
 */
async function deviceTrap(oid: string): Promise<void> {
  const session = snmp.createSession('127.0.0.1', 'public', {
    trapPort: agent!.trapPort,
    version: snmp.Version2c,
    timeout: 1000,
    retries: 0,
  });
  try {
    await trap(session, oid, [IF_INDEX_2]);
  } finally {
    session.close();
  }
}

/** A page that was never reloaded keeps this mark. */
async function markPage(): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
}

async function stillSamePage(): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

describeBrowser('a live job in the dashboard', () => {
  beforeAll(async () => {
    server = await startDashboardHub();
    sim = await startSnmpSimulator();
    dataDir = join(mkdtempSync(join(tmpdir(), 'drm-browser-agent-')), 'data');
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, { baseURL: server.url }));
    await logIn(page, 'admin@example.com', DEMO_PASSWORD);
  }, 240_000);

  afterAll(async () => {
    await stopAgent().catch(() => undefined);
    await browser?.close();
    await sim?.close();
    await server?.close();
    if (dataDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('the Agents page makes a token and shows the exact commands to run', async () => {
    await navLink(page, 'Agents').click();
    await page.waitForURL(/\/agents$/);
    await page.getByRole('button', { name: 'Make enrollment token' }).click();
    const command = page.getByText(/^npx drm-agent enroll /);
    await poll(() => command.count()).toBe(1);
    const text = (await command.textContent()) ?? '';
    expect(text).toMatch(
      new RegExp(
        `^npx drm-agent enroll --hub ${server.url} --token (drme_[\\w-]+) --data-dir /var/lib/drm-agent$`,
      ),
    );
    tokenFromPage = /--token (\S+)/.exec(text)?.[1] ?? '';
    expect(
      await page.getByText('npx drm-agent run --data-dir /var/lib/drm-agent', { exact: true }).count(),
    ).toBe(1);
    await screenshot(page, 'agents-enroll-commands');
  });

  it('an agent enrolled with that token appears online without a reload', async () => {
    await markPage();
    await enroll({
      hubUrl: server.url,
      token: tokenFromPage,
      name: AGENT_NAME,
      dataDir,
      force: false,
      version: agentVersion(),
      log,
    });
    await startAgent();
    const row = page.getByRole('row', { name: new RegExp(AGENT_NAME) });
    await poll(() => row.getByText('Online').count(), 30_000).toBe(1);
    // The config the hub pushed on connect is acknowledged, and the row says so live.
    await poll(() => row.getByText('Applied', { exact: true }).count(), 30_000).toBe(1);
    expect(await stillSamePage()).toBe(true);
    await screenshot(page, 'agents-online');

    // And the page says so when the agent goes away.
    await stopAgent();
    await poll(() => row.getByText('Offline').count(), 30_000).toBe(1);
    expect(await stillSamePage()).toBe(true);
  });

  it('the device form points the demo device at the simulated device, through that agent', async () => {
    const t = server.demo.customerTenantId;
    await page.goto(`/t/${t}/devices/${server.demo.deviceId}/edit`);
    await poll(() => page.getByLabel('Agent that reaches it').count()).toBe(1);
    await page.getByLabel('Agent that reaches it').selectOption({ label: AGENT_NAME });
    await page.getByLabel('Port').fill(String(sim.port));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/devices/${server.demo.deviceId}$`));
    await poll(() => page.getByText(`v2c, port ${sim.port}`).count()).toBe(1);

    // The agent is offline: the Agents page shows the new device waiting for it.
    await navLink(page, 'Agents').click();
    await page.waitForURL(/\/agents$/);
    const row = page.getByRole('row', { name: new RegExp(AGENT_NAME) });
    await poll(() => row.getByText('Pending', { exact: true }).count()).toBe(1);
    expect(await row.getByText(/^holds \d+ of \d+$/).count()).toBe(1);

    // A new MQTT password for it waits too (the agent takes it when it is back, see below).
    await row.getByRole('button', { name: 'Rotate credentials' }).click();
    const dialog = page.getByRole('dialog', { name: `Give ${AGENT_NAME} a new password?` });
    await poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Rotate credentials' }).click();
    await poll(() => row.getByText('New password pending').count()).toBe(1);
    // One rotation at a time: no second one while this one waits.
    expect(await row.getByRole('button', { name: 'Rotate credentials' }).count()).toBe(0);
    await screenshot(page, 'agents-rotation-pending');
  });

  it('an snmp.walk of ifTable: progress reaches 100% live, results are named, export downloads them', async () => {
    // The agent is offline: the job waits at 0% on the page until the agent comes back.
    await page.goto(`/t/${server.demo.customerTenantId}/jobs/new?deviceId=${server.demo.deviceId}`);
    await page.getByLabel('Kind').selectOption('snmp.walk');
    await page.getByLabel('Subtree to walk').fill('ifTable');
    await poll(() => page.getByText('ifTable = 1.3.6.1.2.1.2.2').count()).toBe(1);
    await page.getByRole('button', { name: 'Run job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await markPage();
    const progress = page.getByRole('progressbar', { name: 'Job progress' });
    await poll(() => page.getByText('0 of 1 device finished').count()).toBe(1);
    expect(await progress.getAttribute('aria-valuenow')).toBe('0');
    // Honest about the edge: the job is not stuck, its agent is away.
    await poll(() =>
      page.getByText(`Waiting: agent ${AGENT_NAME} is offline`, { exact: false }).count(),
    ).toBe(1);
    await screenshot(page, 'job-walk-waiting');

    await startAgent();
    await poll(() => progress.getAttribute('aria-valuenow'), 60_000).toBe('100');
    expect(await page.getByText('Waiting: agent').count()).toBe(0);
    await poll(() => page.getByText('1 of 1 device finished').count()).toBe(1);
    await poll(() => page.getByRole('heading', { level: 1 }).getByText('Succeeded').count(), 30_000).toBe(1);
    expect(await stillSamePage(), 'the page was never reloaded').toBe(true);

    // Results arrive as the target finishes, with MIB names resolved.
    await poll(() => page.getByRole('cell', { name: 'ifDescr.2', exact: true }).count(), 30_000).toBe(1);
    expect(await page.getByRole('cell', { name: SIM_GOLDEN.ifDescr[1], exact: true }).count()).toBe(1);
    expect(await page.getByRole('cell', { name: '00:15:5d:01:ff:02' }).count()).toBe(1);
    await screenshot(page, 'job-walk-results');

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^job-[0-9a-f-]{36}-results\.csv$/);
    const csvText = readFileSync(await csv.path(), 'utf8');
    const lines = csvText
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('device,device_id,status,oid_or_path,name,type,value,encoding,error,finished_at');
    // ifTable: 22 columns of 3 interfaces.
    expect(lines).toHaveLength(1 + 22 * 3);
    expect(lines.some((l) => l.includes(',ifDescr.2,OctetString,eth0,'))).toBe(true);

    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const results = JSON.parse(readFileSync(await json.path(), 'utf8')) as {
      deviceName: string;
      varbinds: { name: string }[];
    }[];
    expect(results).toHaveLength(1);
    expect(results[0]?.deviceName).toBe('localhost-snmp');
    expect(results[0]?.varbinds.map((v) => v.name)).toContain('ifInOctets.3');

    // Back online, the agent took its new MQTT password: the rotation asked for above is done.
    await navLink(page, 'Agents').click();
    await page.waitForURL(/\/agents$/);
    const row = page.getByRole('row', { name: new RegExp(AGENT_NAME) });
    await poll(() => row.getByText('Online').count(), 30_000).toBe(1);
    await poll(() => row.getByText('New password pending').count(), 30_000).toBe(0);
    expect(await row.getByRole('button', { name: 'Rotate credentials' }).count()).toBe(1);
    expectNoProblems(problems);
  });
  it('a job sent to an offline agent is cancelled from its page, and the page shows it live', async () => {
    await stopAgent();
    await page.goto(`/t/${server.demo.customerTenantId}/jobs/new?deviceId=${server.demo.deviceId}`);
    await page.getByLabel('OID 1', { exact: true }).fill('sysUpTime.0');
    await page.getByRole('button', { name: 'Run job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await markPage();
    await poll(() => page.getByText('0 of 1 device finished').count()).toBe(1);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this job?' });
    await poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel job' }).click();
    await poll(() => page.getByRole('heading', { level: 1 }).getByText('Cancelled').count(), 30_000).toBe(1);
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
    expect(await stillSamePage()).toBe(true);
    expectNoProblems(problems);
  });

  it('polled values appear on the device page as they arrive, and draw charts', async () => {
    await startAgent();
    const t = server.demo.customerTenantId;
    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    await poll(() => page.getByText('No polled values yet.', { exact: false }).count()).toBe(1);
    await markPage();
    const res = await page.request.post(`/api/v1/tenants/${t}/schedules`, {
      data: {
        name: 'uptime and uplink traffic',
        kind: 'snmp.get',
        deviceIds: [server.demo.deviceId],
        params: { oids: ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.2.1.10.2'] },
        intervalSeconds: 10,
      },
    });
    expect(res.status()).toBe(201);
    // The agent gets the schedule as desired state and polls; samples reach the page live.
    await poll(
      () => page.getByRole('rowheader', { name: 'ifInOctets.2', exact: true }).count(),
      60_000,
    ).toBeGreaterThan(0);
    const chart = page.getByRole('img', { name: /^sysUpTime\.0: \d+ samples/ });
    await poll(() => chart.count(), 30_000).toBe(1);
    // A second poll ten seconds later adds a point without a reload.
    await poll(
      async () => /: (\d+) samples/.exec((await chart.getAttribute('aria-label')) ?? '')?.[1],
      40_000,
    ).toBe('2');
    // The page learnt of the new schedule from its samples: it is listed under Polls.
    const polls = page.getByRole('region', { name: 'Polls' });
    const pollRow = polls.getByRole('row', { name: /uptime and uplink traffic.*every 10 s/ });
    await poll(() => pollRow.count()).toBe(1);
    expect(await stillSamePage()).toBe(true);
    await screenshot(page, 'device-charts');
    expect(await page.getByRole('rowheader', { name: 'ifInOctets.2', exact: true }).count()).toBe(1);
    expectNoProblems(problems);
  });
  it('a trap from the device shows on the Events page as it arrives', async () => {
    const t = server.demo.customerTenantId;
    await page.goto(`/t/${t}/events`);
    await poll(() => page.getByRole('heading', { name: 'Events', level: 1 }).count()).toBe(1);
    await markPage();
    await deviceTrap(LINK_DOWN);
    const row = page.getByRole('row', { name: /linkDown/ });
    await poll(() => row.count(), 30_000).toBe(1);
    expect(await row.getByText('localhost-snmp').count()).toBe(1);
    expect(await stillSamePage()).toBe(true);
    await row.getByText(/linkDown from 127\.0\.0\.1/).click();
    await poll(() => page.getByRole('rowheader', { name: 'ifIndex.2', exact: true }).count()).toBe(1);
    await screenshot(page, 'events-trap');
    expectNoProblems(problems);
  });

  it('a trap stored before the page’s live subscription is confirmed still shows', async () => {
    const t = server.demo.customerTenantId;
    // A second tab whose subscribe messages are held back: the trap arrives after the page
    // loaded its list and before the hub confirmed the subscription, the window in which no
    // live frame can reach it.
    const tab = await page.context().newPage();
    const held: (() => void)[] = [];
    let holding = true;
    await tab.routeWebSocket(/\/api\/v1\/live/, (ws) => {
      const hub = ws.connectToServer();
      ws.onMessage((message) => {
        const send = () => hub.send(message);
        if (holding && typeof message === 'string' && message.includes('"subscribe"')) held.push(send);
        else send();
      });
      hub.onMessage((message) => ws.send(message));
    });
    try {
      await tab.goto(`/t/${t}/events`);
      // The list is loaded (the trap of the test before is on it) and the subscription waits.
      await poll(() => tab.getByRole('row', { name: /linkDown/ }).count(), 30_000).toBe(1);
      await poll(() => held.length).toBeGreaterThan(0);

      await deviceTrap(LINK_UP);
      const stored = async () => {
        const res = await tab.request.get(`/api/v1/tenants/${t}/events?kind=trap`);
        const body = (await res.json()) as { items: { summary: string }[] };
        return body.items.filter((e) => /linkUp/.test(e.summary)).length;
      };
      await poll(stored, 30_000).toBe(1);
      expect(await tab.getByRole('row', { name: /linkUp/ }).count()).toBe(0);

      holding = false;
      for (const send of held.splice(0)) send();
      await poll(() => tab.getByRole('row', { name: /linkUp/ }).count(), 15_000).toBe(1);
    } finally {
      await tab.close();
    }
  });
});
