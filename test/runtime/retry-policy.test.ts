import { describe, expect, it } from 'vitest';
import type { RetryConfig } from '../../src/runtime/index.js';
import { parseRetryAfterMs } from '../../src/runtime/retry/retry-after.js';
import { backoffCeilingMs, decideRetry, type RetryInput } from '../../src/runtime/retry/retry-policy.js';

const config: RetryConfig = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
  statusCodes: [408, 429, 500, 502, 503, 504],
};
const half = () => 0.5;

describe('decideRetry', () => {
  const cases: Array<[string, Partial<RetryInput>, { retry: boolean; delayMs?: number }]> = [
    ['GET 503 retries with half the first ceiling', { method: 'GET', status: 503 }, { retry: true, delayMs: 50 }],
    ['GET 429 retries', { method: 'GET', status: 429 }, { retry: true, delayMs: 50 }],
    ['GET 400 does not retry', { method: 'GET', status: 400 }, { retry: false }],
    ['GET 401 does not retry', { method: 'GET', status: 401 }, { retry: false }],
    ['GET 501 (not configured) does not retry', { method: 'GET', status: 501 }, { retry: false }],
    ['PUT 500 retries', { method: 'PUT', status: 500 }, { retry: true, delayMs: 50 }],
    ['DELETE on connection error retries', { method: 'DELETE', error: 'connection' }, { retry: true, delayMs: 50 }],
    ['HEAD on timeout retries', { method: 'HEAD', error: 'timeout' }, { retry: true, delayMs: 50 }],
    ['POST 503 without idempotency key does not retry', { method: 'POST', status: 503 }, { retry: false }],
    ['PATCH connection error without key does not retry', { method: 'PATCH', error: 'connection' }, { retry: false }],
    [
      'POST 503 with idempotency key retries',
      { method: 'POST', status: 503, hasIdempotencyKey: true },
      { retry: true, delayMs: 50 },
    ],
    [
      'POST marked idempotent (search) retries',
      { method: 'POST', status: 502, idempotent: true },
      { retry: true, delayMs: 50 },
    ],
    ['attempt 2 doubles the ceiling', { method: 'GET', status: 503, attempt: 2 }, { retry: true, delayMs: 100 }],
    ['attempt 3 doubles again', { method: 'GET', status: 503, attempt: 3 }, { retry: true, delayMs: 200 }],
    ['the last attempt does not retry', { method: 'GET', status: 503, attempt: 4 }, { retry: false }],
    [
      'retry-after seconds is honoured',
      { method: 'GET', status: 429, headers: { 'retry-after': '2' } },
      { retry: true, delayMs: 2000 },
    ],
    [
      'retry-after-ms wins over retry-after',
      { method: 'GET', status: 429, headers: { 'retry-after-ms': '150', 'retry-after': '2' } },
      { retry: true, delayMs: 150 },
    ],
    [
      'retry-after HTTP date is honoured',
      {
        method: 'GET',
        status: 503,
        now: Date.parse('2025-01-01T00:00:00Z'),
        headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' },
      },
      { retry: true, delayMs: 3000 },
    ],
    [
      'retry-after beyond maxRetryAfterMs gives up',
      { method: 'GET', status: 429, headers: { 'retry-after': '60' } },
      { retry: false },
    ],
    [
      'Retry-After: 86400 on a 429 gives up at once (no silent day-long sleep)',
      { method: 'GET', status: 429, headers: { 'retry-after': '86400' } },
      { retry: false },
    ],
    [
      'an HTTP-date a day ahead gives up at once',
      {
        method: 'GET',
        status: 429,
        now: Date.parse('2025-01-01T00:00:00Z'),
        headers: { 'retry-after': 'Thu, 02 Jan 2025 00:00:00 GMT' },
      },
      { retry: false },
    ],
    [
      'retry-after-ms beyond maxRetryAfterMs gives up',
      { method: 'GET', status: 429, headers: { 'retry-after-ms': '5001' } },
      { retry: false },
    ],
    [
      'a platform wait header beyond maxRetryAfterMs gives up',
      { method: 'GET', status: 429, headers: { 'x-wait': '3600' }, retryAfterHeader: 'X-Wait' },
      { retry: false },
    ],
    [
      'retry-after of exactly maxRetryAfterMs is honoured',
      { method: 'GET', status: 429, headers: { 'retry-after': '5' } },
      { retry: true, delayMs: 5000 },
    ],
    [
      'unreadable retry-after falls back to backoff',
      { method: 'GET', status: 503, headers: { 'retry-after': 'soon' } },
      { retry: true, delayMs: 50 },
    ],
    [
      'a platform wait header is read in seconds',
      { method: 'GET', status: 429, headers: { 'x-wait': '1' }, retryAfterHeader: 'X-Wait' },
      { retry: true, delayMs: 1000 },
    ],
  ];
  it.each(cases)('%s', (_name, given, want) => {
    const decision = decideRetry({ attempt: 1, method: 'GET', config, random: half, ...given });
    expect(decision.retry).toBe(want.retry);
    if (decision.retry && want.delayMs !== undefined) expect(decision.delayMs).toBe(want.delayMs);
  });

  it('says why it gives up on a long wait: the wait asked for and the cap', () => {
    const decision = decideRetry({
      attempt: 1,
      method: 'GET',
      status: 429,
      headers: { 'retry-after': '86400' },
      config,
    });
    expect(decision).toEqual({
      retry: false,
      reason: 'status 429: the server asks to wait 86400000 ms, more than maxRetryAfterMs (5000)',
    });
  });

  it('caps the backoff ceiling at maxDelayMs', () => {
    expect(backoffCeilingMs(10, config)).toBe(1000);
    const decision = decideRetry({
      attempt: 3,
      method: 'GET',
      status: 503,
      config: { ...config, maxAttempts: 10, maxDelayMs: 300 },
      random: () => 0.999,
    });
    expect(decision).toMatchObject({ retry: true });
    expect(decision.retry && decision.delayMs).toBeLessThan(300);
  });

  it.each([0, 0.25, 0.999999])('keeps full jitter within [0, ceiling) for random %f', (r) => {
    for (let attempt = 1; attempt < 4; attempt++) {
      const decision = decideRetry({ attempt, method: 'GET', status: 500, config, random: () => r });
      if (!decision.retry) throw new Error('expected a retry');
      expect(decision.delayMs).toBeGreaterThanOrEqual(0);
      expect(decision.delayMs).toBeLessThan(Math.max(1, backoffCeilingMs(attempt, config)));
      expect(decision.delayMs).toBe(Math.floor(r * backoffCeilingMs(attempt, config)));
    }
  });
});

describe('parseRetryAfterMs', () => {
  it.each([
    [{ 'retry-after': '0' }, 0],
    [{ 'Retry-After': '1.5' }, 1500],
    [{ 'retry-after-ms': '20' }, 20],
    [{}, undefined],
    [{ 'retry-after': '' }, undefined],
  ] as const)('%j → %s', (headers, want) => {
    expect(parseRetryAfterMs(headers)).toBe(want);
  });
});
