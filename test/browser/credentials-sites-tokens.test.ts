import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { loadCredentialSecret } from '../../hub/src/modules/credentials/secret.js';
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
 * Credentials, sites and API tokens in the dashboard, in headless Chromium against a real hub
 * with the demo data: an admin makes an SNMPv3 credential whose keys the hub stores but never
 * returns, renames it without the keys changing, is told in words that a credential or a site
 * in use cannot be deleted, renames a site, and makes, uses and revokes an API token; a viewer
 * sees none of the controls that change credentials or sites.
 */

const DEMO_EMAIL = 'admin@example.com';
const AUTH_KEY = 'auth-secret-1234';
const PRIV_KEY = 'priv-secret-5678';

let server: DashboardHub;
let viewer: TestUser;
let operator: TestUser;

interface CredentialJson {
  id: string;
  name: string;
  kind: string;
  securityLevel?: string;
  authProtocol?: string;
  privProtocol?: string;
}

const tenant = () => server.demo.customerTenantId;

/** The tenant's credentials as the API returns them, with the raw text of the answer. */
async function credentials(page: Page): Promise<{ items: CredentialJson[]; text: string }> {
  const res = await page.request.get(`/api/v1/tenants/${tenant()}/credentials`);
  expect(res.status()).toBe(200);
  const text = await res.text();
  return { items: (JSON.parse(text) as { items: CredentialJson[] }).items, text };
}

/** The stored secret, opened the way the dispatcher opens it for an agent. */
function storedSecret(id: string) {
  const t = tenant();
  return server.hub.db.withTenant(t, (q) => loadCredentialSecret(q, server.hub.app.secrets, t, id));
}

/** A call with only a bearer token: no cookie, as a script makes it. */
function withToken(token: string, path: string) {
  return fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function noSidewaysScroll(page: Page, name: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, name);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `no sideways scrolling (${name})`).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function confirm(page: Page, heading: string, button: string) {
  const dialog = page.getByRole('dialog', { name: heading });
  await poll(() => dialog.isVisible()).toBe(true);
  await dialog.getByRole('button', { name: button }).click();
}

describeBrowser('credentials, sites and API tokens in the dashboard', () => {
  const session = useDashboardSession(async (s) => {
    server = s.server;
    viewer = await server.hub.user({ [tenant()]: 'viewer' }, { email: 'cred.viewer@example.test' });
    operator = await server.hub.user({ [tenant()]: 'operator' }, { email: 'cred.operator@example.test' });
  });
  const newPage = session.newPage;

  it('an admin makes an SNMPv3 credential, renames it with its keys kept, and deletes it', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);

    await navLink(page, 'Credentials').click();
    await page.waitForURL(/\/credentials$/);
    const demoRow = page.getByRole('row', { name: /demo-public/ });
    await poll(() => demoRow.count()).toBe(1);
    expect(await demoRow.getByRole('cell', { name: '1 device', exact: true }).count()).toBe(1);
    expect(await demoRow.getByText('SNMP v2c community').count()).toBe(1);

    await page.getByRole('link', { name: 'New credential' }).click();
    await page.waitForURL(/\/credentials\/new$/);
    await poll(() => page.getByRole('heading', { name: 'New credential', level: 1 }).count()).toBe(1);
    await page.getByLabel('Kind').selectOption({ label: 'SNMPv3 user' });
    await poll(() => page.getByLabel('SNMPv3 user').count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Name', { exact: true }).fill('core-v3');
    await page.getByLabel('SNMPv3 user').fill('ops');
    await page.getByLabel('Security level').selectOption('authPriv');
    await page.getByLabel('Authentication').selectOption({ label: 'SHA-512' });
    await page.getByLabel('Privacy', { exact: true }).selectOption({ label: 'AES-128' });
    await page.getByLabel('Auth key', { exact: true }).fill('short');
    await page.getByLabel('Privacy key', { exact: true }).fill(PRIV_KEY);
    // Checked before anything is sent: RFC 3414 wants 8 characters or more.
    await page.getByRole('button', { name: 'Create credential' }).click();
    await poll(() => page.getByText('At least 8 characters (RFC 3414 section 11.2)').count()).toBe(1);
    await poll(() => focused(page)).toBe('INPUT#cred-authKey');
    expect((await credentials(page)).items.map((c) => c.name)).toEqual(['demo-public']);
    await screenshot(page, 'credential-form-error');
    await page.getByLabel('Auth key', { exact: true }).fill(AUTH_KEY);
    await page.getByRole('button', { name: 'Create credential' }).click();

    await page.waitForURL(/\/credentials$/);
    await poll(() => page.getByText('Credential core-v3 created').count()).toBe(1);
    const row = page.getByRole('row', { name: /core-v3/ });
    await poll(() => row.count()).toBe(1);
    expect(await row.getByText('user ops, authPriv, SHA-512 and AES-128').count()).toBe(1);
    expect(await row.getByRole('cell', { name: 'Nothing', exact: true }).count()).toBe(1);
    await screenshot(page, 'credentials');

    // Stored: the keys open as typed. Never returned: not in the list nor in the one credential.
    const listed = await credentials(page);
    const made = listed.items.find((c) => c.name === 'core-v3')!;
    expect(made).toMatchObject({
      kind: 'snmp-v3',
      securityLevel: 'authPriv',
      authProtocol: 'sha512',
      privProtocol: 'aes',
    });
    expect(await storedSecret(made.id)).toMatchObject({ authKey: AUTH_KEY, privKey: PRIV_KEY });
    const one = await page.request.get(`/api/v1/tenants/${tenant()}/credentials/${made.id}`);
    for (const text of [listed.text, await one.text()]) {
      expect(text).not.toContain(AUTH_KEY);
      expect(text).not.toContain(PRIV_KEY);
      expect(text).not.toMatch(/authKey|privKey/);
    }

    // Renamed on its page without typing the keys again: the form says empty keeps them.
    await row.getByRole('link', { name: 'core-v3', exact: true }).click();
    await page.waitForURL(new RegExp(`/credentials/${made.id}$`));
    await poll(() => page.getByRole('heading', { name: 'core-v3', level: 1 }).count()).toBe(1);
    await poll(() => page.getByText('A secret field left empty keeps the one stored').count()).toBe(1);
    expect(await page.getByLabel('New auth key').inputValue()).toBe('');
    expect(await page.getByLabel('New privacy key').inputValue()).toBe('');
    expect(await page.getByLabel('SNMPv3 user').inputValue()).toBe('ops');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'credential-edit');
    await page.getByLabel('Name', { exact: true }).fill('core-v3-renamed');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/credentials$/);
    await poll(() => page.getByText('Credential core-v3-renamed saved').count()).toBe(1);
    const renamed = page.getByRole('row', { name: /core-v3-renamed/ });
    await poll(() => renamed.count()).toBe(1);
    expect(await storedSecret(made.id)).toMatchObject({
      name: 'core-v3-renamed',
      authProtocol: 'sha512',
      authKey: AUTH_KEY,
      privKey: PRIV_KEY,
    });

    await noSidewaysScroll(page, 'narrow-credentials');

    // The device form shows the same fields for a credential it uses, secrets kept when empty.
    await page.goto(`/t/${tenant()}/devices/${server.demo.deviceId}/edit`);
    await poll(() => page.getByLabel('New community').count()).toBe(1);
    expect(await page.getByLabel('New community').inputValue()).toBe('');
    expect(await page.getByText('Leave empty to keep the current one.').count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await navLink(page, 'Credentials').click();
    await page.waitForURL(/\/credentials$/);

    // The hub keeps a credential a device uses, and the page says which device.
    await demoRow.getByRole('button', { name: 'Delete demo-public' }).click();
    await confirm(page, 'Delete the credential demo-public?', 'Delete credential');
    const refusal = page.getByRole('alert').filter({ hasText: 'demo-public was not deleted' });
    await poll(() => refusal.count()).toBe(1);
    expect(await refusal.getByText('devices or polls still use it').count()).toBe(1);
    expect(await refusal.getByText('Change these to use another credential').count()).toBe(1);
    expect(await refusal.getByRole('link', { name: 'localhost-snmp' }).count()).toBe(1);
    await screenshot(page, 'credential-in-use');
    expect((await credentials(page)).items.some((c) => c.name === 'demo-public')).toBe(true);
    await refusal.getByRole('button', { name: 'Close' }).click();
    await poll(() => refusal.count()).toBe(0);

    await renamed.getByRole('button', { name: 'Delete core-v3-renamed' }).click();
    await confirm(page, 'Delete the credential core-v3-renamed?', 'Delete credential');
    await poll(() => page.getByText('Credential core-v3-renamed deleted').count()).toBe(1);
    await poll(() => renamed.count()).toBe(0);
    expect((await credentials(page)).items.map((c) => c.name)).toEqual(['demo-public']);
    expect(await storedSecret(made.id)).toBeNull();
    expectNoProblems(problems);
  });

  it('an admin renames a site, is told why one in use stays, and deletes an empty one', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    const siteUrl = `/api/v1/tenants/${tenant()}/sites/${server.demo.siteId}`;

    const hq = page.getByRole('region', { name: 'Demo HQ' });
    await poll(() => hq.count()).toBe(1);
    await hq.getByRole('button', { name: 'Edit Demo HQ' }).click();
    await poll(() => focused(page)).toBe('INPUT#site-name');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Name', { exact: true }).fill('Head office');
    await screenshot(page, 'site-edit');
    await page.getByRole('button', { name: 'Save site' }).click();
    await poll(() => page.getByText('Site renamed to Head office').count()).toBe(1);
    const office = page.getByRole('region', { name: 'Head office' });
    await poll(() => office.count()).toBe(1);
    expect(await hq.count()).toBe(0);
    await poll(() => focused(page)).toBe('BUTTON#edit Edit Head office');
    const site = await page.request.get(siteUrl);
    expect(((await site.json()) as { name: string }).name).toBe('Head office');

    // The demo device is at this site: the hub refuses, the card says why in words.
    await office.getByRole('button', { name: 'Delete Head office' }).click();
    await confirm(page, 'Delete the site Head office?', 'Delete site');
    const refusal = office.getByRole('alert');
    await poll(() => refusal.textContent()).toContain(
      'Head office was not deleted: it still has 1 device. Delete the device or move it to another site on its edit page.',
    );
    expect((await page.request.get(siteUrl)).status()).toBe(200);
    await screenshot(page, 'site-in-use');

    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Spare room');
    await page.getByRole('button', { name: 'Add site', exact: true }).last().click();
    const spare = page.getByRole('region', { name: 'Spare room' });
    await poll(() => spare.count()).toBe(1);
    await spare.getByRole('button', { name: 'Delete Spare room' }).click();
    await confirm(page, 'Delete the site Spare room?', 'Delete site');
    await poll(() => page.getByText('Site Spare room deleted').count()).toBe(1);
    await poll(() => spare.count()).toBe(0);
    const sites = await page.request.get(`/api/v1/tenants/${tenant()}/sites`);
    expect(((await sites.json()) as { items: { name: string }[] }).items.map((s) => s.name)).toEqual([
      'Head office',
    ]);
    await noSidewaysScroll(page, 'narrow-overview-sites');
    expectNoProblems(problems);
  });

  it('an admin makes an API token, a script uses it, and after revoking it the hub refuses it', async () => {
    const { page, problems } = await newPage();
    await logIn(page, DEMO_EMAIL, DEMO_PASSWORD);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL(/\/api-tokens$/);
    await poll(() => page.getByRole('heading', { name: 'API tokens', level: 1 }).count()).toBe(1);
    await poll(() => page.getByText('You have no API tokens.').count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('inventory sync');
    await page.getByLabel('Expires after').selectOption({ label: '30 days' });
    await page.getByRole('button', { name: 'Make token' }).click();
    await poll(() => page.getByRole('heading', { name: 'Token inventory sync made' }).count()).toBe(1);
    await poll(() => focused(page)).toBe('H2#created-h Token inventory sync made');
    expect(await page.getByText('this is the only time it is shown').count()).toBe(1);
    const copies = page.locator('drm-copy-text pre');
    const token = (await copies.nth(0).textContent())!.trim();
    expect(token).toMatch(/^drma_[A-Za-z0-9_-]{20,}$/);
    const example = (await copies.nth(1).textContent())!.trim();
    expect(example).toBe(
      `curl -H 'Authorization: Bearer ${token}' ${server.url}/api/v1/tenants/${tenant()}/devices`,
    );
    expect(await page.getByRole('button', { name: 'Copy API token' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Copy example command' }).count()).toBe(1);
    await screenshot(page, 'api-token-created');

    // A script with nothing but the token reads the tenant's devices.
    const used = await withToken(token, `/api/v1/tenants/${tenant()}/devices`);
    expect(used.status).toBe(200);
    const devices = (await used.json()) as { items: { name: string }[] };
    expect(devices.items.map((d) => d.name)).toEqual(['localhost-snmp']);

    // Once dismissed, the token is not on the page any more; the list shows when it was used.
    await page.getByRole('button', { name: 'Done, I have copied it' }).click();
    await poll(() => page.locator('drm-copy-text').count()).toBe(0);
    await page.reload();
    const row = page.getByRole('row', { name: /inventory sync/ });
    await poll(() => row.count()).toBe(1);
    expect(await row.getByText('just now').count()).toBe(1);
    expect(await page.getByText(token).count()).toBe(0);
    await screenshot(page, 'api-tokens');
    await noSidewaysScroll(page, 'narrow-api-tokens');

    await row.getByRole('button', { name: 'Revoke inventory sync' }).click();
    await confirm(page, 'Revoke the token inventory sync?', 'Revoke token');
    await poll(() => page.getByText('You have no API tokens.').count()).toBe(1);
    expect((await withToken(token, `/api/v1/tenants/${tenant()}/devices`)).status).toBe(401);
    expectNoProblems(problems);
  });

  it('a viewer sees credentials and sites but no control that changes them; an operator no site controls', async () => {
    const { page, problems } = await newPage();
    await logIn(page, viewer.email, viewer.password);
    const site = page.getByRole('region', { name: /Demo HQ|Head office/ });
    await poll(() => site.count()).toBe(1);
    expect(await page.getByRole('button', { name: /^(Edit|Delete|Add site)/ }).count()).toBe(0);

    await navLink(page, 'Credentials').click();
    await page.waitForURL(/\/credentials$/);
    const row = page.getByRole('row', { name: /demo-public/ });
    await poll(() => row.count()).toBe(1);
    expect(await page.getByRole('link', { name: 'New credential' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    await screenshot(page, 'viewer-credentials');

    await row.getByRole('link', { name: 'demo-public', exact: true }).click();
    await page.waitForURL(new RegExp(`/credentials/${server.demo.credentialId}$`));
    await poll(() => page.getByRole('heading', { name: 'Settings' }).count()).toBe(1);
    expect(await page.getByText('Stored encrypted; never shown').count()).toBe(1);
    expect(
      await page
        .getByRole('region', { name: 'Used by' })
        .getByRole('link', { name: 'localhost-snmp' })
        .count(),
    ).toBe(1);
    expect(await page.getByRole('textbox').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Save|Delete/ }).count()).toBe(0);
    await screenshot(page, 'viewer-credential');

    await page.goto(`/t/${tenant()}/credentials/new`);
    await poll(() => page.getByText('Your role can look at credentials but not make them.').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Create credential' }).count()).toBe(0);

    // The hub answers a write route for a role too low like a route that does not exist.
    const res = await page.request.post(`/api/v1/tenants/${tenant()}/credentials`, {
      data: { kind: 'snmp-community', name: 'nope', community: 'x' },
    });
    expect(res.status()).toBe(404);
    expectNoProblems(problems);

    // Operators manage credentials but not sites.
    const op = await newPage();
    await logIn(op.page, operator.email, operator.password);
    await poll(() => op.page.getByRole('region', { name: /Demo HQ|Head office/ }).count()).toBe(1);
    expect(await op.page.getByRole('button', { name: /^(Edit|Delete|Add site)/ }).count()).toBe(0);
    await navLink(op.page, 'Credentials').click();
    await poll(() => op.page.getByRole('link', { name: 'New credential' }).count()).toBe(1);
    expectNoProblems(op.problems);
  });
});
