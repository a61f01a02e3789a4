/**
 * The config-driven emulator enforces a platform's rate limit as its config's model describes it, on the emulator's
 * clock: a manual clock here, so exhausting a budget and recovering from it takes no real time.
 */
import { AirtableAdapter } from 'engarde/adapters/airtable';
import type { PlatformMeta } from 'engarde/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { type RateLimitConfig, rateLimitSchema } from '../../src/runtime/platform-schema.js';
import { RATE_LIMIT_MODEL_NAMES, type RateLimitModel } from '../../src/runtime/rate-limit/rate-limit-models.js';
import {
  type ConfigDrivenEmulator,
  type ConfigDrivenEmulatorOptions,
  configDrivenEmulator,
  emulatedRateLimiter,
  type ManualClock,
  manualClock,
  type RunningEmulator,
  startEmulator,
} from '../../src/sandbox/index.js';
import { call, type RawResponse } from './http-helpers.js';

/** A rate limit as the config schema completes it (`scope`, `headers`, `statusCodes`). */
const rateLimit = (config: Record<string, unknown>): RateLimitConfig =>
  rateLimitSchema.parse({ notes: 'test figures', ...config }) as RateLimitConfig;

interface ModelCase {
  given: RateLimitConfig;
  /** Requests the documented figures allow at one instant. */
  budget: number;
  /** Time after the refusal until one more request is allowed, ms. */
  recoverMs: number;
}

/** One documented limit per model, small enough to exhaust in a test. */
const MODELS: ReadonlyArray<readonly [string, ModelCase]> = [
  [
    'leaky-bucket: a bucket of 4 leaking 2/s refuses the 5th request, one slot every 500 ms',
    { given: rateLimit({ model: 'leaky-bucket', capacity: 4, leakPerSecond: 2 }), budget: 4, recoverMs: 500 },
  ],
  [
    'token-bucket: 3 tokens refilled 3/s refuses the 4th request, one token every 334 ms',
    { given: rateLimit({ model: 'token-bucket', capacity: 3, refillPerSecond: 3 }), budget: 3, recoverMs: 334 },
  ],
  [
    'fixed-window: 5 requests per 1 s refuses the 6th until the next window',
    { given: rateLimit({ model: 'fixed-window', requests: 5, windowSeconds: 1 }), budget: 5, recoverMs: 1000 },
  ],
  [
    'sliding-window: 4 requests in any 10 s refuses the 5th until the first leaves the window',
    { given: rateLimit({ model: 'sliding-window', requests: 4, windowSeconds: 10 }), budget: 4, recoverMs: 10_000 },
  ],
  [
    'cost-based: 6 points per 60 s, at a fixed cost of 1 a request, refuses the 7th request',
    { given: rateLimit({ model: 'cost-based', points: 6, windowSeconds: 60 }), budget: 6, recoverMs: 60_000 },
  ],
  [
    'cost-based: a requestsPerSecond ceiling of 2 refuses the 3rd request with points to spare',
    {
      given: rateLimit({ model: 'cost-based', points: 1000, windowSeconds: 3600, requestsPerSecond: 2 }),
      budget: 2,
      recoverMs: 1000,
    },
  ],
  [
    'cost-based: a fractional ceiling of 1.38 requests/s allows one request every 724 ms',
    {
      given: rateLimit({ model: 'cost-based', points: 250_000, windowSeconds: 3600, requestsPerSecond: 1.38 }),
      budget: 1,
      recoverMs: 724,
    },
  ],
];

it('every rate-limit model has a case', () => {
  const covered = new Set<RateLimitModel>(MODELS.map(([, c]) => c.given.model));
  expect([...covered].sort()).toEqual([...RATE_LIMIT_MODEL_NAMES].sort());
});

describe("each model's sandbox limiter", () => {
  it.each(MODELS)('%s, and admits again once the clock has moved on', (_, { given, budget, recoverMs }) => {
    const clock = manualClock();
    const limiter = emulatedRateLimiter(given, clock.now);
    for (let i = 0; i < budget; i++) expect(limiter.take().allowed, `request ${i + 1}`).toBe(true);
    const refused = limiter.take();
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(recoverMs);

    clock.advance(recoverMs - 1);
    expect(limiter.take().allowed, '1 ms early').toBe(false);
    clock.advance(1);
    expect(limiter.take().allowed).toBe(true);
  });
});

/** Airtable's config with another rate limit: an oauth2 bearer platform whose test-connection path is a GET. */
const platform = (given: RateLimitConfig): PlatformMeta => ({ ...AirtableAdapter.meta, rateLimit: given });

const running: RunningEmulator<ConfigDrivenEmulator>[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function start(meta: PlatformMeta, clock: ManualClock, options: ConfigDrivenEmulatorOptions = {}) {
  const emulator = await startEmulator(configDrivenEmulator(meta, { records: 1, now: clock.now, ...options }));
  running.push(emulator);
  return emulator;
}

/** An authenticated request to the platform's test-connection path. */
function probe(emulator: RunningEmulator<ConfigDrivenEmulator>): Promise<RawResponse> {
  const { control } = emulator;
  return call(emulator.origin, `${control.basePath}${control.meta.testConnection.path}`, {
    headers: { authorization: `Bearer ${control.credentials.accessToken}` },
  });
}

async function statuses(emulator: RunningEmulator<ConfigDrivenEmulator>, n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await probe(emulator)).status);
  return seen;
}

describe('the config-driven emulator', () => {
  it.each(MODELS)(
    '%s: over the budget it answers 429 with Retry-After, and serves again after it',
    async (_, { given, budget, recoverMs }) => {
      const clock = manualClock();
      const emulator = await start(platform(given), clock);
      expect(await statuses(emulator, budget)).toEqual(Array(budget).fill(200));

      const refused = await probe(emulator);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe(String(Math.ceil(recoverMs / 1000)));
      expect(refused.body).toMatchObject({ error: { code: 'rate_limited' } });
      expect(emulator.control.counters.rateLimited).toBe(1);

      clock.advance(recoverMs);
      expect((await probe(emulator)).status).toBe(200);
    },
  );

  it.each(MODELS)(
    '%s: with the rate limit off (rateLimit: false) it serves past the budget',
    async (_, { given, budget }) => {
      const emulator = await start(platform(given), manualClock(), { rateLimit: false });
      expect(emulator.control.rateLimitEnabled).toBe(false);
      expect(await statuses(emulator, budget + 3)).toEqual(Array(budget + 3).fill(200));
      expect(emulator.control.counters.rateLimited).toBe(0);
    },
  );

  it("answers the first of the config's statusCodes, with Retry-After under the config's header name", async () => {
    const given = rateLimit({
      model: 'fixed-window',
      requests: 1,
      windowSeconds: 60,
      statusCodes: [403, 429],
      headers: { retryAfter: 'X-Retry-After' },
    });
    const emulator = await start(platform(given), manualClock());
    expect((await probe(emulator)).status).toBe(200);
    const refused = await probe(emulator);
    expect(refused.status).toBe(403);
    expect(refused.headers['x-retry-after']).toBe('60');
  });

  it("refuses in the platform's errorBody form where the config declares rate-limit codes", async () => {
    const meta: PlatformMeta = {
      ...platform(rateLimit({ model: 'fixed-window', requests: 1, windowSeconds: 1 })),
      errorBody: {
        when: { path: 'ok', equals: false },
        messagePath: 'error',
        codePath: 'error',
        codes: { authentication: [], permission: [], notFound: [], rateLimited: ['ratelimited'] },
      } as PlatformMeta['errorBody'],
    };
    const emulator = await start(meta, manualClock());
    await probe(emulator);
    const refused = await probe(emulator);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('control.rateLimitEnabled turns the limit off and on, and resetRateLimits forgets the usage', async () => {
    const emulator = await start(
      platform(rateLimit({ model: 'sliding-window', requests: 2, windowSeconds: 60 })),
      manualClock(),
    );
    const { control } = emulator;
    expect(control.rateLimitEnabled).toBe(true);
    expect(await statuses(emulator, 3)).toEqual([200, 200, 429]);
    control.rateLimitEnabled = false;
    expect(await statuses(emulator, 3)).toEqual([200, 200, 200]);
    control.rateLimitEnabled = true;
    expect((await probe(emulator)).status).toBe(429);
    control.resetRateLimits();
    expect(await statuses(emulator, 3)).toEqual([200, 200, 429]);
  });

  it('refused credentials do not count against the limit', async () => {
    const emulator = await start(
      platform(rateLimit({ model: 'fixed-window', requests: 2, windowSeconds: 60 })),
      manualClock(),
    );
    const { control } = emulator;
    const path = `${control.basePath}${control.meta.testConnection.path}`;
    for (let i = 0; i < 3; i++) {
      expect((await call(emulator.origin, path, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    }
    expect(await statuses(emulator, 3)).toEqual([200, 200, 429]);
  });
});
