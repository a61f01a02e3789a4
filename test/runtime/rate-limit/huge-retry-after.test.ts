/**
 * A platform that asks for a long wait (`Retry-After: 86400`, a reset an hour away) pauses the shared budget for
 * that long — every adapter and process sharing it honours the pause — but nobody sleeps through it: a request
 * that cannot be served within the limiter's `maxWaitMs` (default 60 s) fails at once with a `RateLimitError`
 * carrying the remaining wait. All on a manual clock: nothing here really waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/runtime/http/http-client.js';
import {
  MemoryRateLimitStore,
  type RateLimitConfig,
  RateLimitError,
  type RetryConfig,
} from '../../../src/runtime/index.js';
import { createRateLimiter } from '../../../src/runtime/rate-limit/create-rate-limiter.js';
import { StoreRateLimiter } from '../../../src/runtime/rate-limit/store-rate-limiter.js';
import { json, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { type ManualClock, manualClock } from './manual-clock.js';

const common = { scope: 'app' as const, statusCodes: [429], notes: 'test' };
/** Shopify's bucket: 40 requests, leaking 2 per second. */
const bucket: RateLimitConfig = {
  model: 'leaky-bucket',
  capacity: 40,
  leakPerSecond: 2,
  ...common,
  headers: { retryAfter: 'Retry-After' },
};
/** An hourly quota of 1000 requests. */
const hourly: RateLimitConfig = { model: 'fixed-window', requests: 1000, windowSeconds: 3600, ...common, headers: {} };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-01T12:00:00.000Z');

/** A clock whose sleeps are counted, and two adapters' limiters sharing one budget (app scope: one key). */
function twoAdapters(config: RateLimitConfig) {
  const clock = manualClock(START);
  const sleeps: number[] = [];
  const sleep: ManualClock['sleep'] = (ms, signal) => {
    sleeps.push(ms);
    return clock.sleep(ms, signal);
  };
  const store = new MemoryRateLimitStore({ now: clock.now });
  const make = (tenantId: string) =>
    createRateLimiter({
      platformId: 'shopify',
      config,
      tenantId,
      store,
      now: clock.now,
      sleep,
      safetyMarginMs: 0,
    }) as StoreRateLimiter;
  return { clock, sleeps, store, first: make('t1'), second: make('t2') };
}

/** What a refused `acquire` rejected with (fails the test when it resolved instead). */
async function refusal(limiter: StoreRateLimiter): Promise<RateLimitError> {
  const outcome = await limiter.acquire().then(
    () => 'granted',
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(RateLimitError);
  return outcome as RateLimitError;
}

describe('a wait longer than maxWaitMs fails at once with the remaining wait', () => {
  const cases: Array<
    [string, { config: RateLimitConfig; headers: Record<string, string>; status?: number; wantWaitMs: number }]
  > = [
    ['Retry-After: 86400 on a 429', { config: bucket, headers: { 'retry-after': '86400' }, wantWaitMs: DAY }],
    [
      'an HTTP-date a day ahead',
      { config: bucket, headers: { 'retry-after': new Date(START + DAY).toUTCString() }, wantWaitMs: DAY },
    ],
    ['Retry-After-Ms: 3600000', { config: bucket, headers: { 'retry-after-ms': '3600000' }, wantWaitMs: HOUR }],
    [
      'Retry-After: 61, one second past the default maxWaitMs of 60 s',
      { config: bucket, headers: { 'retry-after': '61' }, wantWaitMs: 61_000 },
    ],
    [
      'Retry-After: 86400 on a 503 (maintenance)',
      { config: bucket, headers: { 'retry-after': '86400' }, status: 503, wantWaitMs: DAY },
    ],
    [
      'an hourly quota spent: X-RateLimit-Remaining: 0, reset in an hour',
      {
        config: hourly,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3600' },
        status: 200,
        wantWaitMs: HOUR,
      },
    ],
  ];

  it.each(cases)('%s', async (_name, { config, headers, status = 429, wantWaitMs }) => {
    const { clock, sleeps, store, first, second } = twoAdapters(config);
    await first.observe(headers, status);

    // The adapter that saw the answer, and another adapter sharing the budget that saw nothing: both refused now.
    for (const limiter of [first, second]) {
      const error = await refusal(limiter);
      expect(error.status).toBe(429);
      expect(error.platformId).toBe('shopify');
      expect(error.retryAfterMs).toBe(wantWaitMs);
      expect(error.message).toContain(`paused until ${new Date(START + wantWaitMs).toISOString()}`);
    }
    expect(sleeps).toEqual([]);
    expect(clock.now()).toBe(START);

    // The pause stays recorded in the shared store, so other processes honour it too …
    expect(await store.backlog(first.key)).toBeGreaterThanOrEqual(wantWaitMs);
    // … and what callers are told shrinks as it runs out.
    clock.advance(wantWaitMs - 61_000);
    expect((await refusal(second)).retryAfterMs).toBe(61_000);

    // Once it has passed, requests go again, without having slept.
    clock.advance(61_000);
    await first.acquire();
    expect(sleeps).toEqual([]);
  });

  it('a pause set by another adapter sharing the budget', async () => {
    const { clock, sleeps, first, second } = twoAdapters(bucket);
    await first.observe({ 'retry-after': '120' }, 429);
    clock.advance(30_000);
    const error = await refusal(second);
    expect(error.retryAfterMs).toBe(90_000);
    expect(error.message).toMatch(/paused until 2026-03-01T12:02:00\.000Z/);
    expect(sleeps).toEqual([]);
  });

  it('requests queued ahead that would hold a request past maxWaitMs', async () => {
    // 40 go at once, then one per 500 ms: the 160th waits exactly 60 s, the 161st would wait 60.5 s. A refused
    // request takes no place in the queue: each later one is told the same.
    const { clock, sleeps, first } = twoAdapters(bucket);
    const outcomes = await Promise.all(
      Array.from({ length: 170 }, () =>
        first.acquire().then(
          () => ({ granted: clock.now() - START }),
          (error: unknown) => ({ refusedAfter: clock.now() - START, error }),
        ),
      ),
    );
    const granted = outcomes.filter((o) => 'granted' in o);
    const refused = outcomes.filter((o) => 'refusedAfter' in o);
    expect(granted).toHaveLength(160);
    expect(granted.at(-1)).toEqual({ granted: 60_000 });
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.refusedAfter).toBe(0);
      expect(r.error).toBeInstanceOf(RateLimitError);
      expect((r.error as RateLimitError).retryAfterMs).toBe(60_500);
      expect((r.error as RateLimitError).message).toContain(
        'the requests queued before this one book the rate-limit budget shopify until 2026-03-01T12:01:00.500Z',
      );
    }
    expect(sleeps).toHaveLength(120);
  });

  it('a wait within maxWaitMs is waited for, as before', async () => {
    const { clock, sleeps, first, second } = twoAdapters(bucket);
    await first.observe({ 'retry-after': '60' }, 429);
    await second.acquire();
    expect(clock.now() - START).toBe(60_000);
    expect(sleeps).toEqual([60_000]);
  });

  it('maxWaitMs is the limiter’s option: a 5 s pause refuses a limiter that waits at most 1 s', async () => {
    const clock = manualClock(START);
    const limiter = new StoreRateLimiter({
      key: 'shopify:conn_1',
      platformId: 'shopify',
      config: bucket,
      store: new MemoryRateLimitStore({ now: clock.now }),
      now: clock.now,
      sleep: clock.sleep,
      safetyMarginMs: 0,
      maxWaitMs: 1000,
    });
    await limiter.observe({ 'retry-after': '5' }, 429);
    expect((await refusal(limiter)).retryAfterMs).toBe(5000);
  });
});

describe('through the HTTP client: Retry-After: 86400 on a 429', () => {
  const retry: RetryConfig = {
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 2,
    maxRetryAfterMs: 60_000,
    statusCodes: [429, 503],
  };
  const servers: LoopbackServer[] = [];
  const clients: HttpClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('the caller that got it, and every later caller on the budget, fail at once; the platform sees one request', async () => {
    const server = await startServer((_req, res) => json(res, 429, {}, { 'retry-after': '86400' }));
    servers.push(server);
    const { sleeps, first, second } = twoAdapters(bucket);
    const client = (rateLimiter: StoreRateLimiter) => {
      const c = new HttpClient({
        platformId: 'shopify',
        baseUrl: server.url,
        retry,
        rateLimiter,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
      clients.push(c);
      return c;
    };

    const firstError = await client(first)
      .request({ method: 'GET', url: '/shop.json' })
      .catch((e: unknown) => e);
    expect(firstError).toBeInstanceOf(RateLimitError);
    expect((firstError as RateLimitError).retryAfterMs).toBe(DAY);

    for (const limiter of [first, second]) {
      const error = await client(limiter)
        .request({ method: 'GET', url: '/shop.json' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitError);
      expect((error as RateLimitError).retryAfterMs).toBe(DAY);
    }
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});
