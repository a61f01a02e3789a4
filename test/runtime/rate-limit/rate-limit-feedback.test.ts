import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RateLimitConfig } from '../../../src/runtime/index.js';
import { type RateLimitFeedback, readRateLimitFeedback } from '../../../src/runtime/rate-limit/rate-limit-feedback.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('readRateLimitFeedback', () => {
  const cases: Array<
    [string, { headers: Record<string, string>; status?: number; names?: object; want: Partial<RateLimitFeedback> }]
  > = [
    [
      "Shopify's call limit, by its configured usage header",
      {
        headers: { 'X-Shopify-Shop-Api-Call-Limit': '32/40' },
        names: { usage: 'X-Shopify-Shop-Api-Call-Limit', usageFormat: { format: 'ratio' } },
        want: { usage: { used: 32, capacity: 40 } },
      },
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
      "Meta's usage percentages through the configured JSON keys: the highest counts",
      {
        headers: { 'X-Business-Use-Case-Usage': '{"123":[{"call_count":28,"total_cputime":60,"total_time":12}]}' },
        names: {
          usage: 'X-Business-Use-Case-Usage',
          usageFormat: { format: 'json-percent', keys: ['call_count', 'total_cputime', 'total_time'] },
        },
        want: { usage: { used: 60, capacity: 100 } },
      },
    ],
    [
      'only the configured JSON keys count (a key not listed is ignored)',
      {
        headers: { 'X-App-Usage': '{"call_count":28,"total_time":90}' },
        names: { usage: 'X-App-Usage', usageFormat: { format: 'json-percent', keys: ['call_count'] } },
        want: { usage: { used: 28, capacity: 100 } },
      },
    ],
    [
      'several configured usage headers: the fullest one counts',
      {
        headers: {
          'X-Business-Use-Case-Usage': '{"1":[{"call_count":10}]}',
          'X-Ad-Account-Usage': '{"acc_id_util_pct":72.5,"reset_time_duration":0}',
        },
        names: {
          usage: ['X-Business-Use-Case-Usage', 'X-Ad-Account-Usage'],
          usageFormat: { format: 'json-percent', keys: ['call_count', 'acc_id_util_pct'] },
        },
        want: { usage: { used: 72.5, capacity: 100 } },
      },
    ],
    [
      'a usage header the config does not name is not read',
      { headers: { 'X-Shopify-Shop-Api-Call-Limit': '32/40' }, want: { usage: undefined } },
    ],
    [
      'JSON usage is not read as a ratio when no format is configured',
      {
        headers: { 'X-App-Usage': '{"call_count":28}' },
        names: { usage: 'X-App-Usage' },
        want: { usage: undefined },
      },
    ],
    [
      'a custom remaining, limit and reset header from config',
      {
        headers: { 'X-Acme-Calls-Left': '3', 'X-Acme-Calls-Max': '50', 'X-Acme-Calls-Reset': '9' },
        names: { remaining: 'X-Acme-Calls-Left', limit: 'X-Acme-Calls-Max', reset: 'X-Acme-Calls-Reset' },
        want: { remaining: 3, limit: 50, resetInMs: 9000 },
      },
    ],
    [
      'the configured remaining header wins over the standard one',
      {
        headers: { 'X-Acme-Calls-Left': '3', 'X-RateLimit-Remaining': '40' },
        names: { remaining: 'X-Acme-Calls-Left' },
        want: { remaining: 3 },
      },
    ],
    [
      'RateLimit-* (IETF draft) standard names without config',
      {
        headers: { 'RateLimit-Remaining': '4', 'RateLimit-Limit': '10', 'RateLimit-Reset': '1' },
        want: { remaining: 4, limit: 10, resetInMs: 1000 },
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
      "HubSpot's remaining, max and window, by their configured names",
      {
        headers: {
          'X-HubSpot-RateLimit-Remaining': '99',
          'X-HubSpot-RateLimit-Max': '110',
          'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        },
        names: {
          remaining: 'X-HubSpot-RateLimit-Remaining',
          limit: 'X-HubSpot-RateLimit-Max',
          window: 'X-HubSpot-RateLimit-Interval-Milliseconds',
        },
        want: { remaining: 99, limit: 110, windowMs: 10_000 },
      },
    ],
    [
      "a vendor's headers the config does not name are not read",
      {
        headers: { 'X-HubSpot-RateLimit-Remaining': '99', 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000' },
        want: { remaining: undefined, windowMs: undefined },
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
      { usage: 'X-Shopify-Shop-Api-Call-Limit' },
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

describe('readRateLimitFeedback with the rateLimit.headers of configs/platform_configs_extended.json', () => {
  const platforms = (
    JSON.parse(readFileSync(new URL('../../../configs/platform_configs_extended.json', import.meta.url), 'utf8')) as {
      platforms: Array<{ id: string; rateLimit: RateLimitConfig }>;
    }
  ).platforms;
  const headersOf = (id: string) => platforms.find((p) => p.id === id)?.rateLimit.headers ?? {};

  const cases: Array<[string, { headers: Record<string, string>; want: Partial<RateLimitFeedback> }]> = [
    [
      'hubspot',
      {
        headers: {
          'x-hubspot-ratelimit-remaining': '12',
          'x-hubspot-ratelimit-max': '100',
          'x-hubspot-ratelimit-interval-milliseconds': '10000',
        },
        want: { remaining: 12, limit: 100, windowMs: 10_000 },
      },
    ],
    ['shopify', { headers: { 'x-shopify-shop-api-call-limit': '39/40' }, want: { usage: { used: 39, capacity: 40 } } }],
    [
      'salesforce',
      { headers: { 'sforce-limit-info': 'api-usage=25/15000' }, want: { usage: { used: 25, capacity: 15000 } } },
    ],
    [
      'meta-ads',
      {
        headers: {
          'x-business-use-case-usage':
            '{"act_1":[{"type":"ads_management","call_count":31,"total_cputime":5,"total_time":7}]}',
          'x-ad-account-usage': '{"acc_id_util_pct":44.5,"reset_time_duration":0}',
        },
        want: { usage: { used: 44.5, capacity: 100 } },
      },
    ],
    [
      'facebook-pages',
      {
        headers: { 'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}' },
        want: { usage: { used: 28, capacity: 100 } },
      },
    ],
    [
      'instagram',
      {
        headers: { 'x-business-use-case-usage': '{"17841":[{"call_count":80}]}' },
        want: { usage: { used: 80, capacity: 100 } },
      },
    ],
  ];

  it.each(cases)('%s: its declared headers are read', (id, { headers, want }) => {
    expect(readRateLimitFeedback(headers, 200, headersOf(id), [429], NOW)).toMatchObject(want);
  });
});
