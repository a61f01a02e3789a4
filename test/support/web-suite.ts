/**
 * The hooks of a browser test file: the service (`web-service.ts`) and Debian's Chromium for the whole file, a fresh
 * browser context for each test, and after each test a check that the page threw nothing and broke no CSP rule.
 *
 * @example
 * const suite = webSuite({ overrides: () => ({ stripe: { baseUrl: stripeUrl } }), worker: true });
 * it('…', async () => {
 *   const { apiKey } = await suite.web.service.tenant();
 *   await signIn(suite.page, apiKey);
 * });
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { launchBrowser, type OpenedPage, openPage } from './browser.js';
import { startWebService, type WebService, type WebServiceOptions } from './web-service.js';

export interface WebSuite {
  readonly web: WebService;
  /** This test's page, in a context of its own. */
  readonly page: Page;
  readonly opened: OpenedPage;
}

/** A test's own time in a browser test file: pages, syncs and screenshots take seconds, more on a busy machine. */
const TEST_TIMEOUT_MS = 60_000;

export function webSuite(options: WebServiceOptions = {}): WebSuite {
  vi.setConfig({ testTimeout: TEST_TIMEOUT_MS });
  let web: WebService | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let opened: OpenedPage | undefined;
  beforeAll(async () => {
    [web, browser] = await Promise.all([startWebService(options), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });
  beforeEach(async () => {
    if (!browser || !web) throw new Error('the browser or the service did not start');
    opened = await openPage(browser, { baseURL: web.origin });
  });
  afterEach(async () => {
    const problems = opened?.problems ?? [];
    await opened?.close();
    opened = undefined;
    expect(problems, 'the page threw or broke its CSP').toEqual([]);
  });
  return {
    get web() {
      if (!web) throw new Error('the service did not start');
      return web;
    },
    get page() {
      if (!opened) throw new Error('no page: use it inside a test');
      return opened.page;
    },
    get opened() {
      if (!opened) throw new Error('no page: use it inside a test');
      return opened;
    },
  };
}
