/**
 * What a sync run counts about the platform requests it makes: attempts, errors, retries, 429s and a latency
 * histogram with fixed bounds, so that runs (and health checks) add up into the 10-minute statistics rollups and a
 * p95 can be read from the sum without keeping every sample.
 */

/** Upper bounds of the latency buckets, ms; the last bucket is everything above the last bound. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  5, 10, 25, 50, 75, 100, 150, 250, 400, 600, 1000, 1500, 2500, 4000, 6000, 10_000, 30_000,
];

/** As stored in `sync_runs.metrics`. */
export interface RequestMetrics {
  /** Attempts sent (a retried request counts each attempt). */
  requests: number;
  /** Attempts answered with an error status or failed on the network. */
  errors: number;
  /** Attempts that were retries of an earlier one. */
  retries: number;
  /** Attempts answered as rate limited (429 or the platform's rate-limit status). */
  rate_limited: number;
  /** Counts per bucket of {@link LATENCY_BOUNDS_MS} (one more than the bounds). */
  latency_buckets: number[];
}

export function emptyMetrics(): RequestMetrics {
  return {
    requests: 0,
    errors: 0,
    retries: 0,
    rate_limited: 0,
    latency_buckets: LATENCY_BOUNDS_MS.map(() => 0).concat(0),
  };
}

/** Adds one attempt. */
export function recordAttempt(
  metrics: RequestMetrics,
  attempt: { durationMs: number; status?: number | undefined; retry: boolean; rateLimited: boolean },
): void {
  metrics.requests++;
  if (attempt.retry) metrics.retries++;
  if (attempt.rateLimited) metrics.rate_limited++;
  if (attempt.status === undefined || attempt.status >= 400) metrics.errors++;
  let bucket = LATENCY_BOUNDS_MS.findIndex((bound) => attempt.durationMs <= bound);
  if (bucket === -1) bucket = LATENCY_BOUNDS_MS.length;
  metrics.latency_buckets[bucket] = (metrics.latency_buckets[bucket] ?? 0) + 1;
}

/** The sum of several runs' metrics (unknown or malformed values count as zero). */
export function addMetrics(into: RequestMetrics, from: unknown): RequestMetrics {
  const m = (from ?? {}) as Partial<RequestMetrics>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  into.requests += n(m.requests);
  into.errors += n(m.errors);
  into.retries += n(m.retries);
  into.rate_limited += n(m.rate_limited);
  if (Array.isArray(m.latency_buckets)) {
    for (let i = 0; i < into.latency_buckets.length; i++) {
      into.latency_buckets[i] = (into.latency_buckets[i] ?? 0) + n(m.latency_buckets[i]);
    }
  }
  return into;
}

/**
 * The latency below which a share `q` of the attempts fell: the upper bound of the bucket that holds the q-th
 * sample (an over-estimate by at most one bucket). `undefined` without samples.
 * @example
 * quantileMs(metrics, 0.95); // 250
 */
export function quantileMs(metrics: RequestMetrics, q: number): number | undefined {
  const total = metrics.latency_buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < metrics.latency_buckets.length; i++) {
    seen += metrics.latency_buckets[i] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}
