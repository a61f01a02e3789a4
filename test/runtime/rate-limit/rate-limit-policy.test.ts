import { describe, expect, it } from 'vitest';
import type { RateLimitConfig } from '../../../src/runtime/index.js';
import { budgetsFor } from '../../../src/runtime/rate-limit/rate-limit-policy.js';

const common = { scope: 'connection' as const, headers: {}, statusCodes: [429], notes: 'test' };

describe('budgetsFor', () => {
  const cases: Array<
    [string, { config: RateLimitConfig; margin?: number; want: Array<Record<string, number | string>> }]
  > = [
    [
      'leaky bucket 40 / 2 per s: burst 40, one unit per 500 ms',
      {
        config: { model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, ...common },
        margin: 0,
        want: [{ suffix: '', unitMs: 500, limitMs: 20_000, burst: 40 }],
      },
    ],
    [
      'leaky bucket with the default margin (3 % of the drain time, within [30, 100] ms)',
      {
        config: { model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, ...common },
        want: [{ unitMs: 500, limitMs: 19_900, marginMs: 100 }],
      },
    ],
    [
      'a bucket that drains in 100 ms keeps the 30 ms floor: jitter is a time, not a share',
      {
        config: { model: 'leaky-bucket', capacity: 5, leakPerSecond: 50, ...common },
        want: [{ unitMs: 20, limitMs: 70, marginMs: 30 }],
      },
    ],
    [
      'a half-second window keeps the 30 ms floor too',
      {
        config: { model: 'fixed-window', requests: 10, windowSeconds: 0.5, ...common },
        want: [{ burst: 1, unitMs: 53, marginMs: 30 }],
      },
    ],
    [
      'token bucket 10 / 5 per s',
      {
        config: { model: 'token-bucket', capacity: 10, refillPerSecond: 5, ...common },
        margin: 0,
        want: [{ unitMs: 200, limitMs: 2000, burst: 10 }],
      },
    ],
    [
      'fixed window 100 / s: burst 2, then 99 per second: never 101 in any second',
      {
        config: { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common },
        margin: 0,
        want: [{ unitMs: 1000 / 99, limitMs: 2000 / 99, burst: 2 }],
      },
    ],
    [
      'fixed window 100 / s with the default margin (30 ms): 96 per second',
      {
        config: { model: 'fixed-window', requests: 100, windowSeconds: 1, ...common },
        want: [{ unitMs: 1030 / 99, limitMs: 2060 / 99, burst: 2, marginMs: 30 }],
      },
    ],
    [
      'sliding window 100 / 10 s',
      {
        config: { model: 'sliding-window', requests: 100, windowSeconds: 10, ...common },
        margin: 0,
        want: [{ unitMs: 10_000 / 99, limitMs: 20_000 / 99, burst: 2 }],
      },
    ],
    [
      'an hourly window lets half of it go at once',
      {
        config: { model: 'sliding-window', requests: 300, windowSeconds: 3600, ...common },
        margin: 0,
        want: [{ burst: 150, unitMs: 3_600_000 / 151 }],
      },
    ],
    [
      'cost-based: points per window, plus a request-rate ceiling',
      {
        config: { model: 'cost-based', points: 1000, windowSeconds: 10, requestsPerSecond: 5, ...common },
        margin: 0,
        want: [
          { suffix: '', burst: 20, unitMs: 10_000 / 981 },
          { suffix: ':rps', burst: 1, unitMs: 200 },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (_name, { config, margin, want }) => {
    const budgets = budgetsFor(config, margin === undefined ? {} : { safetyMarginMs: margin });
    expect(budgets).toHaveLength(want.length);
    want.forEach((fields, i) => {
      for (const [k, v] of Object.entries(fields)) {
        const actual = (budgets[i] as unknown as Record<string, number | string>)[k];
        if (typeof v === 'number') expect(actual, k).toBeCloseTo(v, 9);
        else expect(actual, k).toBe(v);
      }
    });
  });

  it('a window budget never admits more than N requests in any interval of W', () => {
    // GCRA(u, b) admits at most ⌊W/u⌋ + b requests in a closed interval of length W.
    for (const requests of [1, 2, 7, 100, 15_000]) {
      for (const windowSeconds of [1, 10, 86_400]) {
        const [b] = budgetsFor({ model: 'fixed-window', requests, windowSeconds, ...common }, { safetyMarginMs: 0 });
        const worst = Math.floor((windowSeconds * 1000 - 1e-6) / b!.unitMs) + b!.burst;
        expect(worst, `${requests}/${windowSeconds}s`).toBeLessThanOrEqual(requests);
      }
    }
  });
});
