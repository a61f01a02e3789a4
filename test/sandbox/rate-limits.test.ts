import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmulatorHandler,
  googleAdsEmulator,
  hubspotEmulator,
  type ManualClock,
  manualClock,
  metaAdsEmulator,
  type RunningEmulator,
  salesforceEmulator,
  shopifyEmulator,
  startEmulator,
  stripeEmulator,
} from '../../src/sandbox/index.js';
import { call, type RawResponse } from './http-helpers.js';

interface LimitCase {
  /** The emulator with the given clock and rate limiting on (or off). */
  make(clock: ManualClock, rateLimit: boolean): EmulatorHandler;
  /** One request that counts against the limit. */
  send(origin: string): Promise<RawResponse>;
  /** Requests allowed at one instant. */
  burst: number;
  /** The platform's refusal, as documented. */
  refused(response: RawResponse): void;
  /** Time after the refusal until one more request is allowed. */
  recoverMs: number;
  /** The usage header after `n` allowed requests. */
  usage(response: RawResponse, n: number): void;
}

const search = { query: 'SELECT campaign.id FROM campaign' };

const cases: Record<string, LimitCase> = {
  // Leaky bucket of 40, leaking 2/s: one more slot every 500 ms.
  shopify: {
    make: (clock, on) => shopifyEmulator({ now: clock.now, ...(on ? {} : { rateLimit: false }) }),
    send: (origin) =>
      call(origin, '/admin/api/2026-10/shop.json', { headers: { 'x-shopify-access-token': 'shpat_emulator' } }),
    burst: 40,
    refused: (r) => {
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('2.0');
      expect(r.headers['x-shopify-shop-api-call-limit']).toBe('40/40');
      expect((r.body as { errors: string }).errors).toMatch(/^Exceeded 2 calls per second for api client/);
    },
    recoverMs: 500,
    usage: (r, n) => expect(r.headers['x-shopify-shop-api-call-limit']).toBe(`${n}/40`),
  },
  // 100 requests per second (live mode).
  stripe: {
    make: (clock, on) => stripeEmulator({ now: clock.now, ...(on ? {} : { rateLimit: false }) }),
    send: (origin) => call(origin, '/v1/customers?limit=1', { headers: { authorization: 'Bearer sk_test_emulator' } }),
    burst: 100,
    refused: (r) => {
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
      expect(r.headers['stripe-rate-limited-reason']).toBe('global-rate');
    },
    recoverMs: 1000,
    usage: (r) => expect(r.headers['request-id']).toMatch(/^req_/),
  },
  // 100 requests per rolling 10 seconds.
  hubspot: {
    make: (clock, on) => hubspotEmulator({ now: clock.now, ...(on ? {} : { rateLimit: false }) }),
    send: (origin) =>
      call(origin, '/crm/objects/2026-09/contacts?limit=1', {
        headers: { authorization: 'Bearer hubspot-emulator-token' },
      }),
    burst: 100,
    refused: (r) => {
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({
        status: 'error',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        message: 'You have reached your ten_secondly_rolling limit.',
      });
      expect(r.headers['x-hubspot-ratelimit-max']).toBe('100');
    },
    recoverMs: 10_000,
    usage: (r, n) => {
      expect(r.headers['x-hubspot-ratelimit-max']).toBe('100');
      expect(r.headers['x-hubspot-ratelimit-remaining']).toBe(String(100 - n));
      expect(r.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('10000');
    },
  },
  // A daily allocation over a rolling 24 hours (set small: the real ones are 15,000 and up).
  salesforce: {
    make: (clock, on) =>
      // Tokens that outlive the 24-hour window (sessions last 2 hours by default).
      salesforceEmulator({
        now: clock.now,
        accessTokenLifetimeSeconds: null,
        rateLimit: on ? { dailyAllocation: 5 } : false,
      }),
    send: (origin) =>
      call(origin, '/services/data/v68.0/limits', { headers: { authorization: 'Bearer 00Demulator!token' } }),
    burst: 5,
    refused: (r) => {
      expect(r.status).toBe(403);
      expect(r.body).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
      expect(r.headers['sforce-limit-info']).toBe('api-usage=5/5');
    },
    recoverMs: 86_400_000,
    usage: (r, n) => expect(r.headers['sforce-limit-info']).toBe(`api-usage=${n}/5`),
  },
  // Business Use Case limit per ad account over a rolling hour (set small: the formula gives 1,300 here).
  'meta-ads': {
    make: (clock, on) => metaAdsEmulator({ now: clock.now, rateLimit: on ? { adsManagementPerHour: 5 } : false }),
    send: (origin) =>
      call(origin, '/v26.0/act_1234567890/campaigns?limit=1', { headers: { authorization: 'Bearer EAAemulator' } }),
    burst: 5,
    refused: (r) => {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        error: { type: 'OAuthException', code: 80004, error_subcode: 2446079, is_transient: true },
      });
      const usage = JSON.parse(r.headers['x-business-use-case-usage'] ?? '{}');
      expect(usage['1234567890'][0]).toMatchObject({ type: 'ads_management', call_count: 100 });
      expect(usage['1234567890'][0].estimated_time_to_regain_access).toBe(60);
    },
    recoverMs: 3_600_000,
    usage: (r, n) => {
      const usage = JSON.parse(r.headers['x-business-use-case-usage'] ?? '{}');
      expect(usage['1234567890'][0]).toMatchObject({ type: 'ads_management', call_count: n * 20 });
    },
  },
  // Daily operations (Basic access is 15,000; set small).
  'google-ads': {
    make: (clock, on) =>
      googleAdsEmulator({
        now: clock.now,
        accessTokenLifetimeSeconds: null,
        rateLimit: on ? { operationsPerDay: 3 } : false,
      }),
    send: (origin) =>
      call(origin, '/v26/customers/1234567890/googleAds:search', {
        method: 'POST',
        headers: { authorization: 'Bearer ya29.emulator' },
        json: search,
      }),
    burst: 3,
    refused: (r) => {
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBeUndefined();
      expect(r.body).toMatchObject({
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          details: [{ errors: [{ errorCode: { quotaError: 'RESOURCE_EXHAUSTED' } }] }],
        },
      });
    },
    recoverMs: 86_400_000,
    usage: (r) => expect(r.status).toBe(200),
  },
};

describe('rate limits as each platform documents them', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const start = async (c: LimitCase, on = true) => {
    const clock = manualClock();
    running = await startEmulator(c.make(clock, on));
    return { clock, origin: running.origin };
  };

  it.each(Object.entries(cases))('%s: allows the documented burst, then refuses as documented', async (_, c) => {
    const { origin } = await start(c);
    for (let i = 0; i < c.burst; i++) expect((await c.send(origin)).status).toBe(200);
    c.refused(await c.send(origin));
  });

  it.each(Object.entries(cases))('%s: recovers after the documented time (injected clock)', async (_, c) => {
    const { clock, origin } = await start(c);
    for (let i = 0; i < c.burst; i++) await c.send(origin);
    expect((await c.send(origin)).status).not.toBe(200);
    clock.advance(c.recoverMs - 1);
    expect((await c.send(origin)).status).not.toBe(200);
    clock.advance(1);
    expect((await c.send(origin)).status).toBe(200);
  });

  it.each(Object.entries(cases))('%s: reports usage in its documented headers', async (_, c) => {
    const { origin } = await start(c);
    await c.send(origin);
    c.usage(await c.send(origin), 2);
  });

  it.each(Object.entries(cases))('%s: enforces nothing when the rate limit is turned off', async (_, c) => {
    const { origin } = await start(c, false);
    for (let i = 0; i < c.burst + 3; i++) expect((await c.send(origin)).status).toBe(200);
  });

  it('shopify: Retry-After 2.0 is worth four requests (the bucket leaks 2/s)', async () => {
    const c = cases.shopify!;
    const { clock, origin } = await start(c);
    for (let i = 0; i < 40; i++) await c.send(origin);
    clock.advance(2000);
    for (let i = 0; i < 4; i++) expect((await c.send(origin)).status).toBe(200);
    expect((await c.send(origin)).status).toBe(429);
  });

  it('meta-ads: the default ads_management limit is 300 + 40 × active ads per hour', async () => {
    const clock = manualClock();
    running = await startEmulator(metaAdsEmulator({ now: clock.now, records: 25 }));
    let last: RawResponse | undefined;
    for (let i = 0; i < 13; i++) last = await cases['meta-ads']!.send(running.origin);
    // 13 of 300 + 40 × 25 = 1,300 calls: 1 %.
    const usage = JSON.parse(last?.headers['x-business-use-case-usage'] ?? '{}');
    expect(usage['1234567890'][0].call_count).toBe(1);
  });

  it('google-ads: requests for later pages of a query are not operations', async () => {
    const clock = manualClock();
    running = await startEmulator(
      googleAdsEmulator({ now: clock.now, pageSize: 5, rateLimit: { operationsPerDay: 1 } }),
    );
    const headers = { authorization: 'Bearer ya29.emulator' };
    const path = '/v26/customers/1234567890/googleAds:search';
    const first = await call(running.origin, path, { method: 'POST', headers, json: search });
    let token = (first.body as { nextPageToken?: string }).nextPageToken;
    expect(token).toBeDefined();
    while (token) {
      const page = await call(running.origin, path, { method: 'POST', headers, json: { ...search, pageToken: token } });
      expect(page.status).toBe(200);
      token = (page.body as { nextPageToken?: string }).nextPageToken;
    }
    expect((await call(running.origin, path, { method: 'POST', headers, json: search })).status).toBe(429);
  });

  it('counts refused requests in control.counters.rateLimited', async () => {
    const c = cases.salesforce!;
    const clock = manualClock();
    const emulator = salesforceEmulator({ now: clock.now, rateLimit: { dailyAllocation: 1 } });
    running = await startEmulator(emulator);
    await c.send(running.origin);
    await c.send(running.origin);
    await c.send(running.origin);
    expect(emulator.control.counters).toMatchObject({ requests: 3, rateLimited: 2 });
  });
});
