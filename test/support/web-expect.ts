/**
 * Web-first assertions for `playwright-core` locators under vitest (`@playwright/test`'s `expect` is not part of
 * playwright-core): each waits until the page shows what is expected, or fails after the timeout with what it saw
 * last. Nothing sleeps a fixed time: they re-read the page until it matches.
 *
 * @example
 * await ui(page.getByRole('status')).toHaveText('195 integrations');
 * await ui(page.getByRole('button', { name: 'Sync now' })).toBeVisible();
 */
import type { Locator, Page } from 'playwright-core';

const TIMEOUT_MS = 15_000;
const POLL_MS = 50;

export type TextMatch = string | RegExp;

/** Whitespace collapsed, as a reader sees it. */
const normal = (text: string) => text.replace(/\s+/g, ' ').trim();

function matches(actual: string, expected: TextMatch, whole: boolean): boolean {
  if (expected instanceof RegExp) return expected.test(actual);
  return whole ? actual === normal(expected) : actual.includes(normal(expected));
}

/** Re-reads `read()` until `ok` holds; on timeout throws `what`, with the last value read. */
async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `the page threw ${String(lastError)}` : `it saw ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const texts = async (locator: Locator) => (await locator.allInnerTexts()).map(normal);

export interface LocatorAssertions {
  toBeVisible(): Promise<void>;
  /** Hidden or absent. */
  toBeHidden(): Promise<void>;
  /** Exactly one element, whose whole text is `expected` (whitespace collapsed) or matches it. */
  toHaveText(expected: TextMatch): Promise<void>;
  /** One element whose text contains `expected`; with a list, elements whose texts contain them in that order. */
  toContainText(expected: TextMatch | TextMatch[]): Promise<void>;
  toHaveAttribute(name: string, value: TextMatch): Promise<void>;
  toHaveCount(count: number): Promise<void>;
}

/** Assertions that wait for the page. */
export function ui(locator: Locator, options: { timeoutMs?: number } = {}): LocatorAssertions {
  const timeout = options.timeoutMs ?? TIMEOUT_MS;
  const name = String(locator);
  return {
    async toBeVisible() {
      await locator.waitFor({ state: 'visible', timeout });
    },
    async toBeHidden() {
      await until(
        async () => (await locator.count()) === 0 || !(await locator.first().isVisible()),
        Boolean,
        `${name} to be hidden`,
        timeout,
      );
    },
    async toHaveText(expected) {
      await until(
        () => texts(locator),
        (all) => all.length === 1 && matches(all[0] as string, expected, true),
        `${name} to have the text ${String(expected)}`,
        timeout,
      );
    },
    async toContainText(expected) {
      const wanted = Array.isArray(expected) ? expected : [expected];
      await until(
        () => texts(locator),
        (all) => {
          if (!Array.isArray(expected)) return all.length === 1 && matches(all[0] as string, expected, false);
          // Each expected text in a later element than the one before (Playwright's list semantics).
          let from = 0;
          for (const want of wanted) {
            const at = all.findIndex((text, i) => i >= from && matches(text, want, false));
            if (at < 0) return false;
            from = at + 1;
          }
          return true;
        },
        `${name} to contain ${wanted.map(String).join(', ')}`,
        timeout,
      );
    },
    async toHaveAttribute(attribute, value) {
      await until(
        () => locator.evaluateAll((elements, a) => elements.map((e) => e.getAttribute(a)), attribute),
        (all) => all.length === 1 && all[0] !== null && matches(all[0] as string, value, true),
        `${name} to have ${attribute}=${String(value)}`,
        timeout,
      );
    },
    async toHaveCount(count) {
      await until(
        () => locator.count(),
        (n) => n === count,
        `${name} to count ${count}`,
        timeout,
      );
    },
  };
}

/** Waits until the page's address matches. */
export async function toHaveURL(page: Page, expected: RegExp, timeoutMs = TIMEOUT_MS): Promise<void> {
  await until(
    async () => page.url(),
    (url) => expected.test(url),
    `the address to match ${expected}`,
    timeoutMs,
  );
}
