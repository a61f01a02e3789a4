/** Statistics buckets made dense, totalled and put in words for the charts' text alternatives. */
import { describe, expect, it } from 'vitest';
import {
  chartSummaries,
  column,
  denseStatistics,
  type StatisticsBucket,
  statisticsTotals,
} from '../../web/src/statistics-summary.js';

function bucket(start: string, values: Partial<StatisticsBucket> = {}): StatisticsBucket {
  return {
    bucket_start: start,
    api_calls: 0,
    errors: 0,
    retries: 0,
    rate_limited: 0,
    p95_latency_ms: null,
    records_pulled: 0,
    records_pushed: 0,
    sync_runs: 0,
    sync_failures: 0,
    ...values,
  };
}

const FROM = '2025-01-01T00:05:00.000Z';
const TO = '2025-01-01T00:40:00.000Z';

describe('denseStatistics', () => {
  it.each([
    [
      'no buckets: every interval filled with zeros',
      { given: [], wantX: 4, wantPresent: [false, false, false, false] },
    ],
    [
      'present buckets kept in place',
      {
        given: [
          bucket('2025-01-01T00:10:00.000Z', { api_calls: 5 }),
          bucket('2025-01-01T00:30:00.000Z', { api_calls: 2 }),
        ],
        wantX: 4,
        wantPresent: [false, true, false, true],
      },
    ],
    [
      'a bucket outside the period dropped',
      {
        given: [bucket('2024-12-31T00:00:00.000Z', { api_calls: 9 })],
        wantX: 4,
        wantPresent: [false, false, false, false],
      },
    ],
  ])('%s', (_name, { given, wantX, wantPresent }) => {
    const dense = denseStatistics(given, FROM, TO, 600);
    expect(dense.x).toHaveLength(wantX);
    expect(dense.x[0]).toBe(Date.parse('2025-01-01T00:00:00.000Z') / 1000);
    expect(dense.present).toEqual(wantPresent);
  });

  it('fills counts with zero and latency with null', () => {
    const dense = denseStatistics(
      [bucket('2025-01-01T00:10:00.000Z', { api_calls: 5, p95_latency_ms: 120 })],
      FROM,
      TO,
      600,
    );
    expect(column(dense, 'api_calls')).toEqual([0, 5, 0, 0]);
    expect(column(dense, 'p95_latency_ms')).toEqual([null, 120, null, null]);
  });
});

describe('chartSummaries', () => {
  const period = 'the last hour';
  it.each([
    [
      'no activity',
      {
        given: [],
        want: {
          apiCalls: 'No API calls in the last hour.',
          latency: 'No latency measured in the last hour.',
          records: 'No records synced in the last hour.',
          rateLimited: 'No rate-limited responses in the last hour.',
        },
      },
    ],
    [
      'activity, the latest bucket last',
      {
        given: [
          bucket('2025-01-01T00:10:00.000Z', {
            api_calls: 1200,
            errors: 3,
            retries: 5,
            rate_limited: 2,
            p95_latency_ms: 850,
            records_pulled: 1000,
            sync_runs: 2,
            sync_failures: 1,
          }),
          bucket('2025-01-01T00:30:00.000Z', { api_calls: 4, p95_latency_ms: 120, records_pushed: 7, sync_runs: 1 }),
        ],
        want: {
          apiCalls:
            '1,204 API calls in the last hour, 3 errors (0.2 %) and 5 retries. Latest 10 minutes: 4 calls, 0 errors.',
          latency:
            'p95 latency peaked at 850 ms (2025-01-01 00:10); the latest measured was 120 ms (2025-01-01 00:30).',
          records:
            '1,000 records pulled and 7 pushed in the last hour, in 3 sync runs (1 failed). Latest 10 minutes: 0 pulled, 7 pushed.',
          rateLimited: '2 rate-limited responses in the last hour (0.2 % of API calls). Latest 10 minutes: 0.',
        },
      },
    ],
  ])('%s', (_name, { given, want }) => {
    const dense = denseStatistics(given, FROM, TO, 600);
    expect(chartSummaries(statisticsTotals(dense), period, 'UTC')).toEqual(want);
  });
});
