/**
 * What a platform's response says about its rate limit, read from headers and status: pure parsing, no policy.
 *
 * Only the standard names (`X-RateLimit-*`, `RateLimit-*`, `Retry-After`) are known here; a vendor's own names and
 * usage formats come from its config (`rateLimit.headers`).
 */
import type { RateLimitConfig } from '../platform-schema.js';
import { type HeaderMap, headerValue, parseRetryAfterMs } from '../retry/retry-after.js';

export interface RateLimitFeedback {
  /** The status is one of the platform's rate-limit statuses (429 by default). */
  limited: boolean;
  /** How long the platform asks us to wait (`Retry-After`, `Retry-After-Ms`, or the configured header). */
  retryAfterMs?: number | undefined;
  /** A usage report `used/capacity` from the configured usage headers (percentages read as `x/100`). */
  usage?: { used: number; capacity: number } | undefined;
  /** Requests left (`X-RateLimit-Remaining`, `RateLimit-Remaining`, or the configured header). */
  remaining?: number | undefined;
  /** The platform's current limit (`X-RateLimit-Limit`, `RateLimit-Limit`, or the configured header). */
  limit?: number | undefined;
  /** Until the window resets, ms (`X-RateLimit-Reset`: delta seconds or an epoch in s or ms). */
  resetInMs?: number | undefined;
  /** The window's length, ms (the configured `window` header). */
  windowMs?: number | undefined;
}

type Headers = RateLimitConfig['headers'];
export type UsageFormat = NonNullable<Headers['usageFormat']>;

/** The standard names, read for every platform after its configured ones. */
const REMAINING = ['x-ratelimit-remaining', 'ratelimit-remaining'];
const LIMIT = ['x-ratelimit-limit', 'ratelimit-limit'];
const RESET = ['x-ratelimit-reset', 'ratelimit-reset'];

const RATIO: UsageFormat = { format: 'ratio' };

/**
 * @example
 * readRateLimitFeedback({ 'x-shopify-shop-api-call-limit': '32/40' }, 200, { usage: 'X-Shopify-Shop-Api-Call-Limit' });
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
  const first = (configured: string | undefined, standard: readonly string[]) => {
    for (const name of configured ? [configured, ...standard] : standard) {
      const value = headerValue(headers, name)?.trim();
      if (value) return value;
    }
    return undefined;
  };

  feedback.retryAfterMs = parseRetryAfterMs(headers, { now, header: names.retryAfter });
  const usageHeaders = names.usage === undefined ? [] : typeof names.usage === 'string' ? [names.usage] : names.usage;
  feedback.usage = fullestUsage(headers, usageHeaders, names.usageFormat ?? RATIO);
  feedback.remaining = number(first(names.remaining, REMAINING));
  feedback.limit = number(first(names.limit, LIMIT));
  const reset = number(first(names.reset, RESET));
  if (reset !== undefined) feedback.resetInMs = resetToMs(reset, now);
  feedback.windowMs = number(first(names.window, []));
  return feedback;
}

/** The usage closest to its capacity among the headers present. */
function fullestUsage(
  headers: HeaderMap,
  names: readonly string[],
  format: UsageFormat,
): { used: number; capacity: number } | undefined {
  let fullest: { used: number; capacity: number } | undefined;
  for (const name of names) {
    const value = headerValue(headers, name)?.trim();
    const usage = value ? parseUsage(value, format) : undefined;
    if (usage && (!fullest || usage.used / usage.capacity > fullest.used / fullest.capacity)) fullest = usage;
  }
  return fullest;
}

/**
 * A usage header's value as `used/capacity`: `32/40` or `api-usage=25/15000` (`ratio`), or JSON whose numeric
 * `keys`, at any depth, are percentages (`json-percent`: the highest becomes `x/100`).
 *
 * @example
 * parseUsage('api-usage=25/15000');                                  // { used: 25, capacity: 15000 }
 * parseUsage('{"call_count":28,"total_time":60}', { format: 'json-percent', keys: ['call_count', 'total_time'] });
 * // { used: 60, capacity: 100 }
 */
export function parseUsage(value: string, format: UsageFormat = RATIO): { used: number; capacity: number } | undefined {
  if (format.format === 'ratio') {
    const ratio = /(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)/.exec(value);
    if (!ratio) return undefined;
    const used = Number(ratio[1]);
    const capacity = Number(ratio[2]);
    return capacity > 0 ? { used, capacity } : undefined;
  }
  const keys = new Set(format.keys);
  let highest: number | undefined;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'number' && keys.has(k)) highest = Math.max(highest ?? 0, v);
        else visit(v);
      }
    }
  };
  try {
    visit(JSON.parse(value));
  } catch {
    return undefined;
  }
  return highest === undefined ? undefined : { used: highest, capacity: 100 };
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
