/**
 * The limiter shapes platforms document: a leaky bucket (Shopify REST; a token bucket admits the same requests), a
 * rolling window over a request log (Stripe per second, HubSpot per 10 s, Meta per hour, Salesforce and Google Ads
 * per 24 h), a fixed window aligned to the clock, and {@link AllLimits} for platforms with several limits at once.
 * All read an injected clock, so a test can exhaust a limit and then advance time to see it recover.
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

/**
 * At most `limit` requests in each window of `windowMs` aligned to the epoch (`[k·W, (k+1)·W)`): the count starts
 * again at each boundary, as platforms with a per-second or per-minute counter do.
 *
 * @example
 * const window = new FixedWindow({ limit: 5, windowMs: 1000, now: clock.now });
 */
export class FixedWindow implements RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #now: Clock;
  #window = Number.NaN;
  #count = 0;

  constructor(options: { limit: number; windowMs: number; now: Clock }) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#now = options.now;
  }

  #decision(now: number, allowed: boolean): LimitDecision {
    const retryAfterMs = allowed ? 0 : (this.#window + 1) * this.windowMs - now;
    return { allowed, used: this.#count, limit: this.limit, retryAfterMs };
  }

  #roll(now: number): void {
    const window = Math.floor(now / this.windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#count = 0;
    }
  }

  take(): LimitDecision {
    const now = this.#now();
    this.#roll(now);
    if (this.#count >= this.limit) return this.#decision(now, false);
    this.#count += 1;
    return this.#decision(now, true);
  }

  peek(): LimitDecision {
    const now = this.#now();
    this.#roll(now);
    return this.#decision(now, this.#count < this.limit);
  }

  reset(): void {
    this.#count = 0;
  }
}

/**
 * Several limits that all apply (a points budget and a request-rate ceiling): a request is counted by every limit
 * when all allow it, and refused, counted by none, when any does not. Usage is the first limit's.
 *
 * @example
 * const limits = new AllLimits([new SlidingWindow({ limit: 1000, windowMs: 60_000, now }), perSecond]);
 */
export class AllLimits implements RateLimiter {
  readonly #limiters: readonly [RateLimiter, ...RateLimiter[]];

  constructor(limiters: readonly [RateLimiter, ...RateLimiter[]]) {
    this.#limiters = limiters;
  }

  /** The first refusal (the one that lasts longest), or `undefined` when every limit allows a request. */
  #refusal(): LimitDecision | undefined {
    const refusals = this.#limiters.map((l) => l.peek()).filter((d) => !d.allowed);
    return refusals.sort((a, b) => b.retryAfterMs - a.retryAfterMs)[0];
  }

  take(): LimitDecision {
    const refusal = this.#refusal();
    if (refusal) return { ...this.#limiters[0].peek(), allowed: false, retryAfterMs: refusal.retryAfterMs };
    const [first] = this.#limiters.map((l) => l.take());
    return first as LimitDecision;
  }

  peek(): LimitDecision {
    const refusal = this.#refusal();
    const usage = this.#limiters[0].peek();
    return refusal ? { ...usage, allowed: false, retryAfterMs: refusal.retryAfterMs } : usage;
  }

  reset(): void {
    for (const limiter of this.#limiters) limiter.reset();
  }
}
