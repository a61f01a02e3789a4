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
import type { RateBudget, RateLimitPolicyOptions } from './rate-budget.js';
import { rateLimitModelOf } from './rate-limit-models.js';

export type { RateBudget, RateLimitPolicyOptions } from './rate-budget.js';

/**
 * @example
 * budgetsFor({ model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, ... }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 500, limitMs: 20000, burst: 40, ... }]
 * budgetsFor({ model: 'fixed-window', requests: 100, windowSeconds: 1, ... }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 10.1, limitMs: 20.2, burst: 2, ... }]   — 100 in any second, never 101
 */
export function budgetsFor(config: RateLimitConfig, options: RateLimitPolicyOptions = {}): RateBudget[] {
  return rateLimitModelOf(config).budgets(config, options);
}
