/**
 * The statistics route's 10-minute buckets made ready for the charts: a dense series (a bucket with nothing in it
 * is absent from the answer, and counts as zero), totals and latest values, and the sentences each chart carries
 * for people who do not read the canvas.
 */
import { formatCount, formatDuration, formatInstant } from './dashboard-format.js';

/** One bucket as `GET /integrations/{platform}/statistics` answers it. */
export interface StatisticsBucket {
  bucket_start: string;
  api_calls: number;
  errors: number;
  retries: number;
  rate_limited: number;
  p95_latency_ms: number | null;
  records_pulled: number;
  records_pushed: number;
  sync_runs: number;
  sync_failures: number;
}

export type CountKey = Exclude<keyof StatisticsBucket, 'bucket_start' | 'p95_latency_ms'>;

const COUNT_KEYS: readonly CountKey[] = [
  'api_calls',
  'errors',
  'retries',
  'rate_limited',
  'records_pulled',
  'records_pushed',
  'sync_runs',
  'sync_failures',
];

/** Buckets in time order, one per interval of the period, as `x` (Unix seconds) and the bucket itself. */
export interface DenseStatistics {
  /** Bucket starts, Unix seconds (what uPlot's time axis takes). */
  x: number[];
  buckets: StatisticsBucket[];
  /** Whether the answer had a bucket here (else it is a filled-in zero). */
  present: boolean[];
}

function emptyBucket(startMs: number): StatisticsBucket {
  return {
    bucket_start: new Date(startMs).toISOString(),
    api_calls: 0,
    errors: 0,
    retries: 0,
    rate_limited: 0,
    p95_latency_ms: null,
    records_pulled: 0,
    records_pushed: 0,
    sync_runs: 0,
    sync_failures: 0,
  };
}

/**
 * Every bucket from the one holding `from` to the one before `to`, missing ones filled with zeros (and no latency).
 * Buckets outside the period are dropped; at most 5,000 buckets.
 * @example
 * denseStatistics(answer.buckets, answer.from, answer.to, answer.bucket_seconds);
 */
export function denseStatistics(
  buckets: readonly StatisticsBucket[],
  from: string,
  to: string,
  bucketSeconds: number,
): DenseStatistics {
  const size = bucketSeconds * 1000;
  const start = Math.floor(new Date(from).getTime() / size) * size;
  const end = new Date(to).getTime();
  const byStart = new Map(buckets.map((b) => [Math.floor(new Date(b.bucket_start).getTime() / size) * size, b]));
  const out: DenseStatistics = { x: [], buckets: [], present: [] };
  if (!(size > 0) || Number.isNaN(start) || Number.isNaN(end)) return out;
  for (let t = start; t < end && out.x.length < 5000; t += size) {
    const found = byStart.get(t);
    out.x.push(t / 1000);
    out.buckets.push(found ?? emptyBucket(t));
    out.present.push(found !== undefined);
  }
  return out;
}

/** One column of the dense series: counts as numbers, latency as number or null (no calls: no point). */
export function column(dense: DenseStatistics, key: CountKey | 'p95_latency_ms'): Array<number | null> {
  return dense.buckets.map((b) => b[key]);
}

export interface StatisticsTotals {
  totals: Record<CountKey, number>;
  /** The last bucket of the period (the current ten minutes, maybe still filling). */
  latest: StatisticsBucket | undefined;
  /** The highest p95 latency and its bucket; undefined when no bucket measured one. */
  peakLatency: { ms: number; at: string } | undefined;
  /** The latest measured p95 latency and its bucket. */
  latestLatency: { ms: number; at: string } | undefined;
}

export function statisticsTotals(dense: DenseStatistics): StatisticsTotals {
  const totals = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Record<CountKey, number>;
  let peakLatency: StatisticsTotals['peakLatency'];
  let latestLatency: StatisticsTotals['latestLatency'];
  for (const b of dense.buckets) {
    for (const k of COUNT_KEYS) totals[k] += b[k];
    if (b.p95_latency_ms !== null) {
      latestLatency = { ms: b.p95_latency_ms, at: b.bucket_start };
      if (!peakLatency || b.p95_latency_ms > peakLatency.ms) peakLatency = { ms: b.p95_latency_ms, at: b.bucket_start };
    }
  }
  return { totals, latest: dense.buckets.at(-1), peakLatency, latestLatency };
}

function percent(part: number, whole: number): string {
  if (whole === 0) return '0 %';
  const p = (part / whole) * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

/** The text summaries of the four charts, for `period` (`the last 24 hours`). */
export interface ChartSummaries {
  apiCalls: string;
  latency: string;
  records: string;
  rateLimited: string;
}

/**
 * @example
 * chartSummaries(statisticsTotals(dense), 'the last 24 hours').apiCalls;
 * // '1,204 API calls in the last 24 hours, 3 errors (0.2 %) and 5 retries. Latest 10 minutes: 12 calls, 0 errors.'
 */
export function chartSummaries(t: StatisticsTotals, period: string, timeZone?: string): ChartSummaries {
  const { totals, latest } = t;
  const latestWords = (text: string) => (latest ? ` Latest 10 minutes: ${text}.` : '');
  return {
    apiCalls:
      totals.api_calls === 0
        ? `No API calls in ${period}.`
        : `${formatCount(totals.api_calls)} API calls in ${period}, ${formatCount(totals.errors)} errors ` +
          `(${percent(totals.errors, totals.api_calls)}) and ${formatCount(totals.retries)} retries.` +
          latestWords(`${formatCount(latest?.api_calls ?? 0)} calls, ${formatCount(latest?.errors ?? 0)} errors`),
    latency:
      t.peakLatency && t.latestLatency
        ? `p95 latency peaked at ${formatDuration(t.peakLatency.ms)} (${formatInstant(t.peakLatency.at, timeZone)}); ` +
          `the latest measured was ${formatDuration(t.latestLatency.ms)} (${formatInstant(t.latestLatency.at, timeZone)}).`
        : `No latency measured in ${period}.`,
    records:
      totals.sync_runs === 0 && totals.records_pulled === 0 && totals.records_pushed === 0
        ? `No records synced in ${period}.`
        : `${formatCount(totals.records_pulled)} records pulled and ${formatCount(totals.records_pushed)} pushed in ` +
          `${period}, in ${formatCount(totals.sync_runs)} sync runs (${formatCount(totals.sync_failures)} failed).` +
          latestWords(
            `${formatCount(latest?.records_pulled ?? 0)} pulled, ${formatCount(latest?.records_pushed ?? 0)} pushed`,
          ),
    rateLimited:
      totals.rate_limited === 0
        ? `No rate-limited responses in ${period}.`
        : `${formatCount(totals.rate_limited)} rate-limited responses in ${period} ` +
          `(${percent(totals.rate_limited, totals.api_calls)} of API calls).` +
          latestWords(formatCount(latest?.rate_limited ?? 0)),
  };
}
