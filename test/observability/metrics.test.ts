/**
 * The counted metrics (`observability/metrics.ts`): what each typed function adds, label values that cannot carry
 * anything but identifiers, rate-limit waits counted through the metered store, and the database gauges when the
 * database does not answer (absent or NaN, never a made-up zero) and their snapshot sharing.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.js';
import { MeteredRateLimitStore } from '../../src/observability/metered-rate-limit-store.js';
import {
  DatabaseGauges,
  labelValue,
  metricsContentType,
  metricsRegistry,
  metricsText,
  recordPlatformAttempt,
  recordRateLimitWait,
  recordRecordsSynced,
  recordSyncRun,
  recordWebhookDelivery,
} from '../../src/observability/metrics.js';
import { MemoryRateLimitStore, type RateLimitConfig } from '../../src/runtime/index.js';
import { StoreRateLimiter } from '../../src/runtime/rate-limit/store-rate-limiter.js';
import { manualClock } from '../runtime/rate-limit/manual-clock.js';
import { parseMetrics, type Sample, samplesOf, sumOf } from './prometheus-text.js';

async function scrape(): Promise<Sample[]> {
  return parseMetrics(await metricsRegistry.metrics());
}

/** How much `read` grows while `act` runs. */
async function delta(read: (s: Sample[]) => number, act: () => void | Promise<void>): Promise<number> {
  const before = read(await scrape());
  await act();
  return read(await scrape()) - before;
}

describe('recordPlatformAttempt', () => {
  it('counts attempts by platform and status, their latency, retries and 429s', async () => {
    const before = await scrape();
    recordPlatformAttempt('unit-a', { status: 200, attempt: 1, durationMs: 12, rateLimited: false });
    recordPlatformAttempt('unit-a', { status: 429, attempt: 1, durationMs: 3, rateLimited: true });
    recordPlatformAttempt('unit-a', { status: 200, attempt: 2, durationMs: 40, rateLimited: false });
    recordPlatformAttempt('unit-a', { status: undefined, attempt: 3, durationMs: 30_000, rateLimited: false });
    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    const requests = 'engarde_platform_requests_total';
    expect(grew(requests, { platform: 'unit-a', status: '200' })).toBe(2);
    expect(grew(requests, { platform: 'unit-a', status: '429' })).toBe(1);
    expect(grew(requests, { platform: 'unit-a', status: 'network_error' })).toBe(1);
    expect(grew('engarde_platform_retries_total', { platform: 'unit-a' })).toBe(2);
    expect(grew('engarde_platform_rate_limited_total', { platform: 'unit-a' })).toBe(1);
    const duration = 'engarde_platform_request_duration_seconds';
    expect(grew(`${duration}_count`, { platform: 'unit-a' })).toBe(4);
    expect(grew(`${duration}_sum`, { platform: 'unit-a' })).toBeCloseTo(30.055, 6);
    expect(grew(`${duration}_bucket`, { platform: 'unit-a', le: '0.025' })).toBe(2);
    expect(grew(`${duration}_bucket`, { platform: 'unit-a', le: '+Inf' })).toBe(4);
  });
});

describe('sync, records and webhook counters', () => {
  it('counts finished runs by result', async () => {
    const read = (s: Sample[]) =>
      sumOf(s, 'engarde_sync_runs_total', { platform: 'unit-b', entity: 'contacts', result: 'failed' });
    expect(await delta(read, () => recordSyncRun('unit-b', 'contacts', 'failed'))).toBe(1);
  });

  it('counts records pulled and pushed apart, and ignores counts that are not counts', async () => {
    const read = (direction: string) => (s: Sample[]) =>
      sumOf(s, 'engarde_records_synced_total', { platform: 'unit-b', entity: 'contacts', direction });
    expect(await delta(read('pull'), () => recordRecordsSynced('unit-b', 'contacts', 'pull', 250))).toBe(250);
    expect(await delta(read('push'), () => recordRecordsSynced('unit-b', 'contacts', 'push', 3))).toBe(3);
    const ignored = () => {
      recordRecordsSynced('unit-b', 'contacts', 'pull', -1);
      recordRecordsSynced('unit-b', 'contacts', 'pull', Number.NaN);
      recordRecordsSynced('unit-b', 'contacts', 'pull', Number.POSITIVE_INFINITY);
    };
    expect(await delta(read('pull'), ignored)).toBe(0);
  });

  it.each(['accepted', 'duplicate', 'rejected'] as const)('counts a %s webhook delivery', async (outcome) => {
    const read = (s: Sample[]) => sumOf(s, 'engarde_webhook_deliveries_total', { platform: 'unit-c', outcome });
    expect(await delta(read, () => recordWebhookDelivery('unit-c', outcome))).toBe(1);
  });
});

describe('label values', () => {
  it.each([
    ['a platform id', 'google-ads', 'google-ads'],
    ['a UUID', '0b6f1c1e-6a8e-4c53-9d1e-2f7f1f0c9a11', '0b6f1c1e-6a8e-4c53-9d1e-2f7f1f0c9a11'],
    ['an entity with an underscore', 'ad_accounts', 'ad_accounts'],
    ['a URL', 'https://api.stripe.com/v1?key=sk_live_1', 'other'],
    ['a header value', 'Bearer sk_live_abc', 'other'],
    ['a quote', 'x"} 1\nengarde_fake 2', 'other'],
    ['nothing', '', 'other'],
    ['something too long', 'a'.repeat(101), 'other'],
  ])('%s becomes %j', (_name, given, want) => {
    expect(labelValue(given)).toBe(want);
  });

  it('never writes what a caller passes that is not an identifier', async () => {
    recordWebhookDelivery('Bearer sk_live_secret/../', 'rejected');
    recordPlatformAttempt('https://x.invalid/?token=t0ken', {
      status: 200,
      attempt: 1,
      durationMs: 1,
      rateLimited: false,
    });
    const text = await metricsRegistry.metrics();
    expect(text).not.toContain('sk_live_secret');
    expect(text).not.toContain('t0ken');
    expect(sumOf(parseMetrics(text), 'engarde_webhook_deliveries_total', { platform: 'other' })).toBeGreaterThan(0);
  });
});

describe('rate-limit waits', () => {
  const small: RateLimitConfig = {
    model: 'leaky-bucket',
    capacity: 5,
    leakPerSecond: 50,
    scope: 'connection',
    headers: {},
    statusCodes: [429],
    notes: 'test',
  };

  it('counts every request the budget holds back (the metered store), and how long it waits', async () => {
    const clock = manualClock(0);
    let sleeps = 0;
    let slept = 0;
    const limiter = new StoreRateLimiter({
      key: 'unit-d:k',
      config: small,
      store: new MeteredRateLimitStore(new MemoryRateLimitStore({ now: clock.now }), 'unit-d'),
      now: clock.now,
      sleep: async (ms, signal) => {
        sleeps++;
        slept += ms;
        await clock.sleep(ms, signal);
      },
    });
    const before = await scrape();
    await Promise.all(Array.from({ length: 12 }, () => limiter.acquire()));
    const after = await scrape();
    const waits = sumOf(after, 'engarde_rate_limit_waits_total', { platform: 'unit-d' });
    const waited = sumOf(after, 'engarde_rate_limit_wait_seconds_total', { platform: 'unit-d' });
    expect(sumOf(before, 'engarde_rate_limit_waits_total', { platform: 'unit-d' })).toBe(0);
    // Some went at once (the burst), the rest waited: one count per sleep the limiter took.
    expect(sleeps).toBeGreaterThan(0);
    expect(sleeps).toBeLessThan(12);
    expect(waits).toBe(sleeps);
    // The limiter sleeps whole ms, at most 1 ms more than the store's delay.
    expect(waited * 1000).toBeLessThanOrEqual(slept);
    expect(waited * 1000).toBeGreaterThan(slept - sleeps);
  });

  it('keeps the wrapped store open when the wrapper is closed (it is shared)', async () => {
    const inner = new MemoryRateLimitStore();
    await inner.take('k', { costMs: 10, limitMs: 100 });
    await new MeteredRateLimitStore(inner, 'unit-d').close();
    expect(await inner.backlog('k')).toBeGreaterThan(0);
  });

  it('recordRateLimitWait counts a wait of no known length without adding time', async () => {
    const read = (s: Sample[]) => sumOf(s, 'engarde_rate_limit_wait_seconds_total', { platform: 'unit-e' });
    expect(await delta(read, () => recordRateLimitWait('unit-e', Number.NaN))).toBe(0);
    expect(sumOf(await scrape(), 'engarde_rate_limit_waits_total', { platform: 'unit-e' })).toBe(1);
  });
});

describe('the database gauges', () => {
  // A database that refuses connections at once.
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  afterAll(async () => {
    await db.destroy();
  });

  it('when the database does not answer: database_up 0, job counts NaN, no per-connection series', async () => {
    const gauges = new DatabaseGauges(db, { maxAgeMs: 0 });
    const samples = parseMetrics(await gauges.metrics());
    expect(sumOf(samples, 'engarde_metrics_database_up')).toBe(0);
    expect(samplesOf(samples, 'engarde_jobs_queued')[0]?.value).toBeNaN();
    expect(samplesOf(samples, 'engarde_connection_healthy')).toEqual([]);
    expect(samplesOf(samples, 'engarde_sync_lag_seconds')).toEqual([]);
  });

  it('one snapshot serves the scrapes of maxAgeMs and concurrent scrapes; invalidate() asks again', async () => {
    const gauges = new DatabaseGauges(db, { maxAgeMs: 60_000 });
    const first = gauges.snapshot();
    expect(gauges.snapshot()).toBe(first);
    await first;
    expect(gauges.snapshot()).toBe(first);
    gauges.invalidate();
    const second = gauges.snapshot();
    expect(second).not.toBe(first);
    gauges.maxAgeMs = 0;
    await second;
    expect(gauges.snapshot()).not.toBe(second);
  });

  it('the whole text parses and is served as Prometheus text 0.0.4', async () => {
    const gauges = new DatabaseGauges(db, { maxAgeMs: 0 });
    const text = await metricsText(gauges);
    expect(() => parseMetrics(text)).not.toThrow();
    expect(text).toContain('# TYPE engarde_jobs_queued gauge');
    expect(text).toContain('# TYPE engarde_platform_requests_total counter');
    expect(metricsContentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
