/**
 * The two limiter shapes the emulated platforms document: a leaky bucket (Shopify REST) and a rolling window over a
 * request log (Stripe per second, HubSpot per 10 s, Meta per hour, Salesforce and Google Ads per 24 h). Both read an
 * injected clock, so a test can exhaust a limit and then advance time to see it recover.
 */
import type { Clock } from './emulator-clock.js';

export interface LimitDecision {
  allowed: boolean;
  /** Requests counted against the limit after this one (a refused request is not counted). */
  used: number;
  limit: number;
  /** When refused: ms until one more request would be allowed. */
  retryAfterMs: number;
}

/** A request-count limiter. */
export interface RateLimiter {
  /** Counts a request when the limit allows it. */
  take(): LimitDecision;
  /** Usage now, without counting a request. */
  peek(): LimitDecision;
  reset(): void;
}

/**
 * A leaky bucket: each request adds one marble, the bucket leaks `leakPerSecond` continuously, and a request that
 * would overflow `capacity` is refused.
 *
 * @example
 * const bucket = new LeakyBucket({ capacity: 40, leakPerSecond: 2, now: Date.now });
 * bucket.take().allowed; // true until 40 are in the bucket
 */
export class LeakyBucket implements RateLimiter {
  readonly #capacity: number;
  readonly #leakPerMs: number;
  readonly #now: Clock;
  #level = 0;
  #at: number;

  constructor(options: { capacity: number; leakPerSecond: number; now: Clock }) {
    this.#capacity = options.capacity;
    this.#leakPerMs = options.leakPerSecond / 1000;
    this.#now = options.now;
    this.#at = options.now();
  }

  #leak(): void {
    const now = this.#now();
    this.#level = Math.max(0, this.#level - (now - this.#at) * this.#leakPerMs);
    this.#at = now;
  }

  #decision(allowed: boolean): LimitDecision {
    const used = Math.min(this.#capacity, Math.ceil(this.#level - 1e-9));
    const overflow = this.#level + 1 - this.#capacity;
    return {
      allowed,
      used,
      limit: this.#capacity,
      retryAfterMs: allowed ? 0 : Math.ceil(Math.max(0, overflow) / this.#leakPerMs),
    };
  }

  take(): LimitDecision {
    this.#leak();
    if (this.#level + 1 > this.#capacity + 1e-9) return this.#decision(false);
    this.#level += 1;
    return this.#decision(true);
  }

  peek(): LimitDecision {
    this.#leak();
    return this.#decision(this.#level + 1 <= this.#capacity + 1e-9);
  }

  reset(): void {
    this.#level = 0;
    this.#at = this.#now();
  }
}

/**
 * At most `limit` requests in any `windowMs` (a rolling window over the log of accepted requests).
 *
 * @example
 * const window = new SlidingWindow({ limit: 100, windowMs: 10_000, now: Date.now });
 */
export class SlidingWindow implements RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #now: Clock;
  #log: number[] = [];

  constructor(options: { limit: number; windowMs: number; now: Clock }) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#now = options.now;
  }

  #prune(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.#log.length && (this.#log[drop] as number) <= cutoff) drop++;
    if (drop > 0) this.#log = this.#log.slice(drop);
  }

  take(): LimitDecision {
    const now = this.#now();
    this.#prune(now);
    if (this.#log.length >= this.limit) {
      const oldest = this.#log[0] as number;
      return { allowed: false, used: this.#log.length, limit: this.limit, retryAfterMs: oldest + this.windowMs - now };
    }
    this.#log.push(now);
    return { allowed: true, used: this.#log.length, limit: this.limit, retryAfterMs: 0 };
  }

  peek(): LimitDecision {
    const now = this.#now();
    this.#prune(now);
    const full = this.#log.length >= this.limit;
    const retryAfterMs = full ? (this.#log[0] as number) + this.windowMs - now : 0;
    return { allowed: !full, used: this.#log.length, limit: this.limit, retryAfterMs };
  }

  reset(): void {
    this.#log = [];
  }
}
