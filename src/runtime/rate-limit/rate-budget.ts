/**
 * The GCRA budget every rate-limit model becomes, and the two shapes models are made of: a bucket (a burst that
 * drains at a steady rate) and a window (N in any W seconds). See `rate-limit-policy.ts` for the arithmetic.
 */
export interface RateBudget {
  /** Appended to the key (`''` for the main budget, `:rps` for a request-rate ceiling). */
  suffix: string;
  /** Backlog one unit adds, ms (1000 / steady rate). */
  unitMs: number;
  /** Most backlog tolerated, ms (burst × unitMs, less the margin for buckets). */
  limitMs: number;
  /** Units that may go at once from idle (before the margin). */
  burst: number;
  /** The safety margin this budget keeps, ms. */
  marginMs: number;
  /** The platform's own figures, for feedback scaling: units per window, and the window in ms. */
  capacity: number;
  windowMs: number;
  kind: 'bucket' | 'window';
}

export interface RateLimitPolicyOptions {
  /**
   * Overrides the default margin (ms) kept against jitter and clock skew: 3 % of the budget's window or drain time,
   * within [30, 100] ms. `0` follows the model exactly.
   */
  safetyMarginMs?: number | undefined;
  /**
   * Share of a window's requests that may go at once (at least one). Default 0.02 for windows up to 60 s (so
   * Stripe's 100/s allows 2 at once and paces at 96/s: the second unit of burst absorbs timer and network lateness
   * that would otherwise be lost for good), 0.5 beyond (so an hourly or daily quota serves ordinary use at once,
   * and paces the other half).
   */
  windowBurstFraction?: number | undefined;
}

const DEFAULT_MARGIN_SHARE = 0.03;
/** The spread of arrival delays every default margin absorbs, however small the budget (see above). */
const MIN_DEFAULT_MARGIN_MS = 30;
const MAX_DEFAULT_MARGIN_MS = 100;
/** Beyond this window, pacing 99 % of it evenly would make ordinary use slow: half of it may go at once. */
const LONG_WINDOW_MS = 60_000;

/**
 * A bucket of `capacity` that drains `ratePerSecond`.
 *
 * @example
 * bucketBudget(40, 2, { safetyMarginMs: 0 }); // { unitMs: 500, limitMs: 20000, burst: 40, … }
 */
export function bucketBudget(capacity: number, ratePerSecond: number, options: RateLimitPolicyOptions): RateBudget {
  const unitMs = 1000 / ratePerSecond;
  const drainMs = capacity * unitMs;
  const margin = marginFor(drainMs, options);
  return {
    suffix: '',
    unitMs,
    // Never below one unit: a request must always be able to go eventually.
    limitMs: Math.max(drainMs - margin, unitMs),
    burst: Math.max(Math.floor(capacity), 1),
    marginMs: margin,
    capacity,
    windowMs: drainMs,
    kind: 'bucket',
  };
}

/**
 * At most `requests` in any `windowSeconds`.
 *
 * @example
 * windowBudget(100, 1, '', { safetyMarginMs: 0 }); // { unitMs: 10.1, limitMs: 20.2, burst: 2, … }
 */
export function windowBudget(
  requests: number,
  windowSeconds: number,
  suffix: string,
  options: RateLimitPolicyOptions,
): RateBudget {
  const windowMs = windowSeconds * 1000;
  const fraction = options.windowBurstFraction ?? (windowMs > LONG_WINDOW_MS ? 0.5 : 0.02);
  const burst = Math.min(Math.max(Math.floor(requests * fraction), 1), Math.max(Math.floor(requests), 1));
  // In any closed interval of length W a GCRA(unit u, burst b) admits at most ⌊W/u⌋ + b requests; that must stay
  // ≤ N, so u > W / (N − b + 1). The margin widens W a little.
  const marginMs = marginFor(windowMs, options);
  const unitMs = (windowMs + marginMs) / (Math.floor(requests) - burst + 1);
  return { suffix, unitMs, limitMs: burst * unitMs, burst, marginMs, capacity: requests, windowMs, kind: 'window' };
}

function marginFor(horizonMs: number, options: RateLimitPolicyOptions): number {
  if (options.safetyMarginMs !== undefined) return Math.max(options.safetyMarginMs, 0);
  return Math.min(Math.max(horizonMs * DEFAULT_MARGIN_SHARE, MIN_DEFAULT_MARGIN_MS), MAX_DEFAULT_MARGIN_MS);
}
