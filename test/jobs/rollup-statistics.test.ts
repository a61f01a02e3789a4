/**
 * The 10-minute statistics rollup: sync runs (by when they finished, or started while running) and health checks
 * summed per connection and bucket, request metrics and latency histograms added up with p95 read from the sum;
 * recomputed buckets replaced whole (a stale row goes), buckets outside the window left alone, and a second run
 * giving exactly the same rows.
 */
import { randomUUID } from 'node:crypto';
import type { JobHelpers } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { BUCKET_MS, bucketStart, rollupStatistics } from '../../src/jobs/tasks/rollup_statistics.js';
import { LATENCY_BOUNDS_MS, type RequestMetrics } from '../../src/sync/sync-metrics.js';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;
const NOW = new Date('2030-06-01T12:34:00.000Z'); // current bucket 12:30; 12:10 and 12:20 recomputed too
let clock = NOW;

beforeAll(async () => {
  service = await startTestService({ now: () => clock });
});
afterAll(async () => {
  await service?.close();
});

const at = (hhmm: string) => new Date(`2030-06-01T${hhmm}:00.000Z`);
const helpers = { logger: { debug() {}, info() {}, warn() {}, error() {} } } as unknown as JobHelpers;

/** A latency histogram from `{ <bucket upper bound>: count }` (`Infinity`: above the last bound). */
function histogram(counts: Record<number, number>): number[] {
  const buckets = LATENCY_BOUNDS_MS.map(() => 0).concat(0);
  for (const [bound, n] of Object.entries(counts)) {
    const i =
      Number(bound) === Number.POSITIVE_INFINITY ? LATENCY_BOUNDS_MS.length : LATENCY_BOUNDS_MS.indexOf(Number(bound));
    if (i < 0) throw new Error(`no latency bucket bounded by ${bound}`);
    buckets[i] = n;
  }
  return buckets;
}

function metrics(m: Omit<RequestMetrics, 'latency_buckets'> & { latency: Record<number, number> }): RequestMetrics {
  return {
    requests: m.requests,
    errors: m.errors,
    retries: m.retries,
    rate_limited: m.rate_limited,
    latency_buckets: histogram(m.latency),
  };
}

interface Run {
  status: 'running' | 'succeeded' | 'failed';
  started: Date;
  finished?: Date;
  pulled?: number;
  pushed?: number;
  metrics?: RequestMetrics | Record<string, unknown>;
}

async function run(tenantId: string, connectionId: string, r: Run) {
  await service.ctx.db
    .insertInto('sync_runs')
    .values({
      tenant_id: tenantId,
      run_id: randomUUID(),
      connection_id: connectionId,
      entity_type: 'contacts',
      mode: 'incremental',
      status: r.status,
      started_at: r.started,
      finished_at: r.finished ?? null,
      records_pulled: r.pulled ?? 0,
      records_pushed: r.pushed ?? 0,
      metrics: JSON.stringify(r.metrics ?? {}),
    })
    .execute();
}

async function healthCheck(tenantId: string, connectionId: string, when: Date, healthy: boolean, latencyMs: number) {
  await service.ctx.db
    .insertInto('connection_health_checks')
    .values({
      tenant_id: tenantId,
      connection_id: connectionId,
      checked_at: when,
      healthy,
      latency_ms: latencyMs,
      error: healthy ? null : 'refused',
    })
    .execute();
}

/** A stats row as it stood before the rollup (what an earlier rollup wrote). */
async function earlierStats(tenantId: string, connectionId: string, bucket: Date, syncRuns: number) {
  await service.ctx.db
    .insertInto('connection_stats')
    .values({
      tenant_id: tenantId,
      connection_id: connectionId,
      bucket_start: bucket,
      api_calls: 3,
      sync_runs: syncRuns,
      updated_at: at('00:00'),
    })
    .execute();
}

async function statsOf(tenantId: string) {
  return service.ctx.db
    .selectFrom('connection_stats')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('connection_id')
    .orderBy('bucket_start')
    .execute();
}

const zero = {
  api_calls: 0,
  errors: 0,
  retries: 0,
  rate_limited: 0,
  p95_latency_ms: null,
  records_pulled: '0',
  records_pushed: '0',
  sync_runs: 0,
  sync_failures: 0,
  health_checks: 0,
  health_failures: 0,
};

describe('bucketStart', () => {
  it.each([
    ['12:34:56.789', '12:30:00.000'],
    ['12:30:00.000', '12:30:00.000'],
    ['12:29:59.999', '12:20:00.000'],
    ['00:00:00.000', '00:00:00.000'],
  ])('puts %s in the bucket of %s', (given, want) => {
    expect(bucketStart(new Date(`2030-06-01T${given}Z`)).toISOString()).toBe(`2030-06-01T${want}Z`);
  });
});

describe('rollup_statistics', () => {
  it('sums runs and health checks per connection and bucket, the same rows however often it runs', async () => {
    const { tenantId } = await service.tenant();
    const connect = () =>
      insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
        tenantId,
        platform: 'front',
        credentials: { token: 'x' },
        connectionConfig: {},
      });
    const [x, y, z] = [(await connect()).connectionId, (await connect()).connectionId, (await connect()).connectionId];
    const long = new Date(NOW.getTime() - 40 * 24 * 3_600_000); // before the history retention

    // x, bucket 12:20: two finished runs and two health checks.
    await run(tenantId, x, {
      status: 'succeeded',
      started: at('12:21'),
      finished: at('12:25'),
      pulled: 10,
      pushed: 2,
      metrics: metrics({ requests: 10, errors: 1, retries: 1, rate_limited: 1, latency: { 100: 9, 1000: 1 } }),
    });
    await run(tenantId, x, {
      status: 'failed',
      started: at('12:22'),
      finished: at('12:28'),
      pulled: 5,
      metrics: metrics({ requests: 8, errors: 2, retries: 0, rate_limited: 0, latency: { 250: 8 } }),
    });
    await healthCheck(tenantId, x, at('12:22'), true, 120);
    await healthCheck(tenantId, x, at('12:27'), false, 30);
    // x, bucket 12:30: a run still going, one that started at 11:55 and finished at 12:32, a health check.
    await run(tenantId, x, {
      status: 'running',
      started: at('12:31'),
      pulled: 7,
      metrics: metrics({ requests: 3, errors: 0, retries: 0, rate_limited: 0, latency: { 25: 3 } }),
    });
    await run(tenantId, x, {
      status: 'succeeded',
      started: at('11:55'),
      finished: at('12:32'),
      pulled: 1,
      pushed: 4,
      metrics: metrics({ requests: 2, errors: 0, retries: 0, rate_limited: 0, latency: { 600: 2 } }),
    });
    await healthCheck(tenantId, x, at('12:33'), true, 80);
    // x, 11:50: counted the long run while it ran; recomputed now it has finished, and empty.
    await earlierStats(tenantId, x, at('11:50'), 1);
    // x, 11:00: outside the window, left as it is.
    await run(tenantId, x, { status: 'succeeded', started: at('11:01'), finished: at('11:02'), pulled: 99 });
    await earlierStats(tenantId, x, at('11:00'), 1);

    // y: health checks at 12:10, and a run whose metrics are empty at 12:20 (no latency: no p95).
    await healthCheck(tenantId, y, at('12:11'), true, 40);
    await healthCheck(tenantId, y, at('12:15'), false, 7000);
    await run(tenantId, y, { status: 'succeeded', started: at('12:20'), finished: at('12:21'), pulled: 3 });

    // z: a stale row at 12:20 with nothing behind it any more; a run started 40 days ago, finished at 12:36,
    // whose start bucket (history the cleanup may have pruned) is never recomputed.
    await earlierStats(tenantId, z, at('12:20'), 5);
    await run(tenantId, z, { status: 'succeeded', started: long, finished: at('12:36') });
    await earlierStats(tenantId, z, bucketStart(long), 1);

    const want = [
      [x, at('11:00'), { ...zero, api_calls: 3, sync_runs: 1, updated_at: at('00:00') }],
      [
        x,
        at('12:20'),
        {
          api_calls: 20, // 10 + 8 run requests + 2 health checks
          errors: 4, // 1 + 2 + the failed health check
          retries: 1,
          rate_limited: 1,
          p95_latency_ms: 250, // 20 samples: the 19th is in the 250 ms bucket (1 ≤50, 9 ≤100, 1 ≤150, 8 ≤250, 1 ≤1000)
          records_pulled: '15',
          records_pushed: '2',
          sync_runs: 2,
          sync_failures: 1,
          health_checks: 2,
          health_failures: 1,
          updated_at: NOW,
        },
      ],
      [
        x,
        at('12:30'),
        {
          api_calls: 6, // 3 + 2 + 1
          errors: 0,
          retries: 0,
          rate_limited: 0,
          p95_latency_ms: 600, // 6 samples: 3 ≤25, 1 ≤100, 2 ≤600; the 6th
          records_pulled: '8',
          records_pushed: '4',
          sync_runs: 2,
          sync_failures: 0,
          health_checks: 1,
          health_failures: 0,
          updated_at: NOW,
        },
      ],
      [
        y,
        at('12:10'),
        {
          ...zero,
          api_calls: 2,
          errors: 1,
          p95_latency_ms: 10_000, // 2 samples: 1 ≤50, 1 ≤10000; the 2nd
          health_checks: 2,
          health_failures: 1,
          updated_at: NOW,
        },
      ],
      [y, at('12:20'), { ...zero, records_pulled: '3', sync_runs: 1, updated_at: NOW }],
      [z, bucketStart(long), { ...zero, api_calls: 3, sync_runs: 1, updated_at: at('00:00') }],
      [z, at('12:30'), { ...zero, sync_runs: 1, updated_at: NOW }],
    ]
      .map(([connectionId, bucket, values]) => ({
        tenant_id: tenantId,
        connection_id: connectionId as string,
        bucket_start: bucket as Date,
        ...(values as object),
      }))
      .sort((a, b) =>
        a.connection_id === b.connection_id
          ? a.bucket_start.getTime() - b.bucket_start.getTime()
          : a.connection_id.localeCompare(b.connection_id),
      );

    await rollupStatistics(service.ctx)({}, helpers);
    expect(await statsOf(tenantId)).toEqual(want);
    await rollupStatistics(service.ctx)({}, helpers);
    expect(await statsOf(tenantId)).toEqual(want);
  });

  it('moves a run from the bucket it started in to the one it finished in', async () => {
    const { tenantId } = await service.tenant();
    const { connectionId } = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId,
      platform: 'front',
      credentials: { token: 'x' },
      connectionConfig: {},
    });
    const runId = randomUUID();
    await service.ctx.db
      .insertInto('sync_runs')
      .values({
        tenant_id: tenantId,
        run_id: runId,
        connection_id: connectionId,
        entity_type: 'contacts',
        mode: 'full',
        status: 'running',
        started_at: new Date('2030-07-01T08:05:00.000Z'),
        records_pulled: 4,
      })
      .execute();
    clock = new Date('2030-07-01T08:07:00.000Z');
    await rollupStatistics(service.ctx)({}, helpers);
    const rows = async () =>
      (await statsOf(tenantId)).map((r) => [r.bucket_start.toISOString(), r.sync_runs, r.records_pulled]);
    expect(await rows()).toEqual([['2030-07-01T08:00:00.000Z', 1, '4']]);

    // An hour later it finishes: the 08:00 bucket is recomputed although it is outside the window.
    await service.ctx.db
      .updateTable('sync_runs')
      .set({ status: 'succeeded', finished_at: new Date('2030-07-01T09:12:00.000Z'), records_pulled: 9 })
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', runId)
      .execute();
    clock = new Date('2030-07-01T09:15:00.000Z');
    await rollupStatistics(service.ctx)({}, helpers);
    expect(await rows()).toEqual([['2030-07-01T09:10:00.000Z', 1, '9']]);
    expect(BUCKET_MS).toBe(600_000);
    clock = NOW;
  });
});
