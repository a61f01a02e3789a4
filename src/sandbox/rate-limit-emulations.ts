/**
 * The platform side of each rate-limit model: the limiter an emulator enforces for a platform's `rateLimit` config,
 * on the emulator's clock. Keyed by model, so a model without its emulation is a compile error; the model's config
 * schema, budgets and summary are in its runtime module (`src/runtime/rate-limit/<model>-model.ts`).
 *
 * The emulator holds a platform to its documented figures exactly (no safety margin): a client that keeps to them,
 * as the runtime's limiter does, is never refused.
 */
import type { RateLimitConfig } from '../runtime/platform-schema.js';
import type { RateLimitModel } from '../runtime/rate-limit/rate-limit-models.js';
import type { Clock } from './emulator-clock.js';
import { AllLimits, FixedWindow, LeakyBucket, type RateLimiter, SlidingWindow } from './rate-limiters.js';

type RateLimitOf<M extends RateLimitModel> = Extract<RateLimitConfig, { model: M }>;

/** The platform side of one rate-limit model. */
interface RateLimitEmulation<M extends RateLimitModel> {
  /** A limiter that refuses exactly the requests the model's documented figures do not allow. */
  limiter(config: RateLimitOf<M>, now: Clock): RateLimiter;
}

/**
 * What a cost-based model charges each request. The config gives a budget of points but no cost per request (the
 * platforms compute it per query: GraphQL complexity, Graph resource units, Zoho credits), so the emulator charges a
 * fixed cost, that of a plain list call on most of them: the budget becomes `points / cost` requests per window.
 */
export const COST_PER_REQUEST = 1;

/**
 * `rate` requests a second as a rolling window of whole requests: `rate` per second, or for a fractional rate the
 * whole number below it over the matching shorter window, in whole ms rounded down so that a client keeping to the
 * rate is never refused (1.38/s: 1 per 724 ms).
 */
function rateWindow(rate: number, now: Clock): SlidingWindow {
  const limit = Math.max(1, Math.floor(rate));
  return new SlidingWindow({ limit, windowMs: Math.floor((limit / rate) * 1000), now });
}

/** Keyed by rate-limit model: the type makes a model without its emulation a compile error. */
const RATE_LIMIT_EMULATIONS: { readonly [M in RateLimitModel]: RateLimitEmulation<M> } = {
  'leaky-bucket': {
    limiter: (config, now) => new LeakyBucket({ capacity: config.capacity, leakPerSecond: config.leakPerSecond, now }),
  },
  'token-bucket': {
    // A bucket of tokens refilled at a rate admits the same requests as a bucket of marbles leaking at that rate.
    limiter: (config, now) =>
      new LeakyBucket({ capacity: config.capacity, leakPerSecond: config.refillPerSecond, now }),
  },
  'fixed-window': {
    limiter: (config, now) => new FixedWindow({ limit: config.requests, windowMs: config.windowSeconds * 1000, now }),
  },
  'sliding-window': {
    limiter: (config, now) => new SlidingWindow({ limit: config.requests, windowMs: config.windowSeconds * 1000, now }),
  },
  'cost-based': {
    limiter: (config, now) => {
      const points = new SlidingWindow({
        limit: Math.max(1, Math.floor(config.points / COST_PER_REQUEST)),
        windowMs: config.windowSeconds * 1000,
        now,
      });
      return config.requestsPerSecond === undefined
        ? points
        : new AllLimits([points, rateWindow(config.requestsPerSecond, now)]);
    },
  },
};

/**
 * The limiter an emulator enforces for a platform's rate limit. (The one cast of the dispatch: the emulation is
 * picked by the config's own `model`.)
 *
 * @example
 * const limiter = emulatedRateLimiter(meta.rateLimit, clock.now);
 * limiter.take(); // { allowed: true, used: 1, limit: 100, retryAfterMs: 0 }
 */
export function emulatedRateLimiter(config: RateLimitConfig, now: Clock): RateLimiter {
  const emulation = RATE_LIMIT_EMULATIONS[config.model] as RateLimitEmulation<RateLimitModel>;
  return emulation.limiter(config, now);
}
