import { getAdapterRegistry } from 'engarde';
import { GoogleAdsAdapter } from 'engarde/adapters/google-ads';
import { HubspotAdapter } from 'engarde/adapters/hubspot';
import { MetaAdsAdapter } from 'engarde/adapters/meta-ads';
import { SalesforceAdapter } from 'engarde/adapters/salesforce';
import { ShopifyAdapter } from 'engarde/adapters/shopify';
import { StripeAdapter, type StripeCustomer } from 'engarde/adapters/stripe';
import type { AnyAdapter } from 'engarde/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import {
  type EmulatorHandler,
  googleAdsEmulator,
  hubspotEmulator,
  metaAdsEmulator,
  type RunningEmulator,
  salesforceEmulator,
  shopifyEmulator,
  startEmulator,
  stripeEmulator,
} from '../../src/sandbox/index.js';

const RECORDS = 25;
const PAGE = 10; // 25 records at 10 a page: three pages, the last one short.

interface Case {
  emulator: EmulatorHandler;
  /** Base URL path the emulator serves under, after its origin. */
  basePath: string;
  credentials: Record<string, unknown>;
  connectionConfig: Record<string, string>;
  /** The header that must carry the credential, and its value. */
  authHeader: [string, string];
}

const cases: Record<string, Case> = {
  stripe: {
    emulator: stripeEmulator({ records: RECORDS }),
    basePath: '/v1',
    credentials: { apiKey: 'sk_test_emulator' },
    connectionConfig: {},
    authHeader: ['authorization', 'Bearer sk_test_emulator'],
  },
  shopify: {
    emulator: shopifyEmulator({ records: RECORDS, apiVersion: ShopifyAdapter.meta.apiVersion }),
    basePath: `/admin/api/${ShopifyAdapter.meta.apiVersion}`,
    credentials: { accessToken: 'shpat_emulator' },
    connectionConfig: { shop: 'emulator', locationId: '1' },
    authHeader: ['x-shopify-access-token', 'shpat_emulator'],
  },
  hubspot: {
    emulator: hubspotEmulator({ records: RECORDS, apiVersion: HubspotAdapter.meta.apiVersion }),
    basePath: '',
    credentials: { accessToken: 'hubspot-emulator-token' },
    connectionConfig: {},
    authHeader: ['authorization', 'Bearer hubspot-emulator-token'],
  },
  salesforce: {
    emulator: salesforceEmulator({ records: RECORDS, batchSize: PAGE, apiVersion: SalesforceAdapter.meta.apiVersion }),
    basePath: `/services/data/${SalesforceAdapter.meta.apiVersion}`,
    credentials: { accessToken: '00Demulator!token', instanceUrl: 'https://acme.my.salesforce.com' },
    connectionConfig: { instance: 'acme' },
    authHeader: ['authorization', 'Bearer 00Demulator!token'],
  },
  'meta-ads': {
    emulator: metaAdsEmulator({ records: RECORDS, apiVersion: MetaAdsAdapter.meta.apiVersion }),
    basePath: `/${MetaAdsAdapter.meta.apiVersion}`,
    credentials: { accessToken: 'EAAemulator' },
    connectionConfig: { adAccountId: '1234567890' },
    authHeader: ['authorization', 'Bearer EAAemulator'],
  },
  'google-ads': {
    emulator: googleAdsEmulator({ records: RECORDS, pageSize: PAGE, apiVersion: GoogleAdsAdapter.meta.apiVersion }),
    basePath: `/${GoogleAdsAdapter.meta.apiVersion}`,
    credentials: { accessToken: 'ya29.emulator' },
    connectionConfig: { customerId: '1234567890' },
    authHeader: ['authorization', 'Bearer ya29.emulator'],
  },
};

const rows = Object.entries(cases).flatMap(([platform, c]) =>
  getAdapterRegistry()
    .info(platform)!
    .entities.map((entity) => [platform, entity, c] as const),
);

describe('high-priority adapters against their emulators', () => {
  const running = new Map<string, RunningEmulator>();
  const adapters = new Map<string, AnyAdapter>();

  beforeAll(async () => {
    for (const [platform, c] of Object.entries(cases)) {
      const emulator = await startEmulator(c.emulator);
      running.set(platform, emulator);
      adapters.set(
        platform,
        await getAdapterRegistry().create(platform as 'stripe', {
          credentials: c.credentials as never,
          connectionConfig: c.connectionConfig as never,
          baseUrl: `${emulator.origin}${c.basePath}`,
          retry: { maxAttempts: 1 },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const adapter of adapters.values()) await adapter.close();
    for (const emulator of running.values()) await emulator.close();
  });

  it.each(Object.keys(cases))('%s: testConnection() is true with valid credentials', async (platform) => {
    expect(await adapters.get(platform)!.testConnection()).toBe(true);
  });

  it.each(rows)('%s: lists every %s record exactly once across pages, authenticated', async (platform, entity, c) => {
    const emulator = running.get(platform)!;
    const adapter = adapters.get(platform)!;
    const before = emulator.requests.length;
    const ids: unknown[] = [];
    for await (const record of adapter.list(entity, { pageSize: PAGE })) {
      ids.push(getPath(record, adapter.meta.entities[entity]!.idField));
    }
    const requests = emulator.requests.slice(before);
    expect(ids).toHaveLength(RECORDS);
    expect(new Set(ids).size).toBe(RECORDS);
    expect(ids.every((id) => id !== undefined && typeof id !== 'object')).toBe(true);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    const [header, value] = c.authHeader;
    for (const request of requests) expect(request.headers[header]).toBe(value);
  });

  it.each(Object.keys(cases))(
    '%s: testConnection() is false, without throwing, for a revoked credential',
    async (platform) => {
      const c = cases[platform]!;
      const emulator = running.get(platform)!;
      const key = Object.keys(c.credentials)[0]!;
      const adapter = await getAdapterRegistry().create(platform as 'stripe', {
        credentials: { ...c.credentials, [key]: 'revoked' } as never,
        connectionConfig: c.connectionConfig as never,
        baseUrl: `${emulator.origin}${c.basePath}`,
        retry: { maxAttempts: 1 },
      });
      try {
        expect(await adapter.testConnection()).toBe(false);
      } finally {
        await adapter.close();
      }
    },
  );

  it.each(rows)('%s: normalizes a %s record into its standard entity, raw kept', async (platform, entity) => {
    const adapter = adapters.get(platform)!;
    const config = adapter.meta.entities[entity]!;
    const [raw] = await adapter.fetch(entity, { limit: 1 });
    const standard = adapter.normalize(entity, raw as never);
    expect(standard.type).toBe(config.standard);
    expect(standard.platform).toBe(platform);
    expect(standard.id).not.toBe('');
    expect(standard.raw).toBe(raw);
  });

  it('normalizes Stripe money from minor units and timestamps from unix seconds', async () => {
    const stripe = adapters.get('stripe') as StripeAdapter;
    const [charge] = await stripe.fetchCharges({ limit: 1 });
    const payment = stripe.normalize('charges', charge!);
    const typed: string | null | undefined = payment.amount;
    expect(typed).toBe(`${Math.floor(charge!.amount / 100)}.${String(charge!.amount % 100).padStart(2, '0')}`);
    expect(payment.currency).toBe('USD');
    expect(payment.createdAt).toBe(new Date(charge!.created * 1000).toISOString());
  });

  it("sends a list's typed OpenAPI filters, nested ones in brackets (Stripe created[gte])", async () => {
    const stripe = adapters.get('stripe') as StripeAdapter;
    const all = await stripe.fetchCustomers();
    const cutoff = all.map((c) => c.created).sort((a, b) => a - b)[RECORDS - 5]!;
    const recent: StripeCustomer[] = [];
    for await (const customer of stripe.listCustomers({ query: { created: { gte: cutoff } }, pageSize: PAGE })) {
      recent.push(customer);
    }
    expect(recent).toHaveLength(5);
    expect(running.get('stripe')!.requests.at(-1)!.url.searchParams.get('created[gte]')).toBe(String(cutoff));
  });

  it('types Stripe records from the official OpenAPI description', async () => {
    const stripe = adapters.get('stripe') as StripeAdapter;
    const [first] = await stripe.fetchCustomers({ limit: 1 });
    const email: string | null | undefined = first?.email;
    expect(email).toMatch(/^customer\d+@example\.com$/);
    expect(first?.object).toBe('customer');
  });

  it('reads one record by id where the platform has a read endpoint', async () => {
    const stripe = adapters.get('stripe') as StripeAdapter;
    const [first] = await stripe.fetchCharges({ limit: 1 });
    expect((await stripe.getCharge(first!.id)).id).toBe(first!.id);
    const meta = adapters.get('meta-ads') as MetaAdsAdapter;
    const [campaign] = await meta.fetchCampaigns({ limit: 1 });
    expect(await meta.getCampaign(String(campaign!.id))).toMatchObject({ id: campaign!.id, name: campaign!.name });
  });

  it('sends Salesforce incremental reads as a SOQL WHERE on SystemModstamp', async () => {
    const salesforce = adapters.get('salesforce') as SalesforceAdapter;
    const since = new Date('2026-01-01T00:20:00Z');
    const leads = await salesforce.fetchLeads({ dateFrom: since });
    expect(leads.map((l) => l.Id)).toHaveLength(RECORDS - 19);
    const soql = running.get('salesforce')!.requests.at(-1)!.url.searchParams.get('q') ?? '';
    expect(soql).toContain('FROM Lead WHERE SystemModstamp >= 2026-01-01T00:20:00Z');
  });
});

describe('the registry', () => {
  it('lists every platform sorted by id, the six high-priority ones among them, without loading adapters', () => {
    const ids = getAdapterRegistry()
      .platforms()
      .map((p) => p.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(
      expect.arrayContaining(['google-ads', 'hubspot', 'meta-ads', 'salesforce', 'shopify', 'stripe']),
    );
  });

  const classes = {
    'google-ads': GoogleAdsAdapter,
    hubspot: HubspotAdapter,
    'meta-ads': MetaAdsAdapter,
    salesforce: SalesforceAdapter,
    shopify: ShopifyAdapter,
    stripe: StripeAdapter,
  };

  it.each(Object.entries(classes))(
    'constructs the %s adapter, an instance of its generated class',
    async (id, AdapterClass) => {
      // Each connection variable's documented example is a valid value.
      const connectionConfig = Object.fromEntries(
        Object.entries(AdapterClass.meta.connectionConfig).map(([name, variable]) => [name, variable.example]),
      );
      const credentials = { apiKey: 'k', accessToken: 't', instanceUrl: 'https://acme.my.salesforce.com' };
      const adapter = await getAdapterRegistry().create(id as 'stripe', {
        credentials: credentials as never,
        connectionConfig: connectionConfig as never,
      });
      expect(adapter).toBeInstanceOf(AdapterClass);
      expect(adapter.meta.id).toBe(id);
      await adapter.close();
    },
  );
});
