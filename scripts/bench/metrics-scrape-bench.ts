/**
 * `/metrics` scrape time with 1,000 connections (issue 10 "Speed": ≤ 50 ms): the real service listening on
 * 127.0.0.1, a database holding 1,000 connections (20 tenants, 20 platforms; health healthy/unhealthy/unknown, a few
 * needing re-authorization), 3 entity syncs each (3,000 `platform_sync_status` rows with last successes spread over
 * the last day) and 2,000 jobs in graphile-worker's queue; this process's counters filled as a busy worker's would
 * be (20 platforms × 5 statuses of requests with latencies, sync runs and records for 3 entities each, webhook
 * deliveries). Each scrape is a `GET /metrics` with the bearer token over HTTP (keep-alive), its body read in full.
 *
 * Two ways, interleaved, in each run:
 * - **fresh**: the database gauges' snapshot is dropped before every scrape, so each one runs the aggregate queries
 *   (the worst case; what a scrape costs when Prometheus scrapes less often than once a second);
 * - **as served**: scrapes back to back, as the route answers them (one snapshot serves the scrapes of a second).
 * It also times the parts apart: the database snapshot alone, and the exposition text alone.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server; the benchmark uses its own database, dropped
 * after. Only 127.0.0.1 is used.
 *
 * Usage: npx tsx scripts/bench/metrics-scrape-bench.ts [--scrapes 50] [--runs 5] [--connections 1000]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { destination } from 'pino';
import { buildServer } from '../../src/api/server.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import {
  databaseGaugesFor,
  metricsRegistry,
  recordPlatformAttempt,
  recordRecordsSynced,
  recordSyncRun,
  recordWebhookDelivery,
} from '../../src/observability/metrics.js';
import { openService, serviceLogger, serviceSettings } from '../../src/service/service-runtime.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    scrapes: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1000' },
  },
});
const scrapes = Number(values.scrapes);
const runs = Number(values.runs);
const connectionCount = Number(values.connections);
const TARGET_MS = 50;
const TENANTS = 20;
const PLATFORMS = [
  'stripe',
  'shopify',
  'hubspot',
  'salesforce',
  'github',
  'slack',
  'zendesk',
  'intercom',
  'xero',
  'square',
  'twilio',
  'google-ads',
  'meta-ads',
  'pipedrive',
  'asana',
  'trello',
  'zoom',
  'gitlab',
  'mailchimp',
  'quickbooks-online',
];
const ENTITIES = ['customers', 'orders', 'invoices'];
const METRICS_TOKEN = randomBytes(24).toString('base64url');

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

function fillProcessCounters(): void {
  for (const platform of PLATFORMS) {
    for (const [status, n] of [
      [200, 500],
      [201, 50],
      [404, 10],
      [429, 5],
      [500, 3],
    ] as const) {
      for (let i = 0; i < n; i++) {
        recordPlatformAttempt(platform, {
          status,
          attempt: i % 10 === 0 ? 2 : 1,
          durationMs: 5 + ((i * 37) % 900),
          rateLimited: status === 429,
        });
      }
    }
    recordPlatformAttempt(platform, { status: undefined, attempt: 1, durationMs: 30_000, rateLimited: false });
    for (const entity of ENTITIES) {
      recordSyncRun(platform, entity, 'succeeded');
      recordSyncRun(platform, entity, 'failed');
      recordRecordsSynced(platform, entity, 'pull', 1000);
      recordRecordsSynced(platform, entity, 'push', 10);
    }
    recordWebhookDelivery(platform, 'accepted');
    recordWebhookDelivery(platform, 'duplicate');
    recordWebhookDelivery(platform, 'rejected');
  }
}

async function main(): Promise<void> {
  if (!(scrapes >= 10 && runs >= 1 && connectionCount >= 1)) throw new Error('bad arguments; see the usage');
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `Postgres ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (throw-away)'}`,
  );
  const database = await createTestDatabase('engarde_bench');
  const settings = serviceSettings({
    DATABASE_URL: database.url,
    ENGARDE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENGARDE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'engarde-bench-')),
    ENGARDE_METRICS_TOKEN: METRICS_TOKEN,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const logger = serviceLogger('warn', destination({ dest: '/dev/null', sync: true }));
  const service = await openService(settings, { migrate: true, logger });
  const { ctx } = service;
  const { app } = await buildServer(ctx);
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    // The data: tenants, connections, entity syncs, jobs.
    const tenants: string[] = [];
    for (let i = 0; i < TENANTS; i++) tenants.push((await createTenant(ctx.db, `Bench ${i}`)).tenantId);
    const now = Date.now();
    const connections = Array.from({ length: connectionCount }, (_, i) => ({
      tenant_id: tenants[i % TENANTS] as string,
      connection_id: randomUUID(),
      platform: PLATFORMS[i % PLATFORMS.length] as string,
      status: (i % 97 === 0 ? 'needs_reauth' : 'active') as 'active' | 'needs_reauth',
      connection_health: (['healthy', 'healthy', 'healthy', 'unhealthy', 'unknown'] as const)[i % 5],
      last_health_check_at: i % 5 === 4 ? null : new Date(now - (i % 300) * 1000),
      last_sync_at: new Date(now - (i % 3600) * 1000),
    }));
    for (let i = 0; i < connections.length; i += 500) {
      await ctx.db
        .insertInto('platform_connections')
        .values(connections.slice(i, i + 500))
        .execute();
    }
    const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed', 'running', 'idle'] as const;
    const syncRows = connections.flatMap((c, i) =>
      ENTITIES.map((entity, j) => {
        const status = statuses[(i + j) % statuses.length] as (typeof statuses)[number];
        return {
          tenant_id: c.tenant_id,
          connection_id: c.connection_id,
          entity_type: entity,
          sync_direction: (j === 2 ? 'bidirectional' : 'pull') as 'pull' | 'bidirectional',
          frequency: 'hourly',
          sync_status: status,
          last_sync_attempt: new Date(now - ((i * 7 + j) % 86_400) * 1000),
          last_success_at: status === 'idle' ? null : new Date(now - ((i * 13 + j) % 86_400) * 1000),
          records_total: String(1000 + i),
        };
      }),
    );
    for (let i = 0; i < syncRows.length; i += 1000) {
      await ctx.db
        .insertInto('platform_sync_status')
        .values(syncRows.slice(i, i + 1000))
        .execute();
    }
    await sql`select graphile_worker.add_job('sync_entity', json_build_object('n', g), run_at => now() + (g % 3) * interval '1 minute')
      from generate_series(1, 2000) as g`.execute(ctx.db);
    await sql`analyze`.execute(ctx.db);
    fillProcessCounters();

    const gauges = databaseGaugesFor(ctx.db);
    const headers = { authorization: `Bearer ${METRICS_TOKEN}` };
    let bodyBytes = 0;
    let seriesCount = 0;
    const scrape = async (fresh: boolean): Promise<number> => {
      if (fresh) gauges.invalidate();
      const started = performance.now();
      const response = await fetch(`${origin}/metrics`, { headers });
      const body = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${body.slice(0, 200)}`);
      bodyBytes = body.length;
      seriesCount = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      return elapsed;
    };
    // Sanity: every connection that should have a health series has one.
    const expectedHealth = connections.filter((c) => c.status !== 'active' || c.connection_health !== 'unknown').length;
    gauges.invalidate();
    const check = await (await fetch(`${origin}/metrics`, { headers })).text();
    const healthSeries = check.split('\n').filter((l) => l.startsWith('engarde_connection_healthy{')).length;
    const lagSeries = check.split('\n').filter((l) => l.startsWith('engarde_sync_lag_seconds{')).length;
    if (healthSeries !== expectedHealth) throw new Error(`${healthSeries} health series, expected ${expectedHealth}`);
    console.log(
      `Data: ${connectionCount} connections, ${syncRows.length} entity syncs, 2000 jobs; ${healthSeries} connection_healthy and ${lagSeries} sync_lag series`,
    );
    for (let i = 0; i < 10; i++) await scrape(i % 2 === 0);

    const freshMedians: number[] = [];
    const servedMedians: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const fresh: number[] = [];
      const served: number[] = [];
      for (let i = 0; i < scrapes; i++) {
        if (i % 2 === 0) {
          fresh.push(await scrape(true));
          served.push(await scrape(false));
        } else {
          served.push(await scrape(false));
          fresh.push(await scrape(true));
        }
      }
      // The parts apart: the database snapshot, and the exposition text (snapshot cached).
      const snapshotTimes: number[] = [];
      const textTimes: number[] = [];
      for (let i = 0; i < 20; i++) {
        gauges.invalidate();
        let started = performance.now();
        await gauges.snapshot();
        snapshotTimes.push(performance.now() - started);
        started = performance.now();
        await metricsRegistry.metrics();
        await gauges.metrics();
        textTimes.push(performance.now() - started);
      }
      fresh.sort((a, b) => a - b);
      served.sort((a, b) => a - b);
      freshMedians.push(median(fresh));
      servedMedians.push(median(served));
      console.log(
        `run ${run}: fresh p50 ${ms(median(fresh))} p95 ${ms(quantile(fresh, 0.95))} max ${ms(fresh.at(-1) as number)}; ` +
          `as served p50 ${ms(median(served))} p95 ${ms(quantile(served, 0.95))}; ` +
          `parts: database snapshot p50 ${ms(median(snapshotTimes))}, exposition text p50 ${ms(median(textTimes))}; ` +
          `${(bodyBytes / 1024).toFixed(0)} KB, ${seriesCount} samples`,
      );
    }
    const result = median(freshMedians);
    console.log(
      `\nMedian of ${runs} runs × ${scrapes} scrapes: fresh ${ms(result)} (runs ${freshMedians.map(ms).join(', ')}), ` +
        `as served ${ms(median(servedMedians))}. Target ≤ ${TARGET_MS} ms: ${result <= TARGET_MS ? 'met' : 'NOT met'}`,
    );
  } finally {
    await app.close();
    await service.close();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
