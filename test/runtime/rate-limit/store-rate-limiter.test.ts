import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, type RateLimitConfig, type RateLimitStore } from '../../../src/runtime/index.js';
import { createRateLimiter } from '../../../src/runtime/rate-limit/create-rate-limiter.js';
import { RateLimitWaitError } from '../../../src/runtime/rate-limit/rate-limiter.js';
import { StoreRateLimiter } from '../../../src/runtime/rate-limit/store-rate-limiter.js';
import { type ManualClock, manualClock } from './manual-clock.js';

const common = { scope: 'connection' as const, headers: {}, statusCodes: [429], notes: 'test' };
const shopify: RateLimitConfig = {
  model: 'leaky-bucket',
  capacity: 40,
  leakPerSecond: 2,
  ...common,
  headers: { usage: 'X-Shopify-Shop-Api-Call-Limit', retryAfter: 'Retry-After' },
};

function limiterFor(config: RateLimitConfig, clock: ManualClock, extra: { safetyMarginMs?: number } = {}) {
  const store = new MemoryRateLimitStore({ now: clock.now });
  const limiter = new StoreRateLimiter({
    key: 'k',
    config,
    store,
    now: clock.now,
    sleep: clock.sleep,
    safetyMarginMs: 0,
    ...extra,
  });
  return { limiter, store };
}

/** When each of `n` sequential acquires was granted, ms after the first call. */
async function grantTimes(limiter: StoreRateLimiter, clock: ManualClock, n: number): Promise<number[]> {
  const start = clock.now();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await limiter.acquire();
    times.push(clock.now() - start);
  }
  return times;
}

describe('StoreRateLimiter: each model allows exactly its burst, then its steady rate', () => {
  const cases: Array<[string, { config: RateLimitConfig; margin?: number; burst: number; stepMs: number }]> = [
    ['leaky bucket 40, leaking 2/s (Shopify)', { config: shopify, burst: 40, stepMs: 500 }],
    [
      'token bucket 10, refilling 5/s',
      { config: { model: 'token-bucket', capacity: 10, refillPerSecond: 5, ...common }, burst: 10, stepMs: 200 },
    ],
    [
      'fixed window 100 per second (Stripe)',
      { config: { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common }, burst: 2, stepMs: 1000 / 99 },
    ],
    [
      'sliding window 100 per 10 s (HubSpot)',
      {
        config: { model: 'sliding-window', requests: 100, windowSeconds: 10, ...common },
        burst: 2,
        stepMs: 10_000 / 99,
      },
    ],
    [
      'cost-based 1000 points per 10 s, at most 5 requests per second',
      {
        config: { model: 'cost-based', points: 1000, windowSeconds: 10, requestsPerSecond: 5, ...common },
        burst: 1,
        stepMs: 200,
      },
    ],
  ];

  it.each(cases)('%s', async (_name, { config, burst, stepMs }) => {
    const clock = manualClock();
    const { limiter } = limiterFor(config, clock);
    const times = await grantTimes(limiter, clock, burst + 50);
    expect(times.slice(0, burst)).toEqual(Array(burst).fill(0));
    // The k-th request after the burst: never before k steps, and late only by the 1 ms rounding of a timer.
    times.slice(burst).forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual((i + 1) * stepMs - 1e-6);
      expect(t).toBeLessThan((i + 1) * stepMs + 1);
    });
  });

  it('the default safety margin delays only the last request of a full burst, by the margin', async () => {
    const clock = manualClock();
    const { limiter } = limiterFor(shopify, clock, { safetyMarginMs: undefined });
    const times = await grantTimes(limiter, clock, 42);
    expect(times.slice(0, 39)).toEqual(Array(39).fill(0));
    expect(times.slice(39)).toEqual([100, 600, 1100]);
  });

  it('an idle budget refills: after the bucket drains, a full burst goes again', async () => {
    const clock = manualClock();
    const { limiter } = limiterFor(shopify, clock);
    await grantTimes(limiter, clock, 40);
    clock.advance(20_000);
    expect(await grantTimes(limiter, clock, 40)).toEqual(Array(40).fill(0));
  });
});

describe('StoreRateLimiter: adapting to what the platform reports', () => {
  it('Shopify X-Shopify-Shop-Api-Call-Limit fills the local bucket to the reported level', async () => {
    const clock = manualClock();
    const { limiter, store } = limiterFor(shopify, clock);
    // Another client used 31 of 40; we have sent one. The report (32/40) is one unit stale at most.
    await limiter.acquire();
    await limiter.observe({ 'x-shopify-shop-api-call-limit': '32/40' }, 200);
    expect(await store.backlog('k')).toBe(31 * 500);
    const times = await grantTimes(limiter, clock, 11);
    expect(times.slice(0, 9)).toEqual(Array(9).fill(0));
    expect(times.slice(9)).toEqual([500, 1000]);
  });

  it('a report below the local level changes nothing (adjustments only ever tighten)', async () => {
    const clock = manualClock();
    const { limiter, store } = limiterFor(shopify, clock);
    await grantTimes(limiter, clock, 20);
    await limiter.observe({ 'x-shopify-shop-api-call-limit': '3/40' }, 200);
    expect(await store.backlog('k')).toBe(10_000);
  });

  it('Retry-After pauses the whole key until it has passed', async () => {
    const clock = manualClock();
    const { limiter } = limiterFor(shopify, clock);
    await limiter.acquire();
    await limiter.observe({ 'retry-after': '3' }, 429);
    const start = clock.now();
    await limiter.acquire();
    expect(clock.now() - start).toBe(3000);
    await limiter.acquire();
    expect(clock.now() - start).toBe(3500);
  });

  it('a 429 without Retry-After treats a bucket as full', async () => {
    const clock = manualClock();
    const { limiter } = limiterFor(shopify, clock);
    await limiter.observe({}, 429);
    const start = clock.now();
    await limiter.acquire();
    expect(clock.now() - start).toBe(500);
  });

  it('a 429 on a window pauses for the reported reset, else a tenth of the window', async () => {
    const clock = manualClock();
    const config: RateLimitConfig = { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common };
    const { limiter } = limiterFor(config, clock);
    await limiter.observe({}, 429);
    let start = clock.now();
    await limiter.acquire();
    expect(clock.now() - start).toBe(100);
    await limiter.observe({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' }, 429);
    start = clock.now();
    await limiter.acquire();
    expect(clock.now() - start).toBe(2000);
  });

  it('HubSpot X-HubSpot-RateLimit-Remaining 0 pauses for its interval', async () => {
    const clock = manualClock();
    const config: RateLimitConfig = {
      model: 'sliding-window',
      requests: 100,
      windowSeconds: 10,
      ...common,
      headers: {
        limit: 'X-HubSpot-RateLimit-Max',
        remaining: 'X-HubSpot-RateLimit-Remaining',
        window: 'X-HubSpot-RateLimit-Interval-Milliseconds',
      },
    };
    const { limiter } = limiterFor(config, clock);
    await limiter.observe(
      {
        'x-hubspot-ratelimit-remaining': '0',
        'x-hubspot-ratelimit-max': '100',
        'x-hubspot-ratelimit-interval-milliseconds': '10000',
      },
      200,
    );
    const start = clock.now();
    await limiter.acquire();
    expect(clock.now() - start).toBe(10_000);
  });
});

describe('StoreRateLimiter: keys, waiting and aborting', () => {
  const appScoped: RateLimitConfig = { ...shopify, scope: 'app' };

  function pair(config: RateLimitConfig, a: object, b: object) {
    const clock = manualClock();
    const store = new MemoryRateLimitStore({ now: clock.now });
    const make = (input: object) =>
      createRateLimiter({
        platformId: 'shopify',
        config,
        store,
        now: clock.now,
        sleep: clock.sleep,
        safetyMarginMs: 0,
        ...input,
      }) as StoreRateLimiter;
    return { clock, store, first: make(a), second: make(b) };
  }

  it('connection scope: two connections have independent budgets', async () => {
    const { clock, first, second } = pair(
      shopify,
      { tenantId: 't1', connectionConfig: { shop: 'a' } },
      { tenantId: 't1', connectionConfig: { shop: 'b' } },
    );
    expect(first.key).not.toBe(second.key);
    await grantTimes(first, clock, 40);
    expect(await grantTimes(second, clock, 40)).toEqual(Array(40).fill(0));
  });

  it('app scope: every connection shares the platform budget', async () => {
    const { clock, first, second } = pair(
      appScoped,
      { tenantId: 't1', connectionConfig: { shop: 'a' } },
      { tenantId: 't2', connectionConfig: { shop: 'b' } },
    );
    expect(first.key).toBe('shopify');
    expect(second.key).toBe('shopify');
    await grantTimes(first, clock, 40);
    expect(await grantTimes(second, clock, 1)).toEqual([500]);
  });

  it('a connection key is stable, contains no setting, and honours rateLimitKey', async () => {
    const { first, second } = pair(
      shopify,
      { tenantId: 't1', connectionConfig: { shop: 'secret-shop', region: 'eu' } },
      { tenantId: 't1', connectionConfig: { region: 'eu', shop: 'secret-shop' } },
    );
    expect(first.key).toBe(second.key);
    expect(first.key).toMatch(/^shopify:t1:[0-9a-f]{12}$/);
    const own = pair(shopify, { key: 'conn_42' }, {}).first;
    expect(own.key).toBe('shopify:conn_42');
  });

  it('a grant that comes back late (a stall) is dropped and taken again, so no request goes out late', async () => {
    const clock = manualClock();
    const inner = new MemoryRateLimitStore({ now: clock.now });
    let takes = 0;
    const stalling: RateLimitStore = {
      kind: 'stalling',
      take: async (key, request) => {
        const result = await inner.take(key, request);
        if (++takes === 2) clock.advance(60); // the answer to the second take arrives 60 ms late
        return result;
      },
      raise: (key, ms) => inner.raise(key, ms),
      backlog: (key) => inner.backlog(key),
      close: () => inner.close(),
    };
    const config: RateLimitConfig = { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common };
    const limiter = new StoreRateLimiter({ key: 'k', config, store: stalling, now: clock.now, sleep: clock.sleep });
    await limiter.acquire();
    await limiter.acquire();
    expect(takes).toBe(3);
  });

  it('waiters in one process are served first come, first served', async () => {
    const clock = manualClock();
    const { limiter } = limiterFor({ ...shopify, capacity: 1 }, clock);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limiter.acquire().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('rejects with the signal reason when aborted while waiting', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = new StoreRateLimiter({ key: 'k', config: { ...shopify, capacity: 1 }, store });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(1, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('rejects with RateLimitWaitError when the wait would exceed maxWaitMs', async () => {
    const clock = manualClock();
    const store = new MemoryRateLimitStore({ now: clock.now });
    const limiter = new StoreRateLimiter({
      key: 'k',
      config: shopify,
      store,
      now: clock.now,
      sleep: clock.sleep,
      maxWaitMs: 1000,
    });
    await limiter.observe({ 'retry-after': '5' }, 429);
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitWaitError);
    expect((error as RateLimitWaitError).waitMs).toBe(5000);
  });
});
