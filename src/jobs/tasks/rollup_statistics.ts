/**
 * `rollup_statistics` (crontab, every 10 minutes): the per-connection 10-minute statistics the dashboard charts
 * read (`connection_stats`), recomputed from the raw history:
 *
 * - sync runs whose `finished_at` falls in the bucket (a run still going counts in the bucket it started in): runs,
 *   failures, records pulled and pushed, and their request metrics (`sync-metrics.ts`) summed, p95 read from the
 *   summed latency histogram;
 * - health checks in the bucket: checks and failures, and each one as an API call (an error when it failed) with
 *   its latency in the histogram.
 *
 * Each run recomputes the current bucket and the {@link ROLLUP_LOOKBACK_BUCKETS} before it, plus the bucket where
 * a run that finished in those started (it was counted there while it ran). A recomputed bucket is replaced whole
 * (its rows deleted, then upserted on the primary key, in one transaction), so running twice gives the same rows
 * and a connection with nothing left in a bucket keeps no row there. Buckets whose raw history the cleanup may
 * have begun deleting (older than `ENGARDE_HISTORY_RETENTION_DAYS`) are never recomputed.
 */
import type { Task } from 'graphile-worker';
import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ServiceContext } from '../../service/service-context.js';
import { addMetrics, emptyMetrics, quantileMs, type RequestMetrics, recordAttempt } from '../../sync/sync-metrics.js';

/** Width of a statistics bucket. Buckets start at multiples of it since the epoch (UTC). */
export const BUCKET_MS = 10 * 60_000;

/** Complete buckets before the current one recomputed by every run (late writes, a run that was skipped). */
export const ROLLUP_LOOKBACK_BUCKETS = 2;

const DAY_MS = 24 * 3_600_000;

/** The bucket holding `at`. */
export function bucketStart(at: Date | number): Date {
  const ms = typeof at === 'number' ? at : at.getTime();
  return new Date(Math.floor(ms / BUCKET_MS) * BUCKET_MS);
}

/** `date_bin` to the same buckets as {@link bucketStart}. */
const binOf = (time: RawBuilder<Date>) =>
  sql<Date>`date_bin('10 minutes', ${time}, timestamptz '1970-01-01 00:00:00+00')`;

/** The time a run counts at: when it finished, or while it runs, when it started. */
const countedAt = () => binOf(sql<Date>`coalesce(finished_at, started_at)`);
const checkedAt = () => binOf(sql<Date>`h.checked_at`);

/**
 * @example
 * const tasks = { rollup_statistics: rollupStatistics(ctx) };
 */
export function rollupStatistics(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const now = ctx.now();
    const current = bucketStart(now).getTime();
    const from = current - ROLLUP_LOOKBACK_BUCKETS * BUCKET_MS;
    const to = current + BUCKET_MS;
    // The first bucket wholly after the history cleanup's cutoff (with a bucket of margin for its own clock).
    const complete = bucketStart(now.getTime() - ctx.settings.retention.historyDays * DAY_MS).getTime() + 2 * BUCKET_MS;

    const started = await ctx.db
      .selectFrom('sync_runs')
      .select(binOf(sql<Date>`started_at`).as('bucket'))
      .distinct()
      .where('finished_at', '>=', new Date(from))
      .where('finished_at', '<', new Date(to))
      .where('started_at', '<', new Date(from))
      .where('started_at', '>=', new Date(complete))
      .execute();
    const ranges = mergeRanges([
      [from, to],
      ...started.map((r): Range => [r.bucket.getTime(), r.bucket.getTime() + BUCKET_MS]),
    ]);

    let written = 0;
    for (const [lo, hi] of ranges) {
      written += await ctx.db.transaction().execute((trx) => rollupRange(trx, new Date(lo), new Date(hi), now));
    }
    helpers.logger.debug(`rolled up ${written} connection buckets`, {
      ranges: ranges.map(([lo, hi]) => `${new Date(lo).toISOString()}/${new Date(hi).toISOString()}`),
    });
  };
}

type Range = [number, number];

/** Sorted, overlapping and touching ranges joined. */
function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

interface Bucket {
  tenant_id: string;
  connection_id: string;
  bucket_start: Date;
  metrics: RequestMetrics;
  records_pulled: bigint;
  records_pushed: bigint;
  sync_runs: number;
  sync_failures: number;
  health_checks: number;
  health_failures: number;
}

/** Recomputes the whole buckets in `[lo, hi)`; the number of rows written. */
async function rollupRange(trx: Transaction<Database>, lo: Date, hi: Date, now: Date): Promise<number> {
  const buckets = new Map<string, Bucket>();
  const bucketOf = (tenantId: string, connectionId: string, start: Date): Bucket => {
    const key = `${tenantId}/${connectionId}/${start.getTime()}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = {
        tenant_id: tenantId,
        connection_id: connectionId,
        bucket_start: start,
        metrics: emptyMetrics(),
        records_pulled: 0n,
        records_pushed: 0n,
        sync_runs: 0,
        sync_failures: 0,
        health_checks: 0,
        health_failures: 0,
      };
      buckets.set(key, bucket);
    }
    return bucket;
  };

  const runs = await trx
    .selectFrom('sync_runs')
    .select((eb) => [
      'tenant_id',
      'connection_id',
      countedAt().as('bucket_start'),
      eb.fn.countAll<string>().as('runs'),
      sql<string>`count(*) filter (where status = 'failed')`.as('failures'),
      sql<string>`sum(records_pulled)`.as('pulled'),
      sql<string>`sum(records_pushed)`.as('pushed'),
      sql<unknown[]>`jsonb_agg(metrics)`.as('metrics'),
    ])
    .where((eb) =>
      eb.or([
        eb.and([eb('finished_at', '>=', lo), eb('finished_at', '<', hi)]),
        eb.and([eb('finished_at', 'is', null), eb('started_at', '>=', lo), eb('started_at', '<', hi)]),
      ]),
    )
    .groupBy(['tenant_id', 'connection_id', countedAt()])
    .execute();
  for (const r of runs) {
    const bucket = bucketOf(r.tenant_id, r.connection_id, r.bucket_start);
    bucket.sync_runs += Number(r.runs);
    bucket.sync_failures += Number(r.failures);
    bucket.records_pulled += BigInt(r.pulled);
    bucket.records_pushed += BigInt(r.pushed);
    for (const m of r.metrics) addMetrics(bucket.metrics, m);
  }

  // Through the connections: no index leads with `checked_at`, but the primary key (tenant, connection, checked_at)
  // answers each connection's range.
  const checks = await trx
    .selectFrom('platform_connections as c')
    .innerJoin('connection_health_checks as h', (join) =>
      join.onRef('h.tenant_id', '=', 'c.tenant_id').onRef('h.connection_id', '=', 'c.connection_id'),
    )
    .select([
      'h.tenant_id',
      'h.connection_id',
      checkedAt().as('bucket_start'),
      sql<number[]>`array_agg(h.latency_ms order by h.checked_at)`.as('latencies'),
      sql<boolean[]>`array_agg(h.healthy order by h.checked_at)`.as('healthy'),
    ])
    .where('h.checked_at', '>=', lo)
    .where('h.checked_at', '<', hi)
    .groupBy(['h.tenant_id', 'h.connection_id', checkedAt()])
    .execute();
  for (const r of checks) {
    const bucket = bucketOf(r.tenant_id, r.connection_id, r.bucket_start);
    r.latencies.forEach((latency, i) => {
      const healthy = r.healthy[i] === true;
      bucket.health_checks++;
      if (!healthy) bucket.health_failures++;
      // A health check is one API call; a failed one is an error (refused, or no answer).
      recordAttempt(bucket.metrics, {
        durationMs: latency,
        status: healthy ? 200 : undefined,
        retry: false,
        rateLimited: false,
      });
    });
  }

  await trx.deleteFrom('connection_stats').where('bucket_start', '>=', lo).where('bucket_start', '<', hi).execute();
  const rows = [...buckets.values()].map((b) => ({
    tenant_id: b.tenant_id,
    connection_id: b.connection_id,
    bucket_start: b.bucket_start,
    api_calls: b.metrics.requests,
    errors: b.metrics.errors,
    retries: b.metrics.retries,
    rate_limited: b.metrics.rate_limited,
    p95_latency_ms: quantileMs(b.metrics, 0.95) ?? null,
    records_pulled: b.records_pulled.toString(),
    records_pushed: b.records_pushed.toString(),
    sync_runs: b.sync_runs,
    sync_failures: b.sync_failures,
    health_checks: b.health_checks,
    health_failures: b.health_failures,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += 1000) {
    await trx
      .insertInto('connection_stats')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'connection_id', 'bucket_start']).doUpdateSet((eb) => ({
          api_calls: eb.ref('excluded.api_calls'),
          errors: eb.ref('excluded.errors'),
          retries: eb.ref('excluded.retries'),
          rate_limited: eb.ref('excluded.rate_limited'),
          p95_latency_ms: eb.ref('excluded.p95_latency_ms'),
          records_pulled: eb.ref('excluded.records_pulled'),
          records_pushed: eb.ref('excluded.records_pushed'),
          sync_runs: eb.ref('excluded.sync_runs'),
          sync_failures: eb.ref('excluded.sync_failures'),
          health_checks: eb.ref('excluded.health_checks'),
          health_failures: eb.ref('excluded.health_failures'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  return rows.length;
}
