import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../../test-output/screenshots/', import.meta.url));

const TEST_TIMEOUT_MS = 120_000;

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * `describe` for browser suites. Without Chromium the suite is skipped with a title saying
 * why, except in CI, where a missing browser is a broken runner: there it fails.
 */
export function describeBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    // A browser test logs in (scrypt) and drives several pages: more than a unit test's time.
    describe(name, { timeout: TEST_TIMEOUT_MS }, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: Chromium is not installed at ${CHROMIUM})`, body);
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}

/** What went wrong in a page that the page itself would not show: CSP violations, uncaught errors. */
export interface PageProblems {
  csp: string[];
  errors: string[];
}

/**
 * A fresh context (its own cookies) and page, recording CSP violations and uncaught errors so
 * each test can assert there were none.
 */
export async function openPage(
  browser: Browser,
  opts: { width?: number; height?: number; baseURL: string },
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    baseURL: opts.baseURL,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: PageProblems = { csp: [], errors: [] };
  await page.exposeFunction('__reportCsp', (text: string) => problems.csp.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp(t: string): void }).__reportCsp(
        `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
      );
    });
  });
  page.on('pageerror', (err) => problems.errors.push(err.message));
  return { context, page, problems };
}

/**
 * `expect.poll` with room for a loaded machine: pages render within milliseconds, but a login
 * runs scrypt and a hub under load answers slowly.
 */
export function poll<T>(fn: () => T | Promise<T>, timeout = 20_000) {
  return expect.poll(fn, { timeout, interval: 100 });
}

export function expectNoProblems(problems: PageProblems): void {
  expect(problems.csp, 'Content-Security-Policy violations').toEqual([]);
  expect(problems.errors, 'uncaught errors in the page').toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** The element that has focus, looking through shadow roots: `TAG#id text`. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el ? `${el.tagName}#${el.id} ${el.textContent?.trim() ?? ''}`.trim() : '';
  });
}

/** Inputs, selects and text areas, shadow roots included, that have no label: their HTML. */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of Array.from(root.querySelectorAll('input, select, textarea'))) {
        const input = el as HTMLInputElement;
        if (input.type === 'hidden') continue;
        if (input.labels?.length === 0 && !input.getAttribute('aria-label')) out.push(input.outerHTML);
      }
      for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return out;
  });
}

/** A link of the main navigation ("Devices", "Jobs"…), not any link with that word. */
export function navLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
}

/** Logs in through the login page and waits for the overview of the default tenant. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/t\/[0-9a-f-]{36}\/overview$/, { timeout: 30_000 });
  // Playwright's own wait, so this also works in a hook (expect.poll needs a running test).
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor({ timeout: 30_000 });
}
