/**
 * The key check: every high-priority adapter, from the registry, lists every entity through an emulator that fails
 * 10 % of requests with a 5xx, 5 % with a 429 and 2 % with a TCP reset, and still yields every seeded record exactly
 * once. Retry policy: the platform's own; sleeps advance the emulator's clock instead of waiting.
 */
import { getAdapterRegistry } from 'engarde';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import {
  EMULATED_PLATFORMS,
  type EmulatorControl,
  type FaultStats,
  type ManualClock,
  manualClock,
  type RunningEmulator,
  startEmulator,
  withFaults,
} from '../../src/sandbox/index.js';
import { ADAPTER_META, adapterFor } from './adapter-setup.js';

const RECORDS = 29;
const PAGE = 3; // 29 records, 3 a page: ten pages, the last one short.
const FAULTS = { serverError: 0.1, rateLimited: 0.05, reset: 0.02 };

type Row = Record<string, unknown>;

/** Where each adapter entity's records live in its emulator, and which of them the entity's query selects. */
const SEEDED: Record<string, Record<string, { collection: string; selects?: (row: Row) => boolean }>> = {
  stripe: {
    charges: { collection: 'charges' },
    customers: { collection: 'customers' },
    invoices: { collection: 'invoices' },
    refunds: { collection: 'refunds' },
    subscriptions: { collection: 'subscriptions' }, // status=all: canceled ones too
  },
  shopify: {
    collections: { collection: 'custom_collections' },
    customers: { collection: 'customers' },
    inventory_levels: { collection: 'inventory_levels' },
    orders: { collection: 'orders' }, // status=any: closed ones too
    products: { collection: 'products' },
  },
  hubspot: {
    companies: { collection: 'companies' },
    contacts: { collection: 'contacts' },
    deals: { collection: 'deals' },
    tickets: { collection: 'tickets' },
  },
  salesforce: {
    accounts: { collection: 'Account' },
    contacts: { collection: 'Contact' },
    leads: { collection: 'Lead' },
    opportunities: { collection: 'Opportunity' },
  },
  'meta-ads': {
    ad_sets: { collection: 'adsets' },
    ads: { collection: 'ads' },
    campaigns: { collection: 'campaigns' },
    insights: { collection: 'insights' },
  },
  'google-ads': {
    ad_groups: { collection: 'ad_group' },
    ads: { collection: 'ad_group_ad' },
    audiences: { collection: 'user_list' },
    campaigns: { collection: 'campaign' },
    keywords: {
      collection: 'ad_group_criterion',
      selects: (row) => getPath(row, 'adGroupCriterion.type') === 'KEYWORD',
    },
  },
};

const platforms = Object.keys(EMULATED_PLATFORMS).sort();
const rows = platforms.flatMap((platform) =>
  getAdapterRegistry()
    .info(platform)!
    .entities.map((entity) => [platform, entity] as const),
);

describe('every high-priority adapter lists every record exactly once through 5xx, 429 and resets', () => {
  const running = new Map<string, { emulator: RunningEmulator; clock: ManualClock }>();

  beforeAll(async () => {
    for (const [index, platform] of platforms.entries()) {
      const clock = manualClock();
      const meta = ADAPTER_META[platform]!;
      const emulator = EMULATED_PLATFORMS[platform]!.create({
        records: RECORDS,
        apiVersion: meta.apiVersion,
        now: clock.now,
        serverPageSize: PAGE,
      });
      // A serial lister sends a request's attempts back to back: fault at most maxAttempts - 1 in a row, so that a
      // correct client always gets through within its retry budget.
      const faulty = withFaults(emulator, {
        rate: FAULTS,
        seed: 20_260_601 + index,
        maxConsecutive: meta.retry.maxAttempts - 1,
      });
      running.set(platform, { emulator: await startEmulator(faulty), clock });
    }
  });
  afterAll(async () => {
    for (const { emulator } of running.values()) await emulator.close();
  });

  it.each(rows)('%s %s', async (platform, entity) => {
    const { emulator, clock } = running.get(platform)!;
    const seeded = SEEDED[platform]?.[entity];
    if (!seeded) throw new Error(`no seeded expectation for ${platform} ${entity}: add it to SEEDED`);
    const control = emulator.control as EmulatorControl;
    const idField = ADAPTER_META[platform]!.entities[entity]!.idField;
    const expected = control
      .records(seeded.collection)
      .filter(seeded.selects ?? (() => true))
      .map((row) => String(getPath(row, idField)));
    expect(expected).toHaveLength(new Set(expected).size);

    const adapter = await adapterFor(platform, emulator, clock);
    const ids: string[] = [];
    try {
      for await (const record of adapter.list(entity as never, { pageSize: PAGE }))
        ids.push(String(getPath(record, idField)));
    } finally {
      await adapter.close();
    }
    expect(ids.length).toBe(expected.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...expected].sort());
  });

  it('injected faults of every kind, and the adapters never tripped the emulated rate limits', () => {
    const all = [...running.entries()].map(([platform, { emulator }]) => {
      const stats = emulator.faults as FaultStats;
      expect(stats.faulted, platform).toBeGreaterThan(0);
      // The client-side limiter keeps each adapter under the platform's documented limit.
      expect((emulator.control as EmulatorControl).counters.rateLimited, platform).toBe(0);
      return stats;
    });
    for (const kind of ['serverError', 'rateLimited', 'reset'] as const) {
      expect(
        all.reduce((n, s) => n + s.byKind[kind], 0),
        kind,
      ).toBeGreaterThan(0);
    }
  });
});
