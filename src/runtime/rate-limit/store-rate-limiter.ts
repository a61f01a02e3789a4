/**
 * The rate limiter every adapter uses: the platform's budgets (see `rate-limit-policy.ts`) kept in a
 * `RateLimitStore`, taken before each request and adjusted from each response.
 */
import type { Logger } from 'pino';
import { AdapterError } from '../errors.js';
import type { RateLimitConfig } from '../platform-schema.js';
import { abortableSleep, type SleepFunction } from '../retry/abortable-sleep.js';
import type { HeaderMap } from '../retry/retry-after.js';
import { type RateLimitFeedback, readRateLimitFeedback } from './rate-limit-feedback.js';
import { budgetsFor, type RateBudget, type RateLimitPolicyOptions } from './rate-limit-policy.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { type RateLimiter, RateLimitWaitError } from './rate-limiter.js';

export interface StoreRateLimiterOptions extends RateLimitPolicyOptions {
  /** The budget's key (see `rateLimitKey`). */
  key: string;
  /** The platform's `rateLimit` config. */
  config: RateLimitConfig;
  store: RateLimitStore;
  /** For error messages and logs. */
  platformId?: string | undefined;
  /** Longest total wait in one `acquire` before it rejects with `RateLimitWaitError`. Default 60 000 ms. */
  maxWaitMs?: number | undefined;
  /** Longest pause taken from a 429 that names no wait. Default 60 000 ms. */
  maxPauseMs?: number | undefined;
  /**
   * A grant that took longer than this to come back from the store (a stalled event loop, a slow database) is
   * dropped and taken again: sent late, it would land in the platform's next window together with the requests
   * granted after it. Default: the budget's safety margin (the lateness it absorbs), at least 5 ms.
   */
  maxGrantLatencyMs?: number | undefined;
  /** Waits; injected in tests. */
  sleep?: SleepFunction | undefined;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

const DEFAULT_MAX_WAIT_MS = 60_000;
const MAX_STALE_GRANTS = 3;

/**
 * @example
 * const limiter = new StoreRateLimiter({ key: 'shopify:t1:5f0c…', config: meta.rateLimit, store });
 * await limiter.acquire();                       // 40 at once, then 2 per second
 * await limiter.observe({ 'x-shopify-shop-api-call-limit': '39/40' }, 200);
 */
export class StoreRateLimiter implements RateLimiter {
  readonly key: string;
  readonly budgets: readonly RateBudget[];
  readonly #options: StoreRateLimiterOptions;
  readonly #store: RateLimitStore;
  readonly #sleep: SleepFunction;
  readonly #now: () => number;
  readonly #maxWaitMs: number;
  /**
   * Callers of this limiter queue here: one at a time reserves its slot and waits for it, so slots go first come,
   * first served, and a caller that gives up (abort) wastes at most its own reservation.
   */
  #tail: Promise<void> = Promise.resolve();

  constructor(options: StoreRateLimiterOptions) {
    this.key = options.key;
    this.budgets = budgetsFor(options.config, options);
    this.#options = options;
    this.#store = options.store;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#now = options.now ?? Date.now;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  async acquire(cost = 1, signal?: AbortSignal): Promise<void> {
    if (!(cost > 0) || !Number.isFinite(cost))
      throw new AdapterError(`rate limit: cost must be a positive number, got ${cost}`, {
        platformId: this.#options.platformId,
      });
    if (signal?.aborted) throw signal.reason;
    const started = this.#now();
    const gate = this.#tail;
    let leave!: () => void;
    const done = new Promise<void>((resolve) => {
      leave = resolve;
    });
    // The next caller goes after this one has finished AND everyone before it has.
    this.#tail = gate.then(() => done);
    try {
      await abortable(gate, signal);
      for (const budget of this.budgets) await this.#take(budget, cost, started, signal);
    } finally {
      leave();
    }
  }

  async observe(headers: HeaderMap | undefined, status: number): Promise<void> {
    const config = this.#options.config;
    const feedback = readRateLimitFeedback(headers, status, config.headers, config.statusCodes, this.#now());
    const budget = this.budgets[0];
    if (!budget) return;
    const backlogMs = backlogFromFeedback(budget, feedback, this.#options.maxPauseMs ?? DEFAULT_MAX_WAIT_MS);
    if (backlogMs > 0) {
      this.#options.logger?.debug({ key: this.key, backlogMs, status }, 'rate limit adjusted from response');
      await this.#store.raise(this.key + budget.suffix, backlogMs);
    }
  }

  async #take(budget: RateBudget, cost: number, started: number, signal: AbortSignal | undefined): Promise<void> {
    const costMs = cost * budget.unitMs;
    // A request dearer than the whole burst may go only when the budget is idle.
    const limitMs = Math.max(budget.limitMs, costMs);
    const key = this.key + budget.suffix;
    const maxLatency = this.#options.maxGrantLatencyMs ?? Math.max(budget.marginMs, 5);
    let stale = 0;
    for (;;) {
      const asked = this.#now();
      const remaining = Math.max(this.#maxWaitMs - (asked - started), 0);
      // Reserve the next slot within the time left, then wait for it here: one store step per request.
      const result = await this.#store.take(key, { costMs, limitMs, maxDelayMs: remaining });
      if (!result.allowed) {
        const waited = asked - started;
        throw new RateLimitWaitError(
          `${this.#options.platformId ?? 'rate limit'}: the rate limit would delay this request by ${Math.ceil(
            result.waitMs,
          )} ms more (after ${waited} ms), beyond maxWaitMs ${this.#maxWaitMs}`,
          { platformId: this.#options.platformId, waitMs: result.waitMs, key: this.key },
        );
      }
      if (result.delayMs > 0) {
        // Whole ms (timers have no finer grain), ignoring float noise below a µs: never early, at most 1 ms late.
        await this.#sleep(Math.max(Math.ceil(result.delayMs - 1e-3), 1), signal);
      }
      // Time past the slot: the store's round trip plus the timer's lateness (an upper bound).
      const late = this.#now() - asked - result.delayMs;
      // A slot used late (a stalled event loop, a slow store) would land among the requests granted after it, in
      // the platform's next window: drop it (a slot spent, never a request sent late) and take another. After a
      // few in a row, go anyway.
      if (late <= maxLatency || ++stale > MAX_STALE_GRANTS) return;
      this.#options.logger?.debug({ key, lateMs: late }, 'rate limit slot came late; taking another');
    }
  }
}

/**
 * The backlog (ms) a response says the budget has at least; 0 when it says nothing new.
 *
 * - `Retry-After` pauses the key: nothing goes before it has passed.
 * - A rate-limit status without one: a bucket is full; a window is spent until its reset (or for one window).
 * - A usage report (`32/40`) or remaining count sets a bucket's fill, minus one unit of reporting granularity
 *   (the figure is an integer, and a little stale by the time it arrives).
 * - For a window, a remaining count below the local burst shrinks it; zero pauses until the reset.
 */
export function backlogFromFeedback(budget: RateBudget, feedback: RateLimitFeedback, maxPauseMs: number): number {
  const candidates: number[] = [];
  const pause = (ms: number) => candidates.push(Math.min(ms, maxPauseMs) + budget.limitMs - budget.unitMs);
  if (feedback.retryAfterMs !== undefined) pause(feedback.retryAfterMs);

  if (budget.kind === 'bucket') {
    if (feedback.limited && feedback.retryAfterMs === undefined) candidates.push(budget.windowMs);
    let fill: number | undefined;
    if (feedback.usage) fill = feedback.usage.used / feedback.usage.capacity;
    else if (feedback.remaining !== undefined)
      fill = 1 - feedback.remaining / (feedback.limit && feedback.limit > 0 ? feedback.limit : budget.capacity);
    if (fill !== undefined) candidates.push(Math.max(fill * budget.capacity - 1, 0) * budget.unitMs);
  } else {
    const resetMs = feedback.resetInMs ?? feedback.windowMs ?? budget.windowMs;
    // A bare 429: the window is full now. A sliding window frees a slot soon, a fixed one at its reset: without a
    // reset to go by, pause a tenth of the window (a retry that meets another 429 pauses again).
    if (feedback.limited && feedback.retryAfterMs === undefined)
      pause(feedback.resetInMs ?? feedback.windowMs ?? budget.windowMs / 10);
    let remaining: number | undefined;
    if (feedback.usage) remaining = (1 - feedback.usage.used / feedback.usage.capacity) * budget.capacity;
    else if (feedback.remaining !== undefined)
      remaining =
        feedback.limit && feedback.limit > 0
          ? (feedback.remaining / feedback.limit) * budget.capacity
          : feedback.remaining;
    if (remaining !== undefined) {
      if (remaining < 1) pause(resetMs);
      else if (remaining < budget.burst) candidates.push((budget.burst - Math.floor(remaining)) * budget.unitMs);
    }
  }
  return candidates.length === 0 ? 0 : Math.max(...candidates);
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
