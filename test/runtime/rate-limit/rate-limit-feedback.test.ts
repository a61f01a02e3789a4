import { describe, expect, it } from 'vitest';
import { type RateLimitFeedback, readRateLimitFeedback } from '../../../src/runtime/index.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('readRateLimitFeedback', () => {
  const cases: Array<
    [string, { headers: Record<string, string>; status?: number; names?: object; want: Partial<RateLimitFeedback> }]
  > = [
    [
      'Shopify call limit',
      { headers: { 'X-Shopify-Shop-Api-Call-Limit': '32/40' }, want: { usage: { used: 32, capacity: 40 } } },
    ],
    [
      'Salesforce Sforce-Limit-Info, by its configured name',
      {
        headers: { 'Sforce-Limit-Info': 'api-usage=25/15000' },
        names: { usage: 'Sforce-Limit-Info' },
        want: { usage: { used: 25, capacity: 15000 } },
      },
    ],
    [
      "Meta's usage percentages: the highest counts",
      {
        headers: { 'X-Business-Use-Case-Usage': '{"123":[{"call_count":28,"total_cputime":60,"total_time":12}]}' },
        names: { usage: 'X-Business-Use-Case-Usage' },
        want: { usage: { used: 60, capacity: 100 } },
      },
    ],
    [
      'X-RateLimit-* with a delta reset',
      {
        headers: { 'X-RateLimit-Remaining': '7', 'X-RateLimit-Limit': '100', 'X-RateLimit-Reset': '30' },
        want: { remaining: 7, limit: 100, resetInMs: 30_000 },
      },
    ],
    [
      'X-RateLimit-Reset as epoch seconds',
      { headers: { 'X-RateLimit-Reset': String(NOW / 1000 + 12) }, want: { resetInMs: 12_000 } },
    ],
    [
      'HubSpot remaining, max and interval',
      {
        headers: {
          'X-HubSpot-RateLimit-Remaining': '99',
          'X-HubSpot-RateLimit-Max': '110',
          'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        },
        want: { remaining: 99, limit: 110, windowMs: 10_000 },
      },
    ],
    [
      'Retry-After in seconds on a 429',
      { headers: { 'Retry-After': '2' }, status: 429, want: { limited: true, retryAfterMs: 2000 } },
    ],
    ['a configured status other than 429', { headers: {}, status: 503, names: {}, want: { limited: false } }],
  ];

  it.each(cases)('%s', (_name, { headers, status = 200, names = {}, want }) => {
    const feedback = readRateLimitFeedback(headers, status, names, [429], NOW);
    expect(feedback).toMatchObject(want);
  });

  it('ignores unreadable values', () => {
    const feedback = readRateLimitFeedback(
      { 'x-shopify-shop-api-call-limit': 'lots', 'x-ratelimit-remaining': 'n/a' },
      200,
      {},
      [429],
      NOW,
    );
    expect(feedback).toEqual({
      limited: false,
      usage: undefined,
      remaining: undefined,
      limit: undefined,
      windowMs: undefined,
      retryAfterMs: undefined,
    });
  });
});
