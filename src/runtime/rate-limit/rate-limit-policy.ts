/**
 * A platform's `rateLimit` config as budgets: pure arithmetic, one budget per independent limit.
 *
 * Every model becomes a GCRA budget `{ unitMs, limitMs }` (one request — or one point — adds `unitMs` of backlog;
 * a request may go while the backlog stays within `limitMs`):
 *
 * | model                      | burst (requests at once)   | steady rate                         |
 * | -------------------------- | -------------------------- | ----------------------------------- |
 * | leaky-bucket C, r          | C                          | r / s (exactly the platform's leak) |
 * | token-bucket C, r          | C                          | r / s                               |
 * | fixed/sliding-window N / W | b = max(1, ⌊N × 2 %⌋);     | (N − b + 1) / (W + margin)          |
 * |                            | ⌊N / 2⌋ when W > 60 s      |                                     |
 * | cost-based P / W           | the same, in points        | plus `requestsPerSecond` as a window |
 *
 * A window budget never lets more than N requests into ANY interval of W seconds, so it is safe whether the
 * platform's windows are fixed (aligned anywhere) or sliding.
 *
 * The safety margin absorbs the difference between the limiter's clock and the platform's. The limiter counts a
 * request when it lets it go; the platform when it arrives, and arrivals are not equally late: the first burst goes
 * out on cold connections (TCP and TLS handshakes), a stalled event loop holds one request and not the next. A budget
 * with margin m tolerates requests arriving up to m ms later than others (for a bucket, the ones that find it idle;
 * for a window, any). That spread is a time, not a share of the budget, so the default margin is 3 % of the window
 * or of the time a full bucket takes to drain, but never less than 30 ms (a cold connection's handshake on a LAN, or
 * a scheduler stall on a busy machine) and never more than 100 ms. A bucket still allows one request at least.
 */
import type { RateLimitConfig } from '../platform-schema.js';

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
 * @example
 * budgetsFor({ model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, ... }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 500, limitMs: 20000, burst: 40, ... }]
 * budgetsFor({ model: 'fixed-window', requests: 100, windowSeconds: 1, ... }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 10.1, limitMs: 20.2, burst: 2, ... }]   — 100 in any second, never 101
 */
export function budgetsFor(config: RateLimitConfig, options: RateLimitPolicyOptions = {}): RateBudget[] {
  switch (config.model) {
    case 'leaky-bucket':
      return [bucket(config.capacity, config.leakPerSecond, options)];
    case 'token-bucket':
      return [bucket(config.capacity, config.refillPerSecond, options)];
    case 'fixed-window':
    case 'sliding-window':
      return [window(config.requests, config.windowSeconds, '', options)];
    case 'cost-based': {
      const budgets = [window(config.points, config.windowSeconds, '', options)];
      if (config.requestsPerSecond !== undefined)
        budgets.push(window(config.requestsPerSecond, 1, ':rps', { ...options, windowBurstFraction: 0 }));
      return budgets;
    }
  }
}

function bucket(capacity: number, ratePerSecond: number, options: RateLimitPolicyOptions): RateBudget {
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

function window(requests: number, windowSeconds: number, suffix: string, options: RateLimitPolicyOptions): RateBudget {
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
