import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRateLimitStore, type RateLimitConfig, StoreRateLimiter } from '../../../src/runtime/index.js';
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

/** Two "processes": separate pools, separate stores and limiters, one table. */
function twoWorkers(key: string, config: RateLimitConfig = shopify) {
  return [db.pool(), db.pool()].map((pool: pg.Pool) => {
    const store = new PostgresRateLimitStore({ pool });
    return { store, limiter: new StoreRateLimiter({ key, config, store, safetyMarginMs: 0, maxWaitMs: 5000 }) };
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
      const r = await w.store.take('shopify:shared', { costMs: 500, limitMs: 20_000 });
      if (r.allowed) granted[name]++;
    };
    await Promise.all(Array.from({ length: 30 }, () => [tryTake(a!, 'a'), tryTake(b!, 'b')]).flat());
    // 60 concurrent attempts, a 40-request bucket (a little leaks while they run: at most a couple more).
    expect(granted.a + granted.b).toBeGreaterThanOrEqual(40);
    expect(granted.a + granted.b).toBeLessThanOrEqual(42);
    expect(granted.a).toBeGreaterThan(0);
    expect(granted.b).toBeGreaterThan(0);
  });

  it('feedback from one worker (a pause) holds back the other', async () => {
    const [a, b] = twoWorkers('shopify:paused');
    await a!.limiter.observe({ 'retry-after': '0.4' }, 429);
    const started = performance.now();
    await b!.limiter.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
  });
});
