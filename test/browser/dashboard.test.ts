import { expect, it } from 'vitest';
import { LIVE_MAX_TOPICS } from '@drm/protocol';
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
 * The dashboard in headless Chromium against a real hub (embedded PostgreSQL, demo data):
 * login, the demo device, roles, tenant isolation, errors in words, narrow screens, keyboard.
 */

const DEMO_EMAIL = 'admin@example.com';

let server: DashboardHub;
let viewer: TestUser;
let stranger: TestUser;
let otherTenant: string;

describeBrowser('dashboard in a browser', () => {
  const session = useDashboardSession(async (s) => {
    server = s.server;
    const customer = server.demo.customerTenantId;
    viewer = await server.hub.user({ [customer]: 'viewer' }, { email: 'viewer@example.test' });
    otherTenant = await server.hub.tenant('Other MSP');
    stranger = await server.hub.user({ [otherTenant]: 'admin' }, { email: 'stranger@example.test' });
  });
  const newPage = session.newPage;

  it('an admin logs in, sees the demo device and its details, with no CSP violation', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    expect(page.url()).toContain(`/t/${server.demo.customerTenantId}/overview`);
    await poll(() => page.getByText('Demo HQ').count()).toBeGreaterThan(0);
    // The live link to the hub comes up on its own.
    await poll(() => page.getByText('Live', { exact: true }).count(), 30_000).toBe(1);
    await screenshot(page, 'overview');

    await navLink(page, 'Devices').click();
    await page.waitForURL(/\/devices$/);
    const device = page.getByRole('link', { name: 'localhost-snmp' });
    await poll(() => device.count()).toBe(1);
    await screenshot(page, 'devices');

    await device.click();
    await page.waitForURL(new RegExp(`/devices/${server.demo.deviceId}$`));
    await poll(() => page.getByRole('heading', { name: 'localhost-snmp', level: 1 }).count()).toBe(1);
    await poll(() => page.getByText('credential: demo-public').count()).toBe(1);
    await screenshot(page, 'device');
    expectNoProblems(problems);
  });

  it('a deep link loads after a reload, and the demo job shows its result with the OID named', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const url = `/t/${server.demo.customerTenantId}/jobs/${server.demo.jobId}`;
    await page.goto(url);
    await page.reload();
    await poll(() => page.getByRole('cell', { name: 'sysDescr.0' }).count()).toBe(1);
    await poll(() =>
      page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow'),
    ).toBe('100');
    await screenshot(page, 'job-demo');
    expectNoProblems(problems);
  });

  it('an admin of two tenants lists the jobs of both at once, each linking to the job in its tenant', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const { mspTenantId, customerTenantId, jobId } = server.demo;
    await page.goto(`/t/${mspTenantId}/jobs`);
    await poll(() => page.getByText('No jobs yet.').count()).toBe(1);
    await page.getByLabel('Jobs of').selectOption('all');
    await page.waitForURL(new RegExp(`/t/${mspTenantId}/jobs\\?tenants=all$`));
    const row = page.getByRole('row').filter({ hasText: 'sysDescr.0' });
    await poll(() => row.count()).toBe(1);
    await poll(() => row.getByRole('cell', { name: 'Demo Customer' }).count()).toBe(1);
    // A device belongs to one tenant: no device filter over all of them.
    expect(await page.getByLabel('Device').count()).toBe(0);
    // A job made in another of the user's tenants shows up without a reload.
    const created = await page.request.post(`/api/v1/tenants/${customerTenantId}/jobs`, {
      data: { kind: 'snmp.get', targets: [server.demo.deviceId], params: { oids: ['1.3.6.1.2.1.1.3.0'] } },
    });
    expect(created.status()).toBe(202);
    const fresh = page.getByRole('row').filter({ hasText: 'sysUpTime.0' });
    await poll(() => fresh.count(), 10_000).toBe(1);
    expect(await fresh.getByRole('cell', { name: 'Demo Customer' }).count()).toBe(1);
    await screenshot(page, 'jobs-all-tenants');
    await row.getByRole('link').first().click();
    await page.waitForURL(new RegExp(`/t/${customerTenantId}/jobs/${jobId}$`));
    await poll(() => page.getByRole('cell', { name: 'sysDescr.0' }).count()).toBe(1);
    expectNoProblems(problems);
  });

  it('a user of more tenants than one page can follow live is told the list of all of them reloads instead', async () => {
    const { page, problems } = await newPage();
    const user = await server.hub.user({});
    const count = LIVE_MAX_TOPICS + 5;
    const first = await server.hub.db.asOwner(async (q) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO tenants (id, name, kind, parent_id)
         SELECT gen_random_uuid(), 'Bulk customer ' || lpad(i::text, 3, '0'), 'customer', $1
           FROM generate_series(1, $2::int) AS i
         RETURNING id`,
        [server.demo.mspTenantId, count],
      );
      for (const { id } of rows) {
        await q.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')", [
          id,
          user.id,
        ]);
      }
      return rows[0]!.id;
    });
    await logIn(page, user.email, user.password);
    await page.goto(`/t/${first}/jobs`);
    await poll(() => page.getByText('No jobs yet.').count()).toBe(1);
    // One tenant is followed live without a word.
    expect(await page.getByText('Too many tenants to follow live', { exact: false }).count()).toBe(0);
    await page.getByLabel('Jobs of').selectOption('all');
    await page.waitForURL(/\?tenants=all$/);
    await poll(() => page.getByText('Too many tenants to follow live', { exact: false }).count()).toBe(1);
    await poll(() => page.getByText('No jobs yet.').count()).toBe(1);
    // Back to one tenant: live again, and the notice goes.
    await page.getByLabel('Jobs of').selectOption('');
    await poll(() => page.getByText('Too many tenants to follow live', { exact: false }).count()).toBe(0);
    expectNoProblems(problems);
  });

  it('a viewer sees no controls that change anything, and the API refuses the change', async () => {
    const { page, problems } = await newPage();
    await logIn(page, viewer.email, viewer.password);
    const t = server.demo.customerTenantId;

    await page.goto(`/t/${t}/jobs`);
    await poll(() => page.getByRole('heading', { name: 'Jobs', level: 1 }).count()).toBe(1);
    await poll(() => page.getByText('sysDescr.0').count()).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: 'New job' }).count()).toBe(0);

    await page.goto(`/t/${t}/jobs/${server.demo.jobId}`);
    await poll(() => page.getByRole('cell', { name: 'sysDescr.0' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: /Cancel job/ }).count()).toBe(0);

    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    await poll(() => page.getByRole('heading', { name: 'localhost-snmp' }).count()).toBe(1);
    for (const name of ['Run a job', 'Edit', 'Delete']) {
      expect(await page.getByRole('link', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await page.goto(`/t/${t}/devices`);
    await poll(() => page.getByRole('link', { name: 'localhost-snmp' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Add device' }).count()).toBe(0);
    // Users and the audit log are for admins: not even in the navigation.
    expect(await navLink(page, 'Audit log').count()).toBe(0);
    expect(await navLink(page, 'Users').count()).toBe(0);
    await screenshot(page, 'viewer-device-list');

    // With the same session cookie, the API itself says no: to a viewer there is no route that
    // creates jobs, the same 404 as for any route that does not exist.
    const res = await page.request.post(`/api/v1/tenants/${t}/jobs`, {
      data: { kind: 'snmp.get', targets: [server.demo.deviceId], params: { oids: ['1.3.6.1.2.1.1.1.0'] } },
    });
    expect(res.status()).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: `Route POST /api/v1/tenants/${t}/jobs not found` },
    });
    expectNoProblems(problems);
  });

  it('a user of another tenant sees none of it, in the pages or the API', async () => {
    const { page, problems } = await newPage();
    await logIn(page, stranger.email, stranger.password);
    expect(page.url()).toContain(`/t/${otherTenant}/overview`);
    // One tenant: no switcher, and nothing of the demo customer anywhere.
    expect(await page.getByLabel('Tenant').count()).toBe(0);
    await navLink(page, 'Devices').click();
    await poll(() => page.getByText('No devices yet.').count()).toBe(1);

    const t = server.demo.customerTenantId;
    await page.goto(`/t/${t}/devices/${server.demo.deviceId}`);
    await poll(() => page.getByRole('heading', { name: 'Not found', level: 1 }).count()).toBe(1);
    expect(await page.getByText('localhost-snmp').count()).toBe(0);
    await screenshot(page, 'other-tenant-not-found');

    for (const path of [`/api/v1/tenants/${t}/devices`, `/api/v1/tenants/${t}/jobs/${server.demo.jobId}`]) {
      const res = await page.request.get(path);
      expect(res.status(), path).toBe(404);
    }
    expectNoProblems(problems);
  });

  it('an admin of two tenants switches between them', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const switcher = page.getByLabel('Tenant');
    await poll(() => switcher.count()).toBe(1);
    await switcher.selectOption(server.demo.mspTenantId);
    await page.waitForURL(new RegExp(`/t/${server.demo.mspTenantId}/overview$`));
    await poll(() => page.getByText('No sites yet').count()).toBe(1);
    expectNoProblems(problems);
  });

  it('errors are shown in words, next to the field they concern', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const t = server.demo.customerTenantId;

    // Checked in the browser before anything is sent: a MIB name the dashboard does not know.
    await page.goto(`/t/${t}/jobs/new?deviceId=${server.demo.deviceId}`);
    const oid = page.getByLabel('OID 1', { exact: true });
    await oid.fill('sysDescrr.0');
    await poll(() => page.getByText('Unknown MIB name "sysDescrr"').count()).toBe(1);
    await page.getByRole('button', { name: 'Run job' }).click();
    await poll(() => focused(page)).toBe('INPUT#oid');
    expect(await oid.getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'job-form-error');

    // Refused by the hub: a device name that is taken, said as a person would say it.
    await page.goto(`/t/${t}/devices/new`);
    await page.getByLabel('Name', { exact: true }).fill('localhost-snmp');
    await page.getByLabel('Address').fill('192.0.2.10');
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: 'demo-public' });
    await page.getByRole('button', { name: 'Add device' }).click();
    await poll(() => page.getByText('That conflicts with what is already there').count(), 30_000).toBe(1);
    await poll(() => page.getByText('A device named "localhost-snmp" already exists').count()).toBe(1);
    await screenshot(page, 'device-form-conflict');

    // A wrong password on the login page.
    const login = await newPage();
    await login.page.goto('/login');
    await login.page.getByLabel('Email').fill(DEMO_EMAIL);
    await login.page.getByLabel('Password').fill('not the password');
    await login.page.getByRole('button', { name: 'Log in' }).click();
    await poll(() => login.page.getByText('Wrong email or password').count()).toBe(1);
    expectNoProblems(problems);
    expectNoProblems(login.problems);
  });

  it('is keyboard usable: focus moves to each new page heading, and controls have names', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    await navLink(page, 'Jobs').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/jobs$/);
    await poll(() => focused(page)).toBe('H1# Jobs');
    // Every form control on the job form has a label.
    await page.goto(`/t/${server.demo.customerTenantId}/jobs/new`);
    await poll(() => page.getByLabel('Kind').count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    expectNoProblems(problems);
  });

  it('fits a narrow screen: the sections sit behind a menu button', async () => {
    const { page, problems } = await newPage({ width: 390, height: 844 });
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.isVisible()).toBe(true);
    expect(await navLink(page, 'Devices').isVisible()).toBe(false);
    await screenshot(page, 'narrow-overview');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await navLink(page, 'Devices').click();
    await page.waitForURL(/\/devices$/);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, 'no sideways scrolling of the page').toBeLessThanOrEqual(390);
    await screenshot(page, 'narrow-devices');
    expectNoProblems(problems);
  });

  it('a role given, changed or taken after sign-in applies without logging in again', async () => {
    const { page, problems } = await newPage();
    // Tenants of its own, so that its role changes stay out of the demo tenant's audit log.
    const parentId = server.demo.mspTenantId;
    const branch = await server.hub.tenant('Branch Office', { kind: 'customer', parentId });
    const second = await server.hub.tenant('Second Branch', { kind: 'customer', parentId });
    const member = await server.hub.user({ [branch]: 'viewer' });
    const admin = await server.hub.user({ [branch]: 'admin' });
    await logIn(page, member.email, member.password);
    await page.goto(`/t/${branch}/jobs`);
    await poll(() => page.getByRole('heading', { name: 'Jobs', level: 1 }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'New job' }).count()).toBe(0);
    expect(await page.getByLabel('Tenant').count()).toBe(0);
    const fromWithin = (url: string) =>
      page.evaluate((to) => {
        history.pushState(null, '', to);
        window.dispatchEvent(new PopStateEvent('popstate'));
      }, url);
    const visibleAgain = async () => {
      // The session is read again at most every few seconds when the page comes back into view.
      await page.waitForTimeout(5_500);
      await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    };

    // Given a role in a second tenant: a link into it works from within the page.
    await server.hub.db.asOwner((q) =>
      q.query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'operator')", [
        second,
        member.id,
      ]),
    );
    await fromWithin(`/t/${second}/jobs`);
    await poll(() => page.getByRole('link', { name: 'New job' }).count()).toBe(1);
    await poll(() => page.getByLabel('Tenant').count()).toBe(1);

    // Made operator in the first: its pages offer what an operator may do.
    await fromWithin(`/t/${branch}/jobs`);
    await poll(() => page.getByRole('heading', { name: 'Jobs', level: 1 }).count()).toBe(1);
    const promoted = await server.hub.call(
      admin.token,
      'PATCH',
      `/api/v1/tenants/${branch}/users/${member.id}`,
      {
        role: 'operator',
      },
    );
    expect(promoted.statusCode).toBe(200);
    await visibleAgain();
    await poll(() => page.getByText('Your role in Branch Office is now operator.').count()).toBe(1);
    await poll(() => page.getByRole('link', { name: 'New job' }).count()).toBe(1);

    // Removed from the first: taken off its pages, to the tenant still held.
    const removed = await server.hub.call(
      admin.token,
      'DELETE',
      `/api/v1/tenants/${branch}/users/${member.id}`,
    );
    expect(removed.statusCode).toBe(204);
    await visibleAgain();
    await poll(() => page.getByText('You no longer have a role in Branch Office.').count()).toBe(1);
    await page.waitForURL(new RegExp(`/t/${second}/overview$`));
    expect(await page.getByLabel('Tenant').count()).toBe(0);
    expectNoProblems(problems);
  });

  it('logging out ends the session: the API no longer answers, and pages ask to log in', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    const res = await page.request.get('/api/v1/auth/me');
    expect(res.status()).toBe(401);
    await page.goto(`/t/${server.demo.customerTenantId}/devices`);
    await page.waitForURL(/\/login\?next=/);
    expect(decodeURIComponent(page.url())).toContain(`next=/t/${server.demo.customerTenantId}/devices`);
    expectNoProblems(problems);
  });
  it('an admin invites a person, who joins from the link with a new account; the role changes; the audit log records it', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    await navLink(page, 'Users').click();
    await page.waitForURL(/\/users$/);
    await page.getByLabel('Email').fill('new.operator@example.test');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const shown = page.getByText(/\/invite#drmi_/);
    await poll(() => shown.count()).toBe(1);
    const link = ((await shown.textContent()) ?? '').trim();
    expect(new URL(link).pathname).toBe('/invite');
    await poll(() => page.getByRole('row', { name: /new\.operator@example\.test/ }).count()).toBe(1);
    await screenshot(page, 'users-invited');

    // The invitee, in a browser of their own, signs up from the link and lands in the tenant.
    const invitee = await newPage();
    await invitee.page.goto(link);
    await poll(() => invitee.page.getByRole('heading', { name: /^Join / }).count()).toBe(1);
    await poll(() => invitee.page.getByText('As operator', { exact: false }).count()).toBe(1);
    await screenshot(invitee.page, 'invitation');
    await invitee.page.getByLabel('Your name').fill('New Operator');
    await invitee.page.getByLabel('Password').fill('a long enough password');
    await invitee.page.getByRole('button', { name: 'Create account and join' }).click();
    await invitee.page.waitForURL(new RegExp(`/t/${server.demo.customerTenantId}/overview$`));
    await poll(() => invitee.page.getByRole('button', { name: 'Log out' }).count()).toBe(1);
    expectNoProblems(invitee.problems);
    // The link is used up.
    await invitee.page.goto(link);
    await poll(() => invitee.page.getByText('was already accepted', { exact: false }).count()).toBe(1);

    await page.reload();
    const row = page.getByRole('row', { name: /new\.operator@example\.test/ });
    await poll(() => row.getByLabel('Role of new.operator@example.test').count()).toBe(1);
    await row.getByLabel('Role of new.operator@example.test').selectOption('viewer');
    await poll(() => page.getByText('new.operator@example.test is now viewer').count()).toBe(1);
    await screenshot(page, 'users');

    await navLink(page, 'Audit log').click();
    await page.waitForURL(/\/audit$/);
    await poll(() =>
      page.getByRole('cell', { name: 'invitation.accept', exact: true }).count(),
    ).toBeGreaterThan(0);
    await page.getByLabel('Action').fill('member.update');
    // Both as polls: while the filtered page loads, the table is empty for a moment.
    await poll(() => page.getByRole('cell', { name: 'member.update', exact: true }).count()).toBe(1);
    await poll(() => page.getByRole('cell', { name: 'invitation.accept', exact: true }).count()).toBe(0);
    await screenshot(page, 'audit');
    expectNoProblems(problems);
  });
  it('an invitation for an existing account is accepted by logging in to it from the link', async () => {
    const customer = server.demo.customerTenantId;
    const admin = await server.hub.user({ [customer]: 'admin' });
    const made = await server.hub.call(admin.token, 'POST', `/api/v1/tenants/${customer}/invitations`, {
      email: stranger.email,
      role: 'viewer',
    });
    expect(made.statusCode).toBe(201);
    const { page, problems } = await newPage();
    await page.goto(`/invite#${made.json().token}`);
    await poll(() =>
      page.getByText(`Log in to your account ${stranger.email} to accept`, { exact: false }).count(),
    ).toBe(1);
    await page.getByLabel('Password').fill(stranger.password);
    await page.getByRole('button', { name: 'Log in and join' }).click();
    await page.waitForURL(new RegExp(`/t/${customer}/overview$`));
    // Both tenants are now the account's: the other MSP's and the one it joined.
    await poll(() => page.getByLabel('Tenant').locator('option').count()).toBe(2);
    expectNoProblems(problems);
  });
});
