/**
 * The contract between the HTTP client and a rate limiter: ask before every request, report every response.
 */
import { AdapterError, type AdapterErrorOptions } from '../errors.js';
import type { HeaderMap } from '../retry/retry-after.js';

/**
 * @example
 * await limiter.acquire(1, signal);          // resolves when the budget allows one more request
 * const response = await send();
 * await limiter.observe(response.headers, response.status);
 */
export interface RateLimiter {
  /**
   * Resolves when a request of `cost` units (requests, or points for cost-based limits) may be sent, and counts
   * it. Waits as long as the budget requires; rejects only with the signal's reason when aborted, or with
   * `RateLimitWaitError` when the wait would exceed the limiter's maximum.
   */
  acquire(cost?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Adapts the budget to what the platform reported (usage and remaining headers, `Retry-After`, a 429).
   * Only ever makes the budget stricter. Never throws for unreadable headers.
   */
  observe(headers: HeaderMap | undefined, status: number): Promise<void>;
}

/** `acquire` gave up: the budget would make the request wait longer than the limiter's `maxWaitMs`. */
export class RateLimitWaitError extends AdapterError {
  override readonly name: string = 'RateLimitWaitError';
  /** How long the budget asked to wait, ms. */
  readonly waitMs: number;
  /** The budget's key (never contains a credential). */
  readonly key: string;

  constructor(message: string, init: AdapterErrorOptions & { waitMs: number; key: string }) {
    super(message, init);
    this.waitMs = init.waitMs;
    this.key = init.key;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), waitMs: this.waitMs, key: this.key };
  }
}

/** A limiter that never waits (`rateLimiter: false`): for tests, or when something else limits the rate. */
export const unlimitedRateLimiter: RateLimiter = {
  acquire: async (_cost?: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw signal.reason;
  },
  observe: async () => {},
};
