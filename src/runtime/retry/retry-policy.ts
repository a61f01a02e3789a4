/**
 * When to try a request again: one pure function over what happened and the platform's `retry` config.
 */
import type { RetryConfig } from '../platform-schema.js';
import { type HeaderMap, parseRetryAfterMs } from './retry-after.js';

/** Methods that are safe to repeat: the server ends in the same state however often they arrive. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Whether a method may be repeated without an idempotency key. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

export interface RetryInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  method: string;
  /** The response status, when the server answered. */
  status?: number | undefined;
  /** What went wrong when the server did not answer. */
  error?: 'connection' | 'timeout' | undefined;
  /** Response headers (for `retry-after-ms` / `retry-after`). */
  headers?: HeaderMap | undefined;
  /** Whether the request carries an idempotency key (then POST/PATCH may be repeated). */
  hasIdempotencyKey?: boolean | undefined;
  /** Overrides the method's idempotency: reads sent as POST (search endpoints) are safe to repeat. */
  idempotent?: boolean | undefined;
  config: RetryConfig;
  /** A platform-specific wait header in seconds, read after `retry-after-ms` and `retry-after`. */
  retryAfterHeader?: string | undefined;
  /** Uniform in [0, 1); injected in tests. Default `Math.random`. */
  random?: (() => number) | undefined;
  /** Epoch ms, for HTTP-date `retry-after`. Default `Date.now()`. */
  now?: number | undefined;
}

export type RetryDecision = { retry: true; delayMs: number; reason: string } | { retry: false; reason: string };

/**
 * The exponential backoff ceiling for an attempt: `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`.
 * The actual delay is drawn uniformly below it ("full jitter").
 */
export function backoffCeilingMs(attempt: number, config: Pick<RetryConfig, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** exponent);
}

/**
 * Decides whether, and after how long, to send a failed request again.
 *
 * - Never beyond `config.maxAttempts` attempts in all.
 * - Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) retry on `config.statusCodes` and on connection errors
 *   and timeouts; POST and PATCH only when they carry an idempotency key.
 * - A server-requested wait (`retry-after-ms`, `retry-after` seconds or HTTP date) is honoured exactly when it is
 *   at most `config.maxRetryAfterMs`; a longer one means giving up now rather than hanging.
 * - Otherwise the delay is full jitter: `random() * min(maxDelayMs, baseDelayMs * 2^(attempt-1))`.
 *
 * @example
 * decideRetry({ attempt: 1, method: 'GET', status: 503, config, random: () => 0.5 });
 * // { retry: true, delayMs: 250, reason: 'status 503' }   (baseDelayMs 500)
 * decideRetry({ attempt: 1, method: 'POST', status: 503, config });
 * // { retry: false, reason: 'POST without an idempotency key is not retried' }
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const { attempt, config } = input;
  const method = input.method.toUpperCase();
  if (attempt >= config.maxAttempts) {
    return { retry: false, reason: `attempt ${attempt} of ${config.maxAttempts}` };
  }
  const idempotent = input.idempotent ?? isIdempotentMethod(method);
  if (!idempotent && !input.hasIdempotencyKey) {
    return { retry: false, reason: `${method} without an idempotency key is not retried` };
  }

  let reason: string;
  if (input.status !== undefined) {
    if (!config.statusCodes.includes(input.status)) {
      return { retry: false, reason: `status ${input.status} is not retryable` };
    }
    reason = `status ${input.status}`;
  } else if (input.error !== undefined) {
    reason = input.error === 'timeout' ? 'timeout' : 'connection error';
  } else {
    return { retry: false, reason: 'nothing to retry' };
  }

  const serverWait = parseRetryAfterMs(input.headers, { now: input.now, header: input.retryAfterHeader });
  if (serverWait !== undefined) {
    if (serverWait > config.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `${reason}: the server asks to wait ${serverWait} ms, more than maxRetryAfterMs (${config.maxRetryAfterMs})`,
      };
    }
    return { retry: true, delayMs: Math.ceil(serverWait), reason: `${reason}, server asked to wait` };
  }

  const random = input.random ?? Math.random;
  const r = Math.min(Math.max(random(), 0), 1);
  const delayMs = Math.floor(r * backoffCeilingMs(attempt, config));
  return { retry: true, delayMs, reason };
}
