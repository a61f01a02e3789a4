/**
 * The contract between the HTTP client and a rate limiter: ask before every request, report every response.
 */
import { RateLimitError } from '../errors.js';
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
   * it. Waits as long as the budget requires, up to the limiter's maximum; rejects with the signal's reason when
   * aborted, and at once — without waiting — with `RateLimitWaitError` (a `RateLimitError`) when the budget is
   * paused, or booked, for longer than that maximum.
   */
  acquire(cost?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Adapts the budget to what the platform reported (usage and remaining headers, `Retry-After`, a 429).
   * Only ever makes the budget stricter. Never throws for unreadable headers.
   */
  observe(headers: HeaderMap | undefined, status: number): Promise<void>;
}

/**
 * `acquire` refused, without waiting: the budget is paused (the platform asked to wait) or booked for longer than
 * the limiter's `maxWaitMs`. A `RateLimitError` (status 429) whose `retryAfterMs` is the wait that remains, so callers
 * handle it like the platform's own 429.
 *
 * @example
 * try { await adapter.fetch('customers'); }
 * catch (error) {
 *   if (error instanceof RateLimitError) scheduleRetry(error.retryAfterMs); // also a RateLimitWaitError
 * }
 */
export class RateLimitWaitError extends RateLimitError {
  override readonly name: string = 'RateLimitWaitError';
  /** How long the budget asked to wait, ms (unrounded; `retryAfterMs` is the same in whole ms). */
  readonly waitMs: number;
  /** The budget's key (never contains a credential). */
  readonly key: string;

  constructor(message: string, init: { platformId: string; waitMs: number; key: string; cause?: unknown }) {
    // Float noise below a µs is not a wait: 86 400 000.000 000 1 ms is a day.
    super({ platformId: init.platformId, status: 429, message, cause: init.cause, retryAfterMs: wholeMs(init.waitMs) });
    this.waitMs = init.waitMs;
    this.key = init.key;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), waitMs: this.waitMs, key: this.key };
  }
}

/** A wait in whole ms, never shorter than asked, ignoring float noise below a µs. */
function wholeMs(ms: number): number {
  return Math.max(Math.ceil(ms - 1e-3), 0);
}

/** A limiter that never waits (`rateLimiter: false`): for tests, or when something else limits the rate. */
export const unlimitedRateLimiter: RateLimiter = {
  acquire: async (_cost?: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw signal.reason;
  },
  observe: async () => {},
};
