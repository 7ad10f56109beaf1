import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { TestUser } from '../../hub/test/helpers/hub.js';
import {
  describeBrowser,
  expectNoProblems,
  focused,
  logIn,
  navLink,
  poll,
  screenshot,
  unlabelledControls,
} from './helpers/browser.js';
import { DEMO_PASSWORD, type DashboardHub } from './helpers/hub.js';
import { useDashboardSession } from './helpers/session.js';

/**
 * Polls (schedules) in the dashboard, in headless Chromium against a real hub with the demo
 * data: an admin sets one up from the device's page, finds it in the list, disables, edits
 * and deletes it; a viewer sees polls but no control that changes them.
 */

const DEMO_EMAIL = 'admin@example.com';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

let server: DashboardHub;
let viewer: TestUser;
let operator: TestUser;

interface ScheduleJson {
  id: string;
  name: string;
  kind: string;
  params: { oids?: string[] };
  deviceIds: string[];
  intervalSeconds: number;
  enabled: boolean;
}

/** The tenant's schedules as the API has them, read with the page's own session. */
async function schedules(page: Page): Promise<ScheduleJson[]> {
  const res = await page.request.get(`/api/v1/tenants/${server.demo.customerTenantId}/schedules`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { items: ScheduleJson[] }).items;
}

describeBrowser('polls in the dashboard', () => {
  const session = useDashboardSession(async (s) => {
    server = s.server;
    const customer = server.demo.customerTenantId;
    viewer = await server.hub.user({ [customer]: 'viewer' }, { email: 'poll.viewer@example.test' });
    operator = await server.hub.user({ [customer]: 'operator' }, { email: 'poll.operator@example.test' });
  });
  const newPage = session.newPage;

  it('an admin adds a poll of sysUpTime.0 from the device page, then disables, edits and deletes it', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const t = server.demo.customerTenantId;

    // The device page: nothing polls the demo device yet; "Add poll" opens the form for it.
    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    const section = page.getByRole('region', { name: 'Polls' });
    await poll(() => section.getByText('Nothing polls this device').count()).toBe(1);
    await section.getByRole('link', { name: 'Add poll' }).click();
    await page.waitForURL(new RegExp(`/polls/new\\?deviceId=${server.demo.deviceId}$`));
    await poll(() => page.getByRole('heading', { name: 'New poll', level: 1 }).count()).toBe(1);
    await poll(() => page.getByRole('checkbox', { name: /localhost-snmp/ }).count()).toBe(1);
    expect(await page.getByRole('checkbox', { name: /localhost-snmp/ }).isChecked()).toBe(true);
    // Every control of the form has a label, the walk's too.
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Kind').selectOption('snmp.walk');
    await poll(() => page.getByLabel('Subtree to walk').count()).toBe(1);
    await page.getByText('SNMP options').click();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Kind').selectOption('snmp.get');

    await page.getByLabel('Name', { exact: true }).fill('Uptime');
    await page.getByLabel('OID 1', { exact: true }).fill('sysUpTime.0');
    await poll(() => page.getByText(`sysUpTime.0 = ${SYS_UPTIME}`).count()).toBe(1);
    // Checked in the browser before anything is sent: too short an interval.
    await page.getByLabel('Poll every').fill('5');
    await page.getByLabel('Unit').selectOption({ label: 'seconds' });
    await page.getByRole('button', { name: 'Create poll' }).click();
    await poll(() => page.getByText('At least 10 seconds between polls').count()).toBe(1);
    await poll(() => focused(page)).toBe('INPUT#every');
    expect(await schedules(page)).toEqual([]);
    await screenshot(page, 'poll-form-error');

    await page.getByLabel('Poll every').fill('30');
    await page.getByRole('button', { name: 'Create poll' }).click();
    // Back on the device page, which lists it.
    await page.waitForURL(new RegExp(`/devices/${server.demo.deviceId}$`));
    await poll(() => page.getByText('Poll Uptime created').count()).toBe(1);
    const deviceRow = section.getByRole('row', { name: /Uptime/ });
    await poll(() => deviceRow.count()).toBe(1);
    expect(await deviceRow.getByText('every 30 s').count()).toBe(1);
    expect(await deviceRow.getByText('Enabled').count()).toBe(1);
    await screenshot(page, 'device-polls');
    const [created] = await schedules(page);
    expect(created).toMatchObject({
      name: 'Uptime',
      kind: 'snmp.get',
      params: { oids: [SYS_UPTIME] },
      deviceIds: [server.demo.deviceId],
      intervalSeconds: 30,
      enabled: true,
    });

    // The Polls page lists it, and the kind filter leaves it out when it does not match.
    await navLink(page, 'Polls').click();
    await page.waitForURL(/\/polls$/);
    const row = page.getByRole('row', { name: /Uptime/ });
    await poll(() => row.count()).toBe(1);
    expect(await row.getByText('1 device').count()).toBe(1);
    expect(await row.getByText('sysUpTime.0').count()).toBe(1);
    await screenshot(page, 'polls');
    await page.getByLabel('Kind').selectOption({ label: 'SNMP walk' });
    await poll(() => page.getByText('No poll matches these filters.').count()).toBe(1);
    await page.getByLabel('Kind').selectOption({ label: 'SNMP get' });
    await poll(() => row.count()).toBe(1);

    // Narrow screens: the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'narrow-polls');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, 'no sideways scrolling of the page').toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Disabled from the list.
    await row.getByRole('button', { name: 'Disable Uptime' }).click();
    await poll(() => row.getByText('Disabled').count()).toBe(1);
    expect(await row.getByRole('button', { name: 'Enable Uptime' }).count()).toBe(1);
    expect((await schedules(page))[0]?.enabled).toBe(false);

    // Edited on its own page: every 2 minutes, the same OID shown by its name.
    await row.getByRole('link', { name: 'Uptime', exact: true }).click();
    await page.waitForURL(new RegExp(`/polls/${created!.id}$`));
    await poll(() => page.getByRole('heading', { name: 'Uptime', level: 1 }).count()).toBe(1);
    await poll(() => page.getByLabel('OID 1', { exact: true }).inputValue()).toBe('sysUpTime.0');
    expect(await page.getByLabel('Enabled: poll at this interval').isChecked()).toBe(false);
    await screenshot(page, 'poll-edit');
    await page.getByLabel('Poll every').fill('2');
    await page.getByLabel('Unit').selectOption({ label: 'minutes' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/polls$/);
    await poll(() => row.getByText('every 2 min').count()).toBe(1);
    expect((await schedules(page))[0]).toMatchObject({ intervalSeconds: 120, enabled: false });

    // Deleted after confirming.
    await row.getByRole('button', { name: 'Delete Uptime' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the poll Uptime?' });
    await poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Delete poll' }).click();
    await poll(() => page.getByText('No polls yet.', { exact: false }).count()).toBe(1);
    expect(await schedules(page)).toEqual([]);

    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    await poll(() => section.getByText('Nothing polls this device').count()).toBe(1);
    expectNoProblems(problems);
  });

  it('a viewer sees polls and their settings, but no control that changes them', async () => {
    const t = server.demo.customerTenantId;
    const made = await server.hub.call(operator.token, 'POST', `/api/v1/tenants/${t}/schedules`, {
      name: 'Interfaces',
      kind: 'snmp.walk',
      deviceIds: [server.demo.deviceId],
      params: { oid: '1.3.6.1.2.1.2.2' },
      intervalSeconds: 300,
    });
    expect(made.statusCode).toBe(201);
    const id = (made.json() as { id: string }).id;

    const { page, problems } = await newPage();
    await logIn(page, viewer.email, viewer.password);
    await navLink(page, 'Polls').click();
    await page.waitForURL(/\/polls$/);
    const row = page.getByRole('row', { name: /Interfaces/ });
    await poll(() => row.count()).toBe(1);
    expect(await row.getByText('every 5 min').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'New poll' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Disable|Enable|Delete)/ }).count()).toBe(0);
    await screenshot(page, 'viewer-polls');

    await row.getByRole('link', { name: 'Interfaces', exact: true }).click();
    await page.waitForURL(new RegExp(`/polls/${id}$`));
    await poll(() => page.getByRole('heading', { name: 'Settings' }).count()).toBe(1);
    expect(await page.getByText('ifTable').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'localhost-snmp' }).count()).toBe(1);
    expect(await page.getByRole('textbox').count()).toBe(0);
    await screenshot(page, 'viewer-poll');
    expect(await page.getByRole('button', { name: /Save|Disable|Enable|Delete/ }).count()).toBe(0);

    await page.goto(`/t/${t}/polls/new`);
    await poll(() => page.getByText('Your role can look at polls but not set them up.').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Create poll' }).count()).toBe(0);

    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    const section = page.getByRole('region', { name: 'Polls' });
    await poll(() => section.getByRole('link', { name: 'Interfaces', exact: true }).count()).toBe(1);
    expect(await section.getByRole('link', { name: 'Add poll' }).count()).toBe(0);

    // The hub refuses the viewer's change whatever the page shows.
    const res = await page.request.patch(`/api/v1/tenants/${t}/schedules/${id}`, {
      data: { enabled: false },
    });
    expect(res.ok()).toBe(false);
    expect((await schedules(page))[0]?.enabled).toBe(true);
    expectNoProblems(problems);
  });
});
