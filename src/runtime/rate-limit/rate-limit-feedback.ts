/**
 * What a platform's response says about its rate limit, read from headers and status: pure parsing, no policy.
 */
import type { RateLimitConfig } from '../platform-schema.js';
import { type HeaderMap, headerValue, parseRetryAfterMs } from '../retry/retry-after.js';

export interface RateLimitFeedback {
  /** The status is one of the platform's rate-limit statuses (429 by default). */
  limited: boolean;
  /** How long the platform asks us to wait (`Retry-After`, `Retry-After-Ms`, or the configured header). */
  retryAfterMs?: number | undefined;
  /** A usage report `used/capacity` (Shopify `X-Shopify-Shop-Api-Call-Limit: 32/40`, Salesforce `api-usage=25/15000`, Meta's percentages as `x/100`). */
  usage?: { used: number; capacity: number } | undefined;
  /** Requests left (`X-RateLimit-Remaining`, HubSpot `X-HubSpot-RateLimit-Remaining`, …). */
  remaining?: number | undefined;
  /** The platform's current limit (`X-RateLimit-Limit`, HubSpot `-Max`). */
  limit?: number | undefined;
  /** Until the window resets, ms (`X-RateLimit-Reset`: delta seconds or an epoch in s or ms). */
  resetInMs?: number | undefined;
  /** The window's length, ms (HubSpot `X-HubSpot-RateLimit-Interval-Milliseconds`). */
  windowMs?: number | undefined;
}

type Headers = RateLimitConfig['headers'];

const REMAINING = [
  'x-ratelimit-remaining',
  'ratelimit-remaining',
  'x-hubspot-ratelimit-remaining',
  'x-rate-limit-remaining',
];
const LIMIT = ['x-ratelimit-limit', 'ratelimit-limit', 'x-hubspot-ratelimit-max', 'x-rate-limit-limit'];
const RESET = ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset'];
const WINDOW_MS = ['x-hubspot-ratelimit-interval-milliseconds'];
const USAGE = ['x-shopify-shop-api-call-limit'];

/**
 * @example
 * readRateLimitFeedback({ 'x-shopify-shop-api-call-limit': '32/40' }, 200, config.headers, [429]);
 * // { limited: false, usage: { used: 32, capacity: 40 } }
 * readRateLimitFeedback({ 'retry-after': '2' }, 429, {}, [429]);
 * // { limited: true, retryAfterMs: 2000 }
 */
export function readRateLimitFeedback(
  headers: HeaderMap | undefined,
  status: number,
  names: Headers = {},
  statusCodes: readonly number[] = [429],
  now: number = Date.now(),
): RateLimitFeedback {
  const feedback: RateLimitFeedback = { limited: statusCodes.includes(status) };
  if (!headers) return feedback;
  const first = (configured: string | undefined, known: readonly string[]) => {
    for (const name of configured ? [configured, ...known] : known) {
      const value = headerValue(headers, name)?.trim();
      if (value) return value;
    }
    return undefined;
  };

  feedback.retryAfterMs = parseRetryAfterMs(headers, { now, header: names.retryAfter });
  const usage = first(names.usage, USAGE);
  if (usage !== undefined) feedback.usage = parseUsage(usage);
  feedback.remaining = number(first(names.remaining, REMAINING));
  feedback.limit = number(first(names.limit, LIMIT));
  const reset = number(first(names.reset, RESET));
  if (reset !== undefined) feedback.resetInMs = resetToMs(reset, now);
  feedback.windowMs = number(first(undefined, WINDOW_MS));
  return feedback;
}

/** `32/40`, `api-usage=25/15000`, or Meta's JSON of percentages (the highest becomes `x/100`). */
export function parseUsage(value: string): { used: number; capacity: number } | undefined {
  const ratio = /(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)/.exec(value);
  if (ratio) {
    const used = Number(ratio[1]);
    const capacity = Number(ratio[2]);
    return capacity > 0 ? { used, capacity } : undefined;
  }
  if (value.startsWith('{') || value.startsWith('[')) {
    try {
      let highest: number | undefined;
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(visit);
        else if (node !== null && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            if (typeof v === 'number' && /^(call_count|total_cputime|total_time|acc_id_util_pct)$/.test(k))
              highest = Math.max(highest ?? 0, v);
            else visit(v);
          }
        }
      };
      visit(JSON.parse(value));
      return highest === undefined ? undefined : { used: highest, capacity: 100 };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A reset header as ms from now: an epoch in ms (> 1e12) or seconds (> 1e9), else a delta in seconds. */
function resetToMs(value: number, now: number): number {
  if (value > 1e12) return Math.max(value - now, 0);
  if (value > 1e9) return Math.max(value * 1000 - now, 0);
  return Math.max(value * 1000, 0);
}

function number(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+(?:\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}
