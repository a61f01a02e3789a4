/**
 * The dashboard in a real browser, against a Stripe connection to its loopback emulator, with an in-process worker
 * running the service's real jobs: choosing what to sync and seeing the records arrive in the records browser;
 * *Sync now*; a conflict (a remote change in the emulator plus a local PATCH through the API, found by the push)
 * resolved from the page by keeping local, keeping remote, or sending edited values; an alert acknowledged; a
 * connection disconnected. axe-core and screenshots on every page.
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../src/alerts/alert-evaluator.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { EMULATED_PLATFORMS, type RunningEmulator, startEmulator } from '../../src/sandbox/index.js';
import { checkPage } from '../support/browser.js';
import { toHaveURL, ui } from '../support/web-expect.js';
import { type ApiBody, signIn } from '../support/web-service.js';
import { webSuite } from '../support/web-suite.js';

const STRIPE_KEY = 'sk_test_emulator';
const CUSTOMERS = 8;
/** A sync and a push take well under a second here; the page polls the status every 3 s. */
const SYNC_TIMEOUT_MS = 20_000;

let stripe: RunningEmulator | undefined;
/** While set, Stripe holds every answer until it settles (a sync then stays running for the test to see). */
let held: { until: Promise<void>; release: () => void } | undefined;

function holdStripe(): () => void {
  let release = () => {};
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  held = { until, release };
  return () => {
    held = undefined;
    release();
  };
}

const suite = webSuite({
  worker: true,
  async overrides() {
    const emulated = EMULATED_PLATFORMS.stripe;
    if (!emulated) throw new Error('no Stripe emulator');
    const inner = emulated.create({ records: CUSTOMERS, rateLimit: false });
    const handler = Object.assign(
      async (request: Parameters<typeof inner>[0]) => {
        await held?.until;
        return inner(request);
      },
      { control: inner.control },
    );
    stripe = await startEmulator(handler);
    return { stripe: { baseUrl: `${stripe.origin}/v1` } };
  },
});
afterAll(async () => {
  await stripe?.close();
});

const main = (page: Page) => page.getByRole('main');

/** A tenant with a Stripe connection made through the API (as another client of the tenant would). */
async function tenantWithStripe(name: string): Promise<{ apiKey: string; connectionId: string }> {
  const { apiKey } = await suite.web.service.tenant(name);
  const { status, body } = await suite.web.call(apiKey, 'POST', '/integrations/stripe/connect', {
    credentials: { apiKey: STRIPE_KEY },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return { apiKey, connectionId: body.connection.connection_id };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sets customers syncing both ways with manual conflicts, and waits for the first run to succeed. */
async function syncCustomersBothWays(apiKey: string): Promise<void> {
  const { status, body } = await suite.web.call(apiKey, 'POST', '/integrations/stripe/sync', {
    entities: ['customers'],
    sync_direction: 'bidirectional',
    frequency: 'manual',
    conflict_strategy: 'manual',
  });
  expect(status, JSON.stringify(body)).toBe(202);
  await until(async () => {
    const { body: sync } = await suite.web.call(apiKey, 'GET', '/integrations/stripe/sync');
    const customers = (sync.entities as ApiBody[]).find((e) => e.entity_type === 'customers');
    if (customers?.sync_status === 'failed') throw new Error(`the sync failed: ${customers.error}`);
    return customers?.sync_status === 'succeeded' ? customers : undefined;
  }, 'the customers sync');
}

/** A customer as Stripe (the emulator) has it now. */
async function remoteCustomer(id: string): Promise<ApiBody> {
  const res = await fetch(`${stripe?.origin}/v1/customers/${id}`, {
    headers: { authorization: `Bearer ${STRIPE_KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ApiBody;
}

/**
 * A conflict on customer `id`'s name: Stripe's copy changed (through Stripe's API, as someone in its dashboard
 * would), then ours through the records route; the push re-reads the remote record and finds both changed.
 */
async function conflictOnName(apiKey: string, id: string): Promise<{ remote: string; local: string }> {
  const remote = `Remote ${id.slice(-4)}`;
  const local = `Local ${id.slice(-4)}`;
  const res = await fetch(`${stripe?.origin}/v1/customers/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STRIPE_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: remote }).toString(),
  });
  expect(res.status).toBe(200);
  const patch = await suite.web.call(apiKey, 'PATCH', `/integrations/stripe/records/customers/${id}`, {
    data: { name: local },
  });
  expect(patch.status, JSON.stringify(patch.body)).toBe(202);
  await until(async () => {
    const { body } = await suite.web.call(apiKey, 'GET', '/integrations/stripe/conflicts');
    return (body.conflicts as ApiBody[]).find((c) => c.external_id === id);
  }, `the conflict on ${id}`);
  return { remote, local };
}

async function storedCustomer(apiKey: string, id: string): Promise<ApiBody | undefined> {
  const { body } = await suite.web.call(apiKey, 'GET', '/integrations/stripe/records/customers?limit=500');
  return (body.records as ApiBody[]).find((r) => r.external_id === id);
}

async function openConnection(page: Page, apiKey: string, connectionId: string): Promise<void> {
  await signIn(page, apiKey, `/#/connections/stripe/${connectionId}`);
  await ui(page.getByRole('heading', { level: 1, name: /Stripe/ })).toBeVisible();
}

/** The open conflict about `customers <id>`: its heading's section. */
const conflictSection = (page: Page, id: string) =>
  main(page)
    .locator('section')
    .filter({ has: page.getByRole('heading', { level: 3, name: `customers ${id}` }) });

describe('syncing', () => {
  it('sets up what to sync from the page, runs it, and shows the records in the records browser', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Syncs from the page');
    await signIn(page, apiKey, '/#/connections');
    await main(page).getByRole('link', { name: 'Stripe', exact: true }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Stripe connection' })).toBeVisible();
    await toHaveURL(page, new RegExp(`#/connections/stripe/${connectionId}$`));
    await ui(main(page).getByText('Nothing syncs yet')).toBeVisible();

    // Sync now before anything is set up: the page asks what to sync.
    await main(page).getByRole('button', { name: 'Sync now' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'Choose what to sync' })).toBeVisible();
    const settings = main(page)
      .locator('form')
      .filter({ has: page.getByRole('group', { name: 'Data to sync' }) });
    for (const box of await settings.getByRole('group', { name: 'Data to sync' }).getByRole('checkbox').all()) {
      await box.uncheck();
    }
    await settings.getByRole('checkbox', { name: 'customers' }).check();
    await settings.getByLabel('Direction').selectOption({ label: 'Pull from the platform' });
    await settings.getByRole('button', { name: /^Save and/ }).click();

    const status = main(page)
      .getByRole('table', { name: 'Sync status of each kind of data' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'customers' }) });
    await ui(status, { timeoutMs: SYNC_TIMEOUT_MS }).toContainText('Succeeded');
    await ui(status).toContainText(`${CUSTOMERS} pulled`);

    const records = main(page).getByRole('table', { name: /customers records shown/ });
    await ui(records, { timeoutMs: SYNC_TIMEOUT_MS }).toBeVisible();
    await ui(records.getByRole('rowheader')).toHaveCount(CUSTOMERS);
    const first = records.getByRole('rowheader').first().getByRole('button');
    const id = (await first.innerText()).replace(/^\W+/, '').trim();
    await first.click();
    await ui(first).toHaveAttribute('aria-expanded', 'true');
    await ui(records).toContainText(`"id": "${id}"`);
    await checkPage(page, 'connection-synced');
  });

  it('"Sync now" runs the configured sync again, shows it syncing, and says when it has finished', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Syncs now');
    await syncCustomersBothWays(apiKey);
    const before = await suite.web.call(apiKey, 'GET', '/integrations/stripe/sync');
    const firstRun = (before.body.entities as ApiBody[])[0]?.last_run?.started_at;
    await openConnection(page, apiKey, connectionId);
    const status = main(page)
      .getByRole('table', { name: 'Sync status of each kind of data' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'customers' }) });
    await ui(status).toContainText('Succeeded');

    const release = holdStripe();
    try {
      await main(page).getByRole('button', { name: 'Sync now' }).click();
      await ui(main(page).getByRole('status').filter({ hasText: 'Sync started' })).toContainText(
        'Sync started for customers.',
      );
      // The run waits on Stripe: the page says so in words while it polls.
      await ui(status, { timeoutMs: SYNC_TIMEOUT_MS }).toContainText('Syncing');
      await checkPage(page, 'connection-syncing');
    } finally {
      release();
    }
    await ui(main(page).getByRole('status').filter({ hasText: 'Sync finished' }), {
      timeoutMs: SYNC_TIMEOUT_MS,
    }).toHaveText('Sync finished.');
    await ui(status).toContainText('Succeeded');
    const after = await suite.web.call(apiKey, 'GET', '/integrations/stripe/sync');
    expect((after.body.entities as ApiBody[])[0]?.last_run?.started_at).not.toBe(firstRun);
  });
});

describe('conflicts', () => {
  it('resolves a conflict by keeping the local value, which is then pushed to the platform', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Keeps local');
    await syncCustomersBothWays(apiKey);
    const id = 'cus_00000000000001';
    const { remote, local } = await conflictOnName(apiKey, id);
    await openConnection(page, apiKey, connectionId);
    const conflict = conflictSection(page, id);
    const row = conflict.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'name' }) });
    // Base, local and remote side by side.
    await ui(row.getByRole('cell')).toContainText(['Customer 1', local, remote]);
    await checkPage(page, 'connection-conflict');
    await conflict.getByRole('button', { name: 'Keep local' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'resolved' })).toContainText(
      `Conflict on customers ${id} resolved: kept the local values.`,
    );
    await ui(conflict).toHaveCount(0);
    await ui(main(page).getByText('No open conflicts')).toBeVisible();
    await until(async () => ((await remoteCustomer(id)).name === local ? true : undefined), 'the push to Stripe');
  });

  it('resolves a conflict by keeping the remote value, which replaces the local one', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Keeps remote');
    await syncCustomersBothWays(apiKey);
    const id = 'cus_00000000000002';
    const { remote } = await conflictOnName(apiKey, id);
    await openConnection(page, apiKey, connectionId);
    await conflictSection(page, id).getByRole('button', { name: 'Keep remote' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'resolved' })).toContainText(
      `Conflict on customers ${id} resolved: kept the platform’s values.`,
    );
    await ui(conflictSection(page, id)).toHaveCount(0);
    expect((await storedCustomer(apiKey, id))?.data.name).toBe(remote);
    expect((await remoteCustomer(id)).name).toBe(remote);
  });

  it('resolves a conflict with an edited value, which is stored and pushed', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Merges');
    await syncCustomersBothWays(apiKey);
    const id = 'cus_00000000000003';
    const { remote } = await conflictOnName(apiKey, id);
    const { email } = await remoteCustomer(id);
    await openConnection(page, apiKey, connectionId);
    const conflict = conflictSection(page, id);
    // The merged value starts as the remote one.
    await ui(conflict.getByLabel('Merged value for name')).toHaveAttribute('value', remote);
    await conflict.getByLabel('Merged value for name').fill('Merged by a person');
    await conflict.getByRole('button', { name: 'Resolve with edited values' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'resolved' })).toContainText(
      `Conflict on customers ${id} resolved: sent the edited values.`,
    );
    await ui(conflict).toHaveCount(0);
    // The edited field changes; the record's other fields stay as they were.
    expect((await storedCustomer(apiKey, id))?.data).toMatchObject({ id, name: 'Merged by a person', email });
    await until(
      async () => ((await remoteCustomer(id)).name === 'Merged by a person' ? true : undefined),
      'the push to Stripe',
    );
  });
});

/**
 * A tenant whose Stripe connection keeps failing its health checks (as test/api/alert-routes sets it up): its
 * `connection_failing` alert opened by the alert evaluator.
 */
async function tenantWithFailingConnection(name: string): Promise<{ apiKey: string }> {
  const { tenantId, apiKey } = await suite.web.service.tenant(name);
  const { db, settings } = suite.web.service.ctx;
  const connection = await insertConnection(db, settings.keyRing, {
    tenantId,
    platform: 'stripe',
    credentials: { apiKey: 'sk_test_revoked' },
    connectionConfig: {},
  });
  await db
    .updateTable('platform_connections')
    .set({ consecutive_failures: 5, connection_health: 'unhealthy' })
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connection.connectionId)
    .execute();
  expect((await evaluateAlerts(db, new Date())).failures).toEqual([]);
  return { apiKey };
}

describe('health and alerts', () => {
  it('shows a connection whose checks fail as "Failing", in words', async () => {
    const { page } = suite;
    const { apiKey } = await tenantWithFailingConnection('Failing');
    await signIn(page, apiKey, '/#/connections');
    const row = main(page)
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Stripe', exact: true }) });
    await ui(row).toContainText('Failing');
    await checkPage(page, 'connections-failing');
  });

  it('acknowledges an open alert: it stays open, marked acknowledged', async () => {
    const { page } = suite;
    const { apiKey } = await tenantWithFailingConnection('Alerted');

    await signIn(page, apiKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();
    const row = main(page)
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Connection failing' }) });
    await ui(row).toContainText('Critical');
    await ui(row).toContainText('Open');
    await checkPage(page, 'alerts');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await ui(main(page).getByRole('status').filter({ hasText: 'Acknowledged' })).toContainText(
      'Acknowledged: Connection failing',
    );
    await ui(row.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);
    await ui(row).toContainText('Acknowledged');
    const { body } = await suite.web.call(apiKey, 'GET', '/alerts');
    expect(body.alerts).toMatchObject([
      { rule: 'connection_failing', status: 'open', acknowledged_at: expect.any(String) },
    ]);
    await checkPage(page, 'alerts-acknowledged');
  });
});

describe('disconnecting', () => {
  it('disconnects after a confirmation and says so on Connections', async () => {
    const { page } = suite;
    const { apiKey, connectionId } = await tenantWithStripe('Disconnects');
    await openConnection(page, apiKey, connectionId);
    await main(page).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await ui(main(page).getByText('Disconnect Stripe?')).toBeVisible();
    await main(page).getByRole('button', { name: 'Yes, disconnect' }).click();
    await ui(page.getByRole('heading', { level: 1, name: 'Connections' })).toBeVisible();
    await ui(main(page).getByRole('status').filter({ hasText: 'Disconnected' })).toContainText('Disconnected Stripe.');
    const { body } = await suite.web.call(apiKey, 'GET', '/integrations/connections');
    expect((body.connections as ApiBody[]).filter((c) => c.status === 'active')).toEqual([]);
  });
});
