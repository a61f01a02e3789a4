import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRateLimitStore, type RateLimitConfig, RateLimitError } from '../../../src/runtime/index.js';
import { StoreRateLimiter } from '../../../src/runtime/rate-limit/store-rate-limiter.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const shopify: RateLimitConfig = {
  model: 'leaky-bucket',
  capacity: 40,
  leakPerSecond: 2,
  scope: 'connection',
  headers: {},
  statusCodes: [429],
  notes: 'test',
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

/**
 * Two "processes": separate pools, separate stores and limiters, one table. Their sleeps are recorded, not slept:
 * the store keeps time on the database's clock, and what a test checks is how long a limiter was told to wait.
 */
function twoWorkers(key: string, config: RateLimitConfig = shopify) {
  return [db.pool(), db.pool()].map((pool: pg.Pool) => {
    const store = new PostgresRateLimitStore({ pool });
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    return {
      store,
      sleeps,
      limiter: new StoreRateLimiter({ key, config, store, safetyMarginMs: 0, maxWaitMs: 5000, sleep }),
    };
  });
}

describe('PostgresRateLimitStore', () => {
  it('creates its table on first use, also when several stores start at once', async () => {
    const pool = db.pool();
    const stores = Array.from({ length: 4 }, () => new PostgresRateLimitStore({ pool, tableName: 'rl_created' }));
    await Promise.all(stores.map((s) => s.take('k', { costMs: 10_000, limitMs: 60_000 })));
    const { rows } = await pool.query("SELECT to_regclass('rl_created') IS NOT NULL AS present");
    expect(rows[0].present).toBe(true);
    expect(await stores[0]!.backlog('k')).toBeGreaterThan(0);
  });

  it('two workers on one table share one budget: together they get exactly one burst', async () => {
    const [a, b] = twoWorkers('shopify:shared');
    const granted = { a: 0, b: 0 };
    const tryTake = async (w: { store: PostgresRateLimitStore }, name: 'a' | 'b') => {
      const r = await w.store.take('shopify:shared', { costMs: 500_000, limitMs: 20_000_000 });
      if (r.allowed) granted[name]++;
    };
    await Promise.all(Array.from({ length: 30 }, () => [tryTake(a!, 'a'), tryTake(b!, 'b')]).flat());
    // 60 concurrent attempts on a 40-request bucket leaking one per 500 s: none leaks while they run, however slow.
    expect(granted.a + granted.b).toBe(40);
    expect(granted.a).toBeGreaterThan(0);
    expect(granted.b).toBeGreaterThan(0);
  });

  it('feedback from one worker (a pause) holds back the other', async () => {
    const [a, b] = twoWorkers('shopify:paused');
    const before = performance.now();
    await a!.limiter.observe({ 'retry-after': '3' }, 429);
    await b!.limiter.acquire();
    const elapsed = performance.now() - before;
    // b is told to wait out what is left of the 3 s pause: 3 s less the time that passed (however slow the machine).
    expect(b!.sleeps).toHaveLength(1);
    expect(b!.sleeps[0]).toBeLessThanOrEqual(3000);
    expect(b!.sleeps[0]).toBeGreaterThanOrEqual(3000 - elapsed - 1);
  });

  it('a pause far beyond maxWaitMs set by one worker makes the other fail at once with the wait left', async () => {
    const [a, b] = twoWorkers('shopify:paused-for-a-day');
    const before = performance.now();
    await a!.limiter.observe({ 'retry-after': '86400' }, 429);
    const error = await b!.limiter.acquire().catch((e: unknown) => e);
    const elapsed = performance.now() - before;
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBeLessThanOrEqual(86_400_000);
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThanOrEqual(86_400_000 - elapsed - 1);
    expect(b!.sleeps).toEqual([]);
    // Recorded in full in the shared table: every worker honours it.
    expect(await b!.store.backlog('shopify:paused-for-a-day')).toBeGreaterThan(86_400_000 - elapsed - 1);
  });
});
