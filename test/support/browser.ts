/**
 * A real browser for the page's scenario tests: Debian's Chromium (`/usr/bin/chromium`, which `.ci/run` installs
 * with apt; Playwright's own browser download is not reachable here) driven by npm `playwright-core`, a fresh
 * context per test, screenshots into the git-ignored `.tmp/screenshots/`, and axe-core on every page.
 *
 * @example
 * const browser = await launchBrowser();
 * const { page, close } = await openPage(browser, { baseURL: origin });
 * await page.goto('/');
 * await checkPage(page, 'sign-in'); // axe at 1280×800 and 390×844, a screenshot at each
 * await close();
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AxeResults, Result } from 'axe-core';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The two sizes the issue asks the page to work at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Git-ignored (`.tmp/` in .gitignore). */
export const SCREENSHOT_DIR = path.join(ROOT, '.tmp', 'screenshots');

/**
 * Debian's Chromium, headless.
 * @throws a message saying how to install it when it is missing (the browser tests fail then, they never skip).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}, so the page's browser tests cannot run. Install Debian's ` +
        'chromium (`sudo apt-get install -y chromium`; .ci/run does it when it is missing) and run them again.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /**
   * What went wrong in the page: uncaught exceptions, and Content-Security-Policy refusals (the server's CSP allows
   * nothing from elsewhere, so a refusal is a page bug).
   */
  problems: string[];
  close(): Promise<void>;
}

/** A new context (its own cookies and session storage) and a page in it, at 1280×800. */
export async function openPage(browser: Browser, options: { baseURL: string }): Promise<OpenedPage> {
  const context = await browser.newContext({ baseURL: options.baseURL, viewport: VIEWPORTS.desktop });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught in the page: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      problems.push(`CSP: ${message.text()}`);
    }
  });
  return { context, page, problems, close: () => context.close() };
}

/** `Stripe — platform page` → `stripe-platform-page`. */
function fileName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The whole page as a PNG in `.tmp/screenshots/<name>.png`; returns the file's path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${fileName(name)}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

const BLOCKING = new Set(['critical', 'serious']);

/** One violation as a line: its id and help, and each node's target. */
function describe(violation: Result): string {
  const nodes = violation.nodes.map((n) => `    ${n.target.map(String).join(' > ')}`).join('\n');
  return `- [${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`;
}

/**
 * axe-core on the page as it is now. Its source is evaluated through the DevTools protocol, not a `<script>`
 * element, so the page's CSP (scripts from 'self' only) stays in force for the page itself.
 * @throws listing every critical or serious violation (id, help, the nodes' targets).
 */
export async function expectAccessible(page: Page, where: string): Promise<AxeResults> {
  const installed = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!installed) await page.evaluate(axe.source);
  const results = (await page.evaluate(() => {
    // In the page: the DOM's globals, typed here without the DOM library.
    const inPage = globalThis as unknown as { axe: typeof axe; document: Parameters<typeof axe.run>[0] };
    return inPage.axe.run(inPage.document, { resultTypes: ['violations'] });
  })) as AxeResults;
  const blocking = results.violations.filter((v) => v.impact && BLOCKING.has(v.impact));
  if (blocking.length > 0) {
    throw new Error(
      `axe-core found ${blocking.length} critical or serious accessibility violation(s) on ${where}:\n` +
        blocking.map(describe).join('\n'),
    );
  }
  return results;
}

/**
 * Whether the page scrolls sideways at its current width (WCAG 1.4.10 Reflow: content reflows into the viewport;
 * wide tables scroll inside their own container, not the page), and the elements sticking out, outermost first.
 */
export async function sidewaysOverflow(page: Page): Promise<{ width: number; viewport: number; sticking: string[] }> {
  return (await page.evaluate(`(() => {
    const viewport = document.documentElement.clientWidth;
    const width = document.documentElement.scrollWidth;
    const scrolls = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
      const x = getComputedStyle(e).overflowX; if (x === 'auto' || x === 'scroll' || x === 'hidden') return true; } return false; };
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' (reaching ' + Math.round(Math.max(el.getBoundingClientRect().right, el.getBoundingClientRect().left + el.scrollWidth)) +
      ' px: "' + (el.textContent || '').trim().slice(0, 60) + '")';
    const all = [...document.body.querySelectorAll('*')].filter((el) => !scrolls(el));
    // Boxes past the right edge, and boxes whose content (a long word, a URL) spills past it.
    const boxes = all.filter((el) => el.getBoundingClientRect().right > viewport + 1);
    const spills = all.filter((el) => getComputedStyle(el).overflowX === 'visible' &&
      el.scrollWidth > el.clientWidth + 1 && el.getBoundingClientRect().left + el.scrollWidth > viewport + 1);
    const sticking = [...new Set([...boxes, ...spills])]
      .filter((el, _i, list) => !list.some((other) => other !== el && el.contains(other)))
      .slice(0, 5).map(describe);
    return { width, viewport, sticking };
  })()`)) as { width: number; viewport: number; sticking: string[] };
}

/**
 * A page visited: at 1280×800 and at 390×844, a screenshot (`<name>-1280x800.png`, `<name>-390x844.png`), axe-core
 * (no critical or serious violation) and no sideways scrolling of the page; the viewport is back at 1280×800
 * afterwards. Every failure is listed.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  const failures: string[] = [];
  for (const viewport of [VIEWPORTS.desktop, VIEWPORTS.phone]) {
    await page.setViewportSize(viewport);
    const size = `${viewport.width}x${viewport.height}`;
    await screenshot(page, `${name}-${size}`);
    try {
      await expectAccessible(page, `${name} at ${size.replace('x', '×')}`);
    } catch (error) {
      failures.push((error as Error).message);
    }
    const overflow = await sidewaysOverflow(page);
    if (overflow.width > overflow.viewport) {
      failures.push(
        `${name} at ${size.replace('x', '×')} scrolls sideways: the page is ${overflow.width} px wide in a ` +
          `${overflow.viewport} px viewport (WCAG 1.4.10). Sticking out:\n  ${overflow.sticking.join('\n  ')}`,
      );
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop);
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}
