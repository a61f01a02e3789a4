/**
 * The page in a real browser, as a person uses it: signing in with a tenant API key (a wrong one refused with a
 * clear message), the marketplace of all 195 platforms browsed by category, searched and filtered, and a platform's
 * page (its data types with read / write / incremental marks, its facts, the setup guide and the Connect form).
 * axe-core on every page (no critical or serious violation); each page screenshotted at 1280×800 and 390×844 into
 * `.tmp/screenshots/`.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPage } from '../support/browser.js';
import { toHaveURL, ui } from '../support/web-expect.js';
import { signIn } from '../support/web-service.js';
import { webSuite } from '../support/web-suite.js';

interface RegistryEntry {
  id: string;
  name: string;
  category: string;
  supports: { write: boolean; webhooks: boolean; incremental: boolean };
}

const suite = webSuite();
let apiKey: string;
/** The registry as the API lists it, to compare the page with. */
let registry: RegistryEntry[];

beforeAll(async () => {
  ({ apiKey } = await suite.web.service.tenant('Marketplace visitors'));
  const { status, body } = await suite.web.call(apiKey, 'GET', '/integrations/registry');
  expect(status).toBe(200);
  registry = body.integrations;
  expect(registry).toHaveLength(195);
});

const main = (page: Page) => page.getByRole('main');
/** The marketplace's cards: list items holding a platform's name as a heading. */
const cards = (page: Page) =>
  main(page)
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { level: 2 }) });
const cardNames = async (page: Page) => (await cards(page).getByRole('heading', { level: 2 }).allTextContents()).sort();
/** The line that says how many match: "195 integrations" or "12 of 195 integrations match". */
const countLine = (page: Page) =>
  main(page)
    .getByRole('status')
    .filter({ hasText: /integrations/ });

/** Presses "Load more" until every match is shown. */
async function showAll(page: Page): Promise<void> {
  const more = main(page).getByRole('button', { name: /^Load more/ });
  while (await more.isVisible()) {
    const before = await cards(page).count();
    await more.click();
    await expect.poll(() => cards(page).count(), { timeout: 10_000 }).toBeGreaterThan(before);
  }
}

/** Waits until every card shown names `category` (the list follows a filter a moment after its button). */
async function everyCardSays(page: Page, category: string): Promise<void> {
  await expect
    .poll(async () => (await cards(page).allInnerTexts()).every((text) => text.includes(category)), { timeout: 10_000 })
    .toBe(true);
}

async function openMarketplace(page: Page): Promise<void> {
  await signIn(page, apiKey);
  await ui(page.getByRole('heading', { level: 1, name: 'Marketplace' })).toBeVisible();
  await ui(countLine(page)).toHaveText('195 integrations');
}

describe('signing in', () => {
  it('refuses a wrong tenant API key with a message that says what to check', async () => {
    const { page } = suite;
    await page.goto('/');
    await ui(page.getByRole('heading', { level: 1, name: 'Sign in to EnGarde' })).toBeVisible();
    await checkPage(page, 'sign-in');
    await page.getByLabel('Tenant API key').fill('egk_this-key-does-not-exist');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await ui(page.getByRole('alert')).toContainText('That key was not accepted');
    await ui(page.getByLabel('Tenant API key')).toHaveAttribute('aria-invalid', 'true');
    await ui(page.getByRole('link', { name: 'Marketplace' })).toHaveCount(0);
    await checkPage(page, 'sign-in-refused');
  });

  it('opens the marketplace with the right key, and keeps it for the tab only', async () => {
    const { page } = suite;
    await openMarketplace(page);
    await ui(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' })).toBeVisible();
    await checkPage(page, 'marketplace');
    expect(await page.evaluate('Object.keys(localStorage)')).toEqual([]);
    await page.reload();
    await ui(page.getByRole('heading', { level: 1, name: 'Marketplace' })).toBeVisible();
  });
});

describe('the marketplace', () => {
  it('lists all 195 platforms by name, a page at a time behind "Load more"', async () => {
    const { page } = suite;
    await openMarketplace(page);
    expect(await cards(page).count()).toBeLessThan(195);
    await showAll(page);
    expect(await cardNames(page)).toEqual(registry.map((e) => e.name).sort());
    await ui(main(page).getByRole('button', { name: /^Load more/ })).toHaveCount(0);
  });

  it('browses by category: each category button shows exactly that category, and together they cover all 195', async () => {
    const { page } = suite;
    await openMarketplace(page);
    const group = main(page).getByRole('group', { name: 'Category' });
    const names = (await group.getByRole('button').allTextContents()).filter((n) => n !== 'All');
    const categories = [...new Set(registry.map((e) => e.category))];
    expect(names).toHaveLength(categories.length);
    expect(names).toEqual(expect.arrayContaining(['Payments', 'Advertising', 'CRM', 'E-commerce']));
    const matched = new Set<string>();
    let total = 0;
    for (const name of names) {
      const button = group.getByRole('button', { name, exact: true });
      await button.click();
      await ui(button).toHaveAttribute('aria-pressed', 'true');
      await everyCardSays(page, name);
      await showAll(page);
      const shown = await cardNames(page);
      // The category whose platforms these are, exactly.
      const category = categories.find(
        (c) =>
          JSON.stringify(
            registry
              .filter((e) => e.category === c)
              .map((e) => e.name)
              .sort(),
          ) === JSON.stringify(shown),
      );
      expect(category, `"${name}" shows ${shown.join(', ')}`).toBeDefined();
      expect(matched.has(category as string), `"${name}" repeats a category`).toBe(false);
      matched.add(category as string);
      await ui(countLine(page)).toHaveText(`${shown.length} of 195 integrations match`);
      total += shown.length;
    }
    expect(total).toBe(195);
    await group.getByRole('button', { name: 'Payments', exact: true }).click();
    const payments = registry.filter((e) => e.category === 'payments').map((e) => e.name);
    await ui(countLine(page)).toHaveText(`${payments.length} of 195 integrations match`);
    expect(await cardNames(page)).toEqual(payments.sort());
    await group.getByRole('button', { name: 'Advertising', exact: true }).click();
    await everyCardSays(page, 'Advertising');
    await showAll(page);
    expect(await cardNames(page)).toEqual(
      registry
        .filter((e) => e.category === 'advertising')
        .map((e) => e.name)
        .sort(),
    );
  });

  it('finds Stripe first when searching "stripe"', async () => {
    const { page } = suite;
    await openMarketplace(page);
    const search = main(page).getByRole('searchbox', { name: 'Search' });
    await search.fill('stripe');
    await ui(countLine(page)).toHaveText(/^\d+ of 195 integrations match$/);
    await ui(cards(page).first().getByRole('heading', { level: 2 })).toHaveText('Stripe');
    await ui(cards(page).first()).toContainText('Payments');
    await checkPage(page, 'marketplace-search-stripe');
    await search.fill('no platform is called this');
    await ui(countLine(page)).toHaveText('0 of 195 integrations match');
    await ui(main(page)).toContainText('No integration matches');
  });

  it('filters by a category button: "Payments" shows the payment platforms only', async () => {
    const { page } = suite;
    await openMarketplace(page);
    await main(page).getByRole('button', { name: 'Payments', exact: true }).click();
    const payments = registry.filter((e) => e.category === 'payments');
    await ui(countLine(page)).toHaveText(`${payments.length} of 195 integrations match`);
    for (const card of await cards(page).all()) await ui(card).toContainText('Payments');
    await checkPage(page, 'marketplace-payments');
  });

  it('filters by "Sends webhooks", alone and with a category', async () => {
    const { page } = suite;
    await openMarketplace(page);
    await main(page).getByLabel('Sends webhooks').check();
    const webhooks = registry.filter((e) => e.supports.webhooks);
    await ui(countLine(page)).toHaveText(`${webhooks.length} of 195 integrations match`);
    await showAll(page);
    expect(await cardNames(page)).toEqual(webhooks.map((e) => e.name).sort());
    for (const card of await cards(page).all()) {
      await ui(card.getByRole('list', { name: 'What it offers' })).toContainText('Webhooks');
    }
    await main(page).getByRole('button', { name: 'Payments', exact: true }).click();
    const both = webhooks.filter((e) => e.category === 'payments');
    await ui(countLine(page)).toHaveText(`${both.length} of 195 integrations match`);
    expect(await cardNames(page)).toEqual(both.map((e) => e.name).sort());
  });
});

/** What has the keyboard focus: its role-ish description, and whether a focus ring is drawn around it. */
async function focused(page: Page): Promise<{ tag: string; text: string; label: string; ring: boolean }> {
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
    const label = el.labels && el.labels[0] ? el.labels[0].textContent.trim() : '';
    return { tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim(), label, ring };
  })()`)) as { tag: string; text: string; label: string; ring: boolean };
}

/** Presses Tab until `wanted` has the focus (at most `max` times), checking that each stop shows a focus ring. */
async function tabTo(page: Page, wanted: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    expect(now.ring, `no visible focus on <${now.tag}> "${now.text || now.label}"`).toBe(true);
    if (wanted(now)) return;
  }
  throw new Error(`the keyboard did not reach it within ${max} presses of Tab`);
}

describe('the keyboard', () => {
  it('reaches the search, a category and a platform with Tab, with a visible focus ring at every stop', async () => {
    const { page } = suite;
    await openMarketplace(page);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'button', text: 'Skip to content', ring: true });
    await page.keyboard.press('Enter');
    await tabTo(page, (f) => f.tag === 'input' && f.label === 'Search');
    await page.keyboard.type('stripe');
    await ui(countLine(page)).toHaveText(/^\d+ of 195 integrations match$/);
    await tabTo(page, (f) => f.tag === 'button' && f.text === 'Payments');
    await page.keyboard.press('Enter');
    await ui(main(page).getByRole('button', { name: 'Payments', exact: true })).toHaveAttribute('aria-pressed', 'true');
    await tabTo(page, (f) => f.tag === 'a' && f.text === 'Stripe');
    await page.keyboard.press('Enter');
    await ui(page.getByRole('heading', { level: 1, name: 'Stripe' })).toBeVisible();
  });
});

describe("a platform's page", () => {
  it('shows Stripe: its data types with read / write / incremental, its facts, the setup guide and the API key form', async () => {
    const { page } = suite;
    await openMarketplace(page);
    await main(page).getByRole('searchbox', { name: 'Search' }).fill('stripe');
    await main(page).getByRole('link', { name: 'Stripe', exact: true }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Stripe' })).toBeVisible();
    await toHaveURL(page, /#\/platforms\/stripe$/);

    const { body } = await suite.web.call(apiKey, 'GET', '/integrations/registry/stripe');
    const integration = body.integration as {
      docs_url: string;
      rate_limit: { summary: string };
      entities: Array<{ name: string; read: boolean; write: string[]; incremental: boolean }>;
    };
    const table = main(page)
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Data type' }) });
    for (const column of ['Read', 'Write', 'Incremental']) {
      await ui(table.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
    }
    await ui(table.getByRole('row')).toHaveCount(integration.entities.length + 1);
    const customers = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'customers' }) });
    await ui(customers.getByRole('cell')).toContainText(['Customer', 'Yes', 'Create, update, delete', 'No']);
    for (const entity of integration.entities) {
      await ui(table.getByRole('rowheader', { name: entity.name, exact: true })).toBeVisible();
    }
    await ui(main(page)).toContainText(integration.rate_limit.summary);
    await ui(main(page).getByRole('link', { name: 'Stripe API documentation' })).toHaveAttribute(
      'href',
      integration.docs_url,
    );

    await ui(main(page).getByRole('heading', { level: 2, name: 'Setup guide' })).toBeVisible();
    for (const part of ['Signing in', 'Credentials', 'Webhooks', 'Common errors']) {
      await ui(main(page).getByRole('heading', { level: 3, name: part })).toBeVisible();
    }
    await ui(main(page).getByRole('rowheader', { name: '401 Unauthorized' })).toBeVisible();

    await ui(main(page).getByLabel('API key')).toHaveAttribute('type', 'password');
    await ui(main(page).getByRole('button', { name: 'Connect Stripe' })).toBeVisible();
    await checkPage(page, 'platform-stripe');
  });

  it('offers an OAuth platform (Zoom) a "Connect with Zoom" button instead of a token form', async () => {
    const { page } = suite;
    await signIn(page, apiKey, '/#/platforms/zoom');
    await ui(page.getByRole('heading', { level: 1, name: 'Zoom' })).toBeVisible();
    await ui(main(page).getByRole('button', { name: 'Connect with Zoom' })).toBeVisible();
    await ui(main(page).getByLabel('Access token')).toBeHidden();
    await ui(main(page).getByRole('heading', { level: 2, name: 'Setup guide' })).toBeVisible();
    await ui(main(page).getByRole('definition').filter({ hasText: 'OAuth 2.0' })).toBeVisible();
    await checkPage(page, 'platform-zoom');
  });

  it('says so when there is no such platform', async () => {
    const { page } = suite;
    await signIn(page, apiKey, '/#/platforms/no-such-platform');
    await ui(page.getByRole('heading', { level: 1, name: 'Integration not found' })).toBeVisible();
    await ui(main(page).getByRole('link', { name: 'marketplace' })).toBeVisible();
  });
});
