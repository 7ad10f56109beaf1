import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, openPage, type PageProblems } from './browser.js';
import { type DashboardHub, startDashboardHub } from './hub.js';

export interface DashboardSession {
  readonly server: DashboardHub;
  readonly browser: Browser;
  /** A page in a fresh browser context on the hub; closed with the session. */
  newPage(opts?: { width?: number; height?: number }): Promise<{ page: Page; problems: PageProblems }>;
}

/**
 * For the body of a `describeBrowser`: a hub with the demo data and a headless Chromium for the
 * file's tests, started before them (then `setup` runs, e.g. to add users) and closed after
 * them with every page opened.
 */
export function useDashboardSession(setup?: (session: DashboardSession) => Promise<void>): DashboardSession {
  let server: DashboardHub | undefined;
  let browser: Browser | undefined;
  const contexts: { close(): Promise<void> }[] = [];
  const session: DashboardSession = {
    get server() {
      if (!server) throw new Error('the dashboard session has not started');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the dashboard session has not started');
      return browser;
    },
    async newPage(opts = {}) {
      const { context, page, problems } = await openPage(session.browser, {
        baseURL: session.server.url,
        ...opts,
      });
      contexts.push(context);
      return { page, problems };
    },
  };
  beforeAll(async () => {
    server = await startDashboardHub();
    browser = await launchBrowser();
    await setup?.(session);
  }, 240_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });
  return session;
}
