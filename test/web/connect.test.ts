/**
 * Connecting from a platform's page in a real browser, against loopback stand-ins for the platforms: Stripe's
 * emulator (an API-key platform: a wrong key is refused with Stripe's own message in the form, the right one
 * connects) and a real OAuth 2.0 authorization server (npm `oidc-provider`, see `oidc-test-provider.ts`) that Zoom
 * of the catalogue is pointed at through the platform overrides (the browser leaves for its sign-in and consent
 * pages and comes back to Connections with the new connection listed). axe-core and screenshots on every page.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EMULATED_PLATFORMS, type RunningEmulator, startEmulator } from '../../src/sandbox/index.js';
import { checkPage } from '../support/browser.js';
import { startTestAuthorizationServer, type TestAuthorizationServer } from '../support/oidc-test-provider.js';
import { toHaveURL, ui } from '../support/web-expect.js';
import { signIn } from '../support/web-service.js';
import { webSuite } from '../support/web-suite.js';

const STRIPE_KEY = 'sk_test_emulator';
const CLIENT_ID = 'engarde-web-test';
const CLIENT_SECRET = `cs_${randomBytes(24).toString('hex')}`;

let stripe: RunningEmulator | undefined;
let authorizationServer: TestAuthorizationServer | undefined;

const suite = webSuite({
  async overrides(origin) {
    const emulated = EMULATED_PLATFORMS.stripe;
    if (!emulated) throw new Error('no Stripe emulator');
    stripe = await startEmulator(emulated.create({ records: 5, rateLimit: false }));
    authorizationServer = await startTestAuthorizationServer({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${origin}/platform-integrations/oauth/callback`,
    });
    const as = authorizationServer;
    return {
      stripe: { baseUrl: `${stripe.origin}/v1` },
      zoom: {
        baseUrl: as.apiUrl,
        oauth: {
          authorizationUrl: as.authorizationUrl,
          tokenUrl: as.tokenUrl,
          revocationUrl: as.revocationUrl,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          issuer: as.issuer,
        },
      },
    };
  },
});
afterAll(async () => {
  await authorizationServer?.close();
  await stripe?.close();
});

let apiKey: string;
beforeEach(async () => {
  ({ apiKey } = await suite.web.service.tenant('Connects platforms'));
});

const main = (page: Page) => page.getByRole('main');

async function connections(): Promise<Array<{ platform: string; status: string; health: string }>> {
  const { status, body } = await suite.web.call(apiKey, 'GET', '/integrations/connections');
  expect(status).toBe(200);
  return body.connections;
}

/** The text of the elements an element's `aria-describedby` names (its help and its error message). */
async function descriptionOf(page: Page, label: string): Promise<string> {
  const ids = (await main(page).getByLabel(label).getAttribute('aria-describedby')) ?? '';
  const parts = await Promise.all(
    ids
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => page.locator(`[id="${id}"]`).innerText()),
  );
  return parts.join(' ');
}

describe('an API-key platform (Stripe, against its emulator)', () => {
  it('checks the form before sending: an empty API key is named next to the field', async () => {
    const { page } = suite;
    await signIn(page, apiKey, '/#/platforms/stripe');
    await main(page).getByRole('button', { name: 'Connect Stripe' }).click();
    await ui(main(page).getByRole('alert')).toContainText('API key is required.');
    await ui(main(page).getByLabel('API key')).toHaveAttribute('aria-invalid', 'true');
    expect(await descriptionOf(page, 'API key')).toContain('API key is required.');
    await checkPage(page, 'connect-stripe-empty-key');
    expect(await connections()).toEqual([]);
  });

  it("refuses a wrong key with Stripe's own message, in the form beside the API key field", async () => {
    const { page } = suite;
    await signIn(page, apiKey, '/#/platforms/stripe');
    const form = main(page)
      .locator('form')
      .filter({ has: page.getByLabel('API key') });
    await form.getByLabel('API key').fill('sk_test_not-the-right-key');
    await form.getByRole('button', { name: 'Connect Stripe' }).click();
    const alert = form.getByRole('alert');
    await ui(alert).toContainText('Stripe did not accept the connection');
    await ui(alert).toContainText('Invalid API Key provided');
    await checkPage(page, 'connect-stripe-refused');
    expect(await connections()).toEqual([]);
  });

  it('connects with the right key, and the connection is listed under Connections as healthy', async () => {
    const { page } = suite;
    await signIn(page, apiKey, '/#/platforms/stripe');
    await main(page).getByLabel('API key').fill(STRIPE_KEY);
    await main(page).getByLabel('Label').fill('Main account');
    await main(page).getByRole('button', { name: 'Connect Stripe' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'Connected to Stripe' })).toContainText(
      'Connected to Stripe as “Main account”.',
    );
    // The secret does not stay on screen.
    await ui(main(page).getByLabel('API key')).toHaveAttribute('value', '');
    await checkPage(page, 'connect-stripe-connected');
    expect(await connections()).toMatchObject([{ platform: 'stripe', status: 'active', health: 'healthy' }]);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Connections' })).toBeVisible();
    const row = main(page)
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Stripe', exact: true }) });
    await ui(row).toContainText('Main account');
    await ui(row).toContainText('Healthy');
    await checkPage(page, 'connections');
  });
});

describe('an OAuth platform (Zoom, against a loopback authorization server)', () => {
  it('goes to the platform to sign in and consent, and comes back to Connections with the new connection', async () => {
    const { page } = suite;
    const as = authorizationServer as TestAuthorizationServer;
    // The page asks for Zoom's configured scopes, which are none (Zoom sets them on the app). oidc-provider grants
    // nothing to a request without the OpenID scope, so the stand-in's authorization request gets `openid` added —
    // a need of this authorization server, not of the page or of Zoom.
    await page.route(
      (url) => url.origin === as.issuer && url.pathname === '/auth',
      async (route) => {
        const url = new URL(route.request().url());
        const scopes = (url.searchParams.get('scope') ?? '').split(' ').filter(Boolean);
        if (scopes.includes('openid')) return route.continue();
        url.searchParams.set('scope', [...scopes, 'openid'].join(' '));
        return route.fulfill({ status: 302, headers: { location: url.toString() } });
      },
    );
    await signIn(page, apiKey, '/#/platforms/zoom');
    await main(page).getByRole('button', { name: 'Connect with Zoom' }).click();

    // At the authorization server: its development sign-in, then its consent page when it asks.
    await toHaveURL(page, new RegExp(`^${as.issuer}/interaction/`));
    await page.getByPlaceholder('Enter any login').fill('zoom-user-1');
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.getByRole('button', { name: 'Continue' });
    const back = page.getByRole('heading', { level: 1, name: 'Connections' });
    // Whichever comes first; the other wait is dropped (a consent already given is not asked again).
    await Promise.race([consent.waitFor().catch(() => {}), back.waitFor().catch(() => {})]);
    if (await consent.isVisible()) await consent.click();

    // Back on the page, at Connections, with the new connection named and marked.
    await ui(back).toBeVisible();
    await toHaveURL(page, new RegExp(`^${suite.web.origin}/.*#/connections$`));
    await ui(main(page).getByRole('status').filter({ hasText: 'Connected' })).toContainText('Connected Zoom.');
    const row = main(page)
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Zoom', exact: true }) });
    await ui(row).toContainText('(new)');
    await ui(row).toContainText('Active');
    await checkPage(page, 'connections-after-oauth');
    expect(await connections()).toMatchObject([{ platform: 'zoom', status: 'active' }]);
    expect(as.grants.authorization_code).toBeGreaterThanOrEqual(1);
  });

  it('says so on Connections when the user declines at the platform', async () => {
    const { page } = suite;
    const as = authorizationServer as TestAuthorizationServer;
    await page.route(
      (url) => url.origin === as.issuer && url.pathname === '/auth',
      async (route) => {
        const url = new URL(route.request().url());
        if (url.searchParams.get('scope')?.includes('openid')) return route.continue();
        url.searchParams.set('scope', `${url.searchParams.get('scope') ?? ''} openid`.trim());
        return route.fulfill({ status: 302, headers: { location: url.toString() } });
      },
    );
    await signIn(page, apiKey, '/#/platforms/zoom');
    await main(page).getByRole('button', { name: 'Connect with Zoom' }).click();
    await toHaveURL(page, new RegExp(`^${as.issuer}/interaction/`));
    await page.getByPlaceholder('Enter any login').fill('zoom-user-2');
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // On the consent page, decline (the development pages' "[ Cancel ]").
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    await page.getByRole('link', { name: /Cancel/ }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Connections' })).toBeVisible();
    await ui(main(page).getByRole('alert')).toContainText('Connecting failed');
    await ui(main(page).getByRole('alert')).toContainText('declined');
    expect(await connections()).toEqual([]);
  });
});
