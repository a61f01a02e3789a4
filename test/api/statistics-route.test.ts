/**
 * `GET /integrations/{integration_id}/statistics`: the 10-minute rollups of `connection_stats` (rows written here
 * directly, as `rollup_statistics` would), oldest first with counters as numbers; the last 24 hours by default; at
 * most 31 days, and `from` before `to` (422 naming the parameter); another tenant's connection answers 404.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { startTestService, type TestService } from '../support/service.js';

const NOW = new Date('2031-03-10T12:05:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ now: () => NOW });
});
afterAll(async () => {
  await service?.close();
});

interface Bucket {
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

interface Answer {
  bucket_seconds: number;
  from: string;
  to: string;
  buckets: Bucket[];
  errors?: Array<{ in: string; path: string; message: string }>;
}

async function get(url: string, apiKey: string) {
  const res = await service.app.inject({ method: 'GET', url, headers: service.auth(apiKey) });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as Answer };
}

async function connect(tenantId: string, platform = 'front') {
  const row = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform,
    credentials: { token: `token-${randomUUID()}` },
    connectionConfig: {},
  });
  return row.connectionId;
}

/** A rollup row as `rollup_statistics` writes it; `n` seeds every counter so each bucket is recognisable. */
async function insertBucket(tenantId: string, connectionId: string, start: Date, n: number, p95: number | null = n) {
  await service.ctx.db
    .insertInto('connection_stats')
    .values({
      tenant_id: tenantId,
      connection_id: connectionId,
      bucket_start: start,
      api_calls: 10 * n,
      errors: n,
      retries: n + 1,
      rate_limited: n + 2,
      p95_latency_ms: p95,
      records_pulled: String(5_000_000_000 + n),
      records_pushed: n + 3,
      sync_runs: n + 4,
      sync_failures: n + 5,
      health_checks: 99,
      health_failures: 98,
    })
    .execute();
}

/** A tenant with one connection to Front whose buckets are at the given offsets from NOW's bucket (inserted in that order). */
async function tenantWithBuckets(offsets: number[]) {
  const { tenantId, apiKey } = await service.tenant('Stats');
  const connectionId = await connect(tenantId);
  const current = Math.floor(NOW.getTime() / (10 * MINUTE)) * 10 * MINUTE;
  for (const [i, offset] of offsets.entries()) {
    await insertBucket(tenantId, connectionId, new Date(current + offset), i + 1);
  }
  return { tenantId, apiKey, connectionId, current };
}

describe('GET /integrations/{integration_id}/statistics', () => {
  it('answers the last 24 hours by default, oldest first, with every counter a number', async () => {
    const { apiKey, current } = await tenantWithBuckets([
      -30 * MINUTE,
      0,
      -25 * HOUR, // before the range
      -23 * HOUR,
      10 * MINUTE, // after NOW
      -24 * HOUR, // starts 5 minutes before the range begins: overlaps it
    ]);
    const res = await get('/integrations/front/statistics', apiKey);
    expect(res.status).toBe(200);
    expect(res.body.bucket_seconds).toBe(600);
    expect(res.body.from).toBe(new Date(NOW.getTime() - 24 * HOUR).toISOString());
    expect(res.body.to).toBe(NOW.toISOString());
    expect(res.body.buckets.map((b) => b.bucket_start)).toEqual(
      [-24 * HOUR, -23 * HOUR, -30 * MINUTE, 0].map((o) => new Date(current + o).toISOString()),
    );
    expect(res.body.buckets[2]).toEqual({
      bucket_start: new Date(current - 30 * MINUTE).toISOString(),
      api_calls: 10,
      errors: 1,
      retries: 2,
      rate_limited: 3,
      p95_latency_ms: 1,
      records_pulled: 5_000_000_001,
      records_pushed: 4,
      sync_runs: 5,
      sync_failures: 6,
    });
  });

  it('answers an explicit range, and a bucket without latency as null', async () => {
    const { tenantId, apiKey, connectionId, current } = await tenantWithBuckets([-3 * HOUR, -2 * HOUR, -HOUR]);
    await insertBucket(tenantId, connectionId, new Date(current - 2 * HOUR + 10 * MINUTE), 7, null);
    const from = new Date(current - 2 * HOUR).toISOString();
    const to = new Date(current - HOUR).toISOString();
    const res = await get(
      `/integrations/front/statistics?connection_id=${connectionId}&from=${from}&to=${encodeURIComponent(to)}`,
      apiKey,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from, to });
    expect(res.body.buckets.map((b) => [b.bucket_start, b.p95_latency_ms])).toEqual([
      [from, 2],
      [new Date(current - 2 * HOUR + 10 * MINUTE).toISOString(), null],
    ]);
  });

  it('takes times with an offset and answers them in UTC', async () => {
    const { apiKey, current } = await tenantWithBuckets([-HOUR]);
    const res = await get(`/integrations/front/statistics?from=2031-03-10T12:00:00%2B02:00`, apiKey);
    expect(res.status).toBe(200);
    expect(res.body.from).toBe('2031-03-10T10:00:00.000Z');
    expect(res.body.buckets.map((b) => b.bucket_start)).toEqual([new Date(current - HOUR).toISOString()]);
  });

  it('answers no buckets for a connection without statistics', async () => {
    const { tenantId, apiKey } = await service.tenant('Quiet');
    await connect(tenantId);
    const res = await get('/integrations/front/statistics', apiKey);
    expect(res.status).toBe(200);
    expect(res.body.buckets).toEqual([]);
  });

  it("answers 404 for another tenant's connection, and for a platform the tenant has not connected", async () => {
    const owner = await tenantWithBuckets([0]);
    const other = await service.tenant('Other');
    const cases: Array<[string, { url: string; apiKey: string }]> = [
      [
        "another tenant's connection named",
        { url: `/integrations/front/statistics?connection_id=${owner.connectionId}`, apiKey: other.apiKey },
      ],
      ['no connection to the platform', { url: '/integrations/front/statistics', apiKey: other.apiKey }],
      [
        'the connection named under another platform',
        { url: `/integrations/shopify/statistics?connection_id=${owner.connectionId}`, apiKey: owner.apiKey },
      ],
      ['an unknown platform', { url: '/integrations/no-such-platform/statistics', apiKey: owner.apiKey }],
    ];
    for (const [name, { url, apiKey }] of cases) {
      const res = await get(url, apiKey);
      expect(res.status, name).toBe(404);
      expect(res.type, name).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.body), name).not.toContain('bucket');
    }
  });

  it('answers 409 listing the connections when the tenant has several and names none', async () => {
    const { tenantId, apiKey } = await tenantWithBuckets([0]);
    await connect(tenantId);
    const res = await service.app.inject({
      method: 'GET',
      url: '/integrations/front/statistics',
      headers: service.auth(apiKey),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().connections).toHaveLength(2);
  });

  const day = 24 * HOUR;
  const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
  const invalidRanges: Array<[string, { given: string; want: { status: number; path: string } }]> = [
    ['more than 31 days', { given: `from=${iso(-31 * day - 1)}&to=${iso(0)}`, want: { status: 422, path: '/from' } }],
    ['more than 31 days before now', { given: `from=${iso(-32 * day)}`, want: { status: 422, path: '/from' } }],
    ['from after to', { given: `from=${iso(-HOUR)}&to=${iso(-2 * HOUR)}`, want: { status: 422, path: '/from' } }],
    ['from after now', { given: `from=${iso(HOUR)}`, want: { status: 422, path: '/from' } }],
    ['not a time', { given: 'from=yesterday', want: { status: 400, path: '/from' } }],
    ['a time without an offset', { given: 'to=2031-03-10T12:00:00', want: { status: 400, path: '/to' } }],
  ];

  it.each(invalidRanges)('refuses a range %s', async (_name, { given, want }) => {
    const { apiKey } = await tenantWithBuckets([0]);
    const res = await get(`/integrations/front/statistics?${given.replace(/\+/g, '%2B')}`, apiKey);
    expect(res.status).toBe(want.status);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'querystring', path: want.path })]);
  });

  it('accepts exactly 31 days', async () => {
    const { apiKey } = await tenantWithBuckets([-31 * day, -31 * day - 10 * MINUTE]);
    const res = await get(`/integrations/front/statistics?from=${iso(-31 * day)}&to=${iso(0)}`, apiKey);
    expect(res.status).toBe(200);
    expect(res.body.buckets).toHaveLength(1);
  });
});
