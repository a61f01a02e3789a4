/**
 * `GET /metrics` on a real service and database: the bearer token when `ENGARDE_METRICS_TOKEN` is set, platform
 * requests and latency after a live data request against the Stripe sandbox, sync runs and records after a sync of
 * the Capsule CRM sandbox, gauges that follow the database (connection health, jobs, sync lag), one requestId on
 * every log line of a request (the adapter's HTTP lines included), and no secret anywhere in the exposition.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseGaugesFor } from '../../src/observability/metrics.js';
import { EMULATED_PLATFORMS, type RunningEmulator, startEmulator } from '../../src/sandbox/index.js';
import { parseMetrics, type Sample, samplesOf, sumOf } from '../observability/prometheus-text.js';
import { startTestService, type TestService } from '../support/service.js';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const STRIPE_KEY = 'sk_test_emulator';

let emulator: RunningEmulator;
let service: TestService;
const logs: string[] = [];

beforeAll(async () => {
  const stripe = EMULATED_PLATFORMS.stripe;
  if (!stripe) throw new Error('no Stripe emulator');
  emulator = await startEmulator(stripe.create({ records: 30, rateLimit: false }));
  service = await startTestService({
    env: { ENGARDE_METRICS_TOKEN: METRICS_TOKEN },
    overrides: { stripe: { baseUrl: `${emulator.origin}/v1` } },
    logs,
  });
});
afterAll(async () => {
  await service?.close();
  await emulator?.close();
});

/** A scrape with the token, the database gauges read afresh. */
async function scrape(target: TestService = service): Promise<Sample[]> {
  databaseGaugesFor(target.ctx.db).invalidate();
  const response = await target.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  return parseMetrics(response.body);
}

async function connectStripe(apiKey: string): Promise<string> {
  const response = await service.app.inject({
    method: 'POST',
    url: '/integrations/stripe/connect',
    headers: service.auth(apiKey),
    payload: { credentials: { apiKey: STRIPE_KEY }, connection_config: {} },
  });
  expect(response.statusCode).toBe(201);
  return response.json().connection.connection_id as string;
}

describe('access', () => {
  it.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` }],
    ['a wrong token', { authorization: 'Bearer metrics-token-for-tests-0123456780' }],
    ['a tenant API key', 'tenant'],
  ] as const)('refuses %s with 401 problem+json when ENGARDE_METRICS_TOKEN is set', async (_name, headers) => {
    const sent = headers === 'tenant' ? service.auth((await service.tenant()).apiKey) : headers;
    const response = await service.app.inject({ method: 'GET', url: '/metrics', headers: sent });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(response.body).not.toContain('engarde_');
  });

  it('serves Prometheus text with the token', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(response.body);
    for (const name of ['engarde_jobs_queued', 'engarde_metrics_database_up', 'process_cpu_user_seconds_total']) {
      expect(samplesOf(samples, name), name).toHaveLength(1);
    }
    expect(sumOf(samples, 'engarde_metrics_database_up')).toBe(1);
    for (const type of [
      'engarde_platform_requests_total counter',
      'engarde_platform_request_duration_seconds histogram',
      'engarde_rate_limit_waits_total counter',
      'engarde_sync_runs_total counter',
      'engarde_records_synced_total counter',
      'engarde_webhook_deliveries_total counter',
      'engarde_jobs_queued gauge',
      'engarde_connection_healthy gauge',
      'engarde_sync_lag_seconds gauge',
    ]) {
      expect(response.body).toContain(`# TYPE ${type}`);
    }
  });

  it('serves it to anyone when no token is set (and is not a tenant route)', async () => {
    const open = await startTestService();
    try {
      const response = await open.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(() => parseMetrics(response.body)).not.toThrow();
    } finally {
      await open.close();
    }
  });
});

describe('a live data request', () => {
  let apiKey: string;
  let requestId: string;
  let lines: Array<Record<string, unknown>>;
  let before: Sample[];
  let after: Sample[];

  beforeAll(async () => {
    ({ apiKey } = await service.tenant('Data'));
    await connectStripe(apiKey);
    before = await scrape();
    const from = logs.length;
    const response = await service.app.inject({
      method: 'GET',
      url: '/integrations/stripe/data/customers?limit=10',
      headers: service.auth(apiKey),
    });
    expect(response.statusCode).toBe(200);
    lines = logs.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
    requestId = response.headers['x-request-id'] as string;
    after = await scrape();
  });

  it('shows in the platform request counter and the latency histogram', () => {
    const grew = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    expect(grew('engarde_platform_requests_total', { platform: 'stripe', status: '200' })).toBe(1);
    expect(grew('engarde_platform_request_duration_seconds_count', { platform: 'stripe' })).toBe(1);
    expect(grew('engarde_platform_request_duration_seconds_sum', { platform: 'stripe' })).toBeGreaterThan(0);
    expect(grew('engarde_platform_request_duration_seconds_bucket', { platform: 'stripe', le: '+Inf' })).toBe(1);
  });

  it('writes one requestId, the one answered in X-Request-Id, on every line it logged, the adapter’s included', () => {
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).toBe(requestId);
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual(
      expect.arrayContaining(['incoming request', 'http request', 'http response', 'request completed']),
    );
    // The adapter's own lines: its platform, and the runtime's id of the platform call kept apart.
    const response = lines.find((l) => l.msg === 'http response');
    expect(response).toMatchObject({ platform: 'stripe', status: 200, requestId });
    expect(response?.callId).toEqual(expect.any(String));
    expect(response?.callId).not.toBe(requestId);
  });

  it('writes the requestId key once per line', () => {
    const from = logs.length;
    return service.app
      .inject({ method: 'GET', url: '/integrations/stripe/data/customers?limit=5', headers: service.auth(apiKey) })
      .then(() => {
        const raw = logs.slice(from);
        expect(raw.length).toBeGreaterThan(0);
        for (const line of raw) expect(line.split('"requestId":').length - 1, line).toBe(1);
      });
  });

  it('gives concurrent requests their own ids', async () => {
    const from = logs.length;
    const responses = await Promise.all(
      Array.from({ length: 4 }, () =>
        service.app.inject({
          method: 'GET',
          url: '/integrations/stripe/data/customers?limit=3',
          headers: service.auth(apiKey),
        }),
      ),
    );
    const ids = new Set(responses.map((r) => r.headers['x-request-id']));
    expect(ids.size).toBe(4);
    const httpLines = logs
      .slice(from)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'http response');
    expect(httpLines).toHaveLength(4);
    expect(new Set(httpLines.map((l) => l.requestId))).toEqual(ids);
  });
});

describe('gauges read from the database', () => {
  let connectionId: string;

  beforeAll(async () => {
    const { apiKey } = await service.tenant('Gauges');
    connectionId = await connectStripe(apiKey);
  });

  const setHealth = (health: 'unknown' | 'healthy' | 'unhealthy', status: 'active' | 'needs_reauth' = 'active') =>
    service.ctx.db
      .updateTable('platform_connections')
      .set({ connection_health: health, status })
      .where('connection_id', '=', connectionId)
      .execute();

  it('connection health: absent before the first check, then 1 or 0 as the database says', async () => {
    const healthy = (s: Sample[]) =>
      samplesOf(s, 'engarde_connection_healthy', { platform: 'stripe', connection_id: connectionId }).map(
        (x) => x.value,
      );
    await setHealth('unknown');
    expect(healthy(await scrape())).toEqual([]);
    await setHealth('healthy');
    expect(healthy(await scrape())).toEqual([1]);
    await setHealth('unhealthy');
    expect(healthy(await scrape())).toEqual([0]);
    await setHealth('healthy', 'needs_reauth');
    expect(healthy(await scrape())).toEqual([0]);
    await setHealth('healthy');
    const samples = await scrape();
    const counted = await service.ctx.db
      .selectFrom('platform_connections')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('platform', '=', 'stripe')
      .where('status', '=', 'active')
      .where('connection_health', '=', 'healthy')
      .executeTakeFirstOrThrow();
    expect(Number(counted.n)).toBeGreaterThan(0);
    expect(sumOf(samples, 'engarde_connections', { platform: 'stripe', status: 'active', health: 'healthy' })).toBe(
      Number(counted.n),
    );
  });

  it('jobs queued, scheduled and failed: counted from graphile-worker’s table', async () => {
    const read = async () => {
      const s = await scrape();
      return {
        queued: sumOf(s, 'engarde_jobs_queued'),
        scheduled: sumOf(s, 'engarde_jobs_scheduled'),
        failed: sumOf(s, 'engarde_jobs_failed'),
        running: sumOf(s, 'engarde_jobs_running'),
      };
    };
    const before = await read();
    await sql`select graphile_worker.add_job('metrics_test', '{}'::json)`.execute(service.ctx.db);
    await sql`select graphile_worker.add_job('metrics_test', '{}'::json)`.execute(service.ctx.db);
    await sql`select graphile_worker.add_job('metrics_test', '{}'::json, run_at => now() + interval '1 hour')`.execute(
      service.ctx.db,
    );
    const failed = await sql<{ id: string }>`
      select id from graphile_worker.add_job('metrics_test', '{}'::json, max_attempts => 1)`.execute(service.ctx.db);
    await sql`update graphile_worker._private_jobs set attempts = 1, last_error = 'boom'
      where id = ${failed.rows[0]?.id}`.execute(service.ctx.db);
    const after = await read();
    expect(after).toEqual({
      queued: before.queued + 2,
      scheduled: before.scheduled + 1,
      failed: before.failed + 1,
      running: before.running,
    });
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs
      where locked_at is null and attempts < max_attempts and run_at <= now()`.execute(service.ctx.db);
    expect(after.queued).toBe(rows[0]?.n);
  });
});

describe('a sync run', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness({ platform: 'capsule-crm', records: 45 });
    expect((await h.configure('parties', { sync_direction: 'bidirectional' })).statusCode).toBe(202);
  });
  afterAll(async () => {
    await h?.close();
  });

  const runs = (s: Sample[], result: string) =>
    sumOf(s, 'engarde_sync_runs_total', { platform: 'capsule-crm', entity: 'parties', result });
  const records = (s: Sample[], direction: string) =>
    sumOf(s, 'engarde_records_synced_total', { platform: 'capsule-crm', entity: 'parties', direction });

  it('shows in sync runs, records pulled, platform requests (beside the run’s own counts) and sync lag', async () => {
    const before = await scrape(h.service);
    const outcome = await h.sync('parties', { pageSize: 10 });
    expect(outcome).toMatchObject({ status: 'succeeded', pull: { recordsPulled: 45 } });
    const after = await scrape(h.service);
    expect(runs(after, 'succeeded') - runs(before, 'succeeded')).toBe(1);
    expect(records(after, 'pull') - records(before, 'pull')).toBe(45);
    const requests = (s: Sample[]) => sumOf(s, 'engarde_platform_requests_total', { platform: 'capsule-crm' });
    const run = await h.service.ctx.db
      .selectFrom('sync_runs')
      .select('metrics')
      .where('connection_id', '=', h.connectionId)
      .where('mode', '<>', 'push')
      .executeTakeFirstOrThrow();
    const ownCount = (run.metrics as { requests: number }).requests;
    expect(ownCount).toBeGreaterThanOrEqual(5);
    expect(requests(after) - requests(before)).toBe(ownCount);
    const lag = samplesOf(after, 'engarde_sync_lag_seconds', {
      platform: 'capsule-crm',
      connection_id: h.connectionId,
    });
    expect(lag).toHaveLength(1);
    expect(lag[0]?.value).toBeGreaterThanOrEqual(0);
    expect(lag[0]?.value).toBeLessThan(60);
    expect(sumOf(after, 'engarde_sync_entities', { platform: 'capsule-crm', status: 'succeeded' })).toBe(1);
  });

  it('shows pushed records', async () => {
    const id = h.control.records('parties').map((r) => String(r.id))[0] as string;
    const patched = await h.inject({
      method: 'PATCH',
      url: `/integrations/capsule-crm/records/parties/${id}`,
      headers: h.service.auth(h.apiKey),
      payload: { data: { firstName: 'Changed here' } },
    });
    expect(patched.statusCode).toBe(202);
    const before = await scrape(h.service);
    const push = await h.push('parties');
    expect(push?.pushed).toBe(1);
    const after = await scrape(h.service);
    expect(records(after, 'push') - records(before, 'push')).toBe(1);
  });

  it('counts a run that cannot start (the connection needs re-authorization) as failed', async () => {
    const before = await scrape(h.service);
    await h.service.ctx.db
      .updateTable('platform_connections')
      .set({ status: 'needs_reauth' })
      .where('connection_id', '=', h.connectionId)
      .execute();
    try {
      expect(await h.sync('parties')).toMatchObject({ status: 'skipped' });
    } finally {
      await h.service.ctx.db
        .updateTable('platform_connections')
        .set({ status: 'active' })
        .where('connection_id', '=', h.connectionId)
        .execute();
    }
    const after = await scrape(h.service);
    expect(runs(after, 'failed') - runs(before, 'failed')).toBe(1);
  });
});

describe('secrets', () => {
  it('never appear in the exposition: credentials, API keys, the metrics token, tenant ids', async () => {
    const { apiKey, tenantId } = await service.tenant('Secrets');
    await connectStripe(apiKey);
    const response = await service.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    for (const secret of [STRIPE_KEY, apiKey, METRICS_TOKEN, tenantId, emulator.origin]) {
      expect(response.body).not.toContain(secret);
    }
    // Every label value is an identifier.
    for (const sample of parseMetrics(response.body)) {
      for (const value of Object.values(sample.labels)) expect(value).toMatch(/^[A-Za-z0-9_.:+-]{1,100}$/);
    }
  });
});
