/**
 * The limiter times requests on its own clock; the platform counts them when they arrive. Arrival comes a little
 * after the grant, and not equally for all: the first burst goes out on cold connections (TCP and TLS handshakes), a
 * stalled event loop delays one request and not the next. A request that arrives late while the one after it is on
 * time squeezes the gap between them, and a full bucket then answers 429. The safety margin is what absorbs that
 * spread: at least 30 ms by default, whatever the budget's size.
 *
 * Deterministic: grants on a manual clock, arrivals = grant + a delay chosen per request, and the platform's bucket
 * (or window) emulated over those arrivals.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, type RateLimitConfig } from '../../../src/runtime/index.js';
import { StoreRateLimiter } from '../../../src/runtime/rate-limit/store-rate-limiter.js';
import { manualClock } from './manual-clock.js';

const common = { scope: 'connection' as const, headers: {}, statusCodes: [429], notes: 'test' };
/** The emulated platform of `http-client-rate-limit.test.ts`: 5 requests, leaking 50 per second. */
const small: RateLimitConfig = { model: 'leaky-bucket', capacity: 5, leakPerSecond: 50, ...common };
const shopify: RateLimitConfig = { model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, ...common };
const stripe: RateLimitConfig = { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common };

/** When each of `n` concurrent requests was let go, ms from the start, on a manual clock. */
async function grantTimes(config: RateLimitConfig, n: number, safetyMarginMs?: number): Promise<number[]> {
  const clock = manualClock(0);
  const limiter = new StoreRateLimiter({
    key: 'k',
    config,
    store: new MemoryRateLimitStore({ now: clock.now }),
    now: clock.now,
    sleep: clock.sleep,
    safetyMarginMs,
  });
  const times: number[] = [];
  await Promise.all(Array.from({ length: n }, () => limiter.acquire().then(() => times.push(clock.now()))));
  return times;
}

/** How many arrivals the platform refuses: a leaky bucket, or any W-long window holding more than N. */
function refusedByPlatform(config: RateLimitConfig, arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let refused = 0;
  if (config.model === 'leaky-bucket') {
    let level = 0;
    let at = 0;
    for (const t of sorted) {
      level = Math.max(level - ((t - at) / 1000) * config.leakPerSecond, 0);
      at = t;
      if (level + 1 > config.capacity + 1e-9) refused++;
      else level += 1;
    }
  } else if (config.model === 'fixed-window') {
    const accepted: number[] = [];
    for (const t of sorted) {
      const inWindow = accepted.filter((a) => a > t - config.windowSeconds * 1000).length;
      if (inWindow + 1 > config.requests) refused++;
      else accepted.push(t);
    }
  }
  return refused;
}

type Delay = (index: number) => number;
/** The first `n` requests go out on new connections, `coldMs` slower than the warm ones after them. */
const coldFirst =
  (n: number, coldMs: number): Delay =>
  (i) =>
    i < n ? 1 + coldMs : 1;

describe('the safety margin absorbs the spread between grant and arrival', () => {
  const cases: Array<
    [string, { config: RateLimitConfig; n: number; delay: Delay; safetyMarginMs?: number; refused: number }]
  > = [
    ['every request 40 ms on the way (no spread)', { config: small, n: 30, delay: () => 40, refused: 0 }],
    [
      'the first 5 requests 30 ms slower than the rest (cold connections), default margin (30 ms)',
      { config: small, n: 30, delay: coldFirst(5, 30), refused: 0 },
    ],
    [
      'a request stalled 30 ms every other one, once the bucket is full',
      { config: small, n: 30, delay: (i) => (i > 5 && i % 2 === 0 ? 31 : 1), refused: 0 },
    ],
    [
      'the same cold start with no margin: the platform refuses',
      { config: small, n: 30, delay: coldFirst(5, 30), safetyMarginMs: 0, refused: 1 },
    ],
    [
      'the same cold start with a 10 ms margin (the flaky test’s): the platform refuses',
      { config: small, n: 30, delay: coldFirst(5, 30), safetyMarginMs: 10, refused: 1 },
    ],
    [
      'the same cold start with 3 % of the bucket (3 ms, the default before the 30 ms floor): the platform refuses',
      { config: small, n: 30, delay: coldFirst(5, 30), safetyMarginMs: 3, refused: 1 },
    ],
    [
      'Shopify 40 / 2 per s: the first 40 requests 100 ms slower, default margin (100 ms)',
      { config: shopify, n: 60, delay: coldFirst(40, 100), refused: 0 },
    ],
    [
      'Stripe 100 / s: the first 2 requests 30 ms slower, default margin (30 ms)',
      { config: stripe, n: 300, delay: coldFirst(2, 30), refused: 0 },
    ],
  ];

  it.each(cases)('%s', async (_name, { config, n, delay, safetyMarginMs, refused }) => {
    const granted = await grantTimes(config, n, safetyMarginMs);
    const arrivals = granted.map((t, i) => t + delay(i));
    expect(refusedByPlatform(config, arrivals)).toBe(refused);
  });
});
