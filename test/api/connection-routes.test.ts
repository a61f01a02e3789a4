/**
 * The connection routes against a real database and the Stripe sandbox emulator: connect (credentials checked by
 * the platform, stored sealed), list, live data with opaque cursors, health, disconnect, and tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATED_PLATFORMS, type RunningEmulator, startEmulator } from '../../src/sandbox/index.js';
import { startTestService, type TestService } from '../support/service.js';

const RECORDS = 250;
const STRIPE_KEY = 'sk_test_emulator';

let emulator: RunningEmulator;
let service: TestService;

beforeAll(async () => {
  const stripe = EMULATED_PLATFORMS.stripe;
  if (!stripe) throw new Error('no Stripe emulator');
  emulator = await startEmulator(stripe.create({ records: RECORDS, rateLimit: false }));
  service = await startTestService({ overrides: { stripe: { baseUrl: `${emulator.origin}/v1` } } });
});
afterAll(async () => {
  await service?.close();
  await emulator?.close();
});

async function call(method: 'GET' | 'POST', url: string, apiKey?: string, body?: unknown) {
  const res = await service.app.inject({
    method,
    url,
    headers: apiKey ? service.auth(apiKey) : {},
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, type: res.headers['content-type'] };
}

async function connectStripe(apiKey: string, label?: string) {
  return call('POST', '/integrations/stripe/connect', apiKey, {
    credentials: { apiKey: STRIPE_KEY },
    connection_config: {},
    ...(label ? { label } : {}),
  });
}

describe('connect', () => {
  it('stores a connection whose credentials the platform accepted, and never shows them', async () => {
    const { apiKey, tenantId } = await service.tenant('Acme');
    const res = await connectStripe(apiKey, 'main account');
    expect(res.status).toBe(201);
    expect(res.body.connection).toMatchObject({ platform: 'stripe', label: 'main account', status: 'active' });
    expect(JSON.stringify(res.body)).not.toContain(STRIPE_KEY);
    const row = await service.ctx.db
      .selectFrom('platform_connections')
      .select(['auth_data'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row.auth_data)).not.toContain(STRIPE_KEY);
    const listed = await call('GET', '/integrations/connections', apiKey);
    expect(listed.body.connections).toEqual([expect.objectContaining({ platform: 'stripe', label: 'main account' })]);
    expect(listed.body.next_cursor).toBeNull();
  });

  it('refuses credentials the platform rejects with 422 and its reason, without echoing them', async () => {
    const { apiKey } = await service.tenant();
    const res = await call('POST', '/integrations/stripe/connect', apiKey, {
      credentials: { apiKey: 'sk_test_wrong_value_123' },
    });
    expect(res.status).toBe(422);
    expect(res.type).toMatch(/application\/problem\+json/);
    expect(res.body.title).toBe('Credentials refused');
    expect(JSON.stringify(res.body)).not.toContain('sk_test_wrong_value_123');
    expect((await call('GET', '/integrations/connections', apiKey)).body.connections).toEqual([]);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['a missing credential', { credentials: {} }, '/credentials/apiKey'],
    ['a credential of the wrong type', { credentials: { apiKey: 42 } }, '/credentials/apiKey'],
    ['an unknown credential', { credentials: { apiKey: STRIPE_KEY, password: 'x' } }, '/credentials/password'],
    [
      'a connection setting the platform does not take',
      { credentials: { apiKey: STRIPE_KEY }, connection_config: { shop: 'x' } },
      '/connection_config/shop',
    ],
  ];
  it.each(invalid)('answers 422 naming the field for %s', async (_name, body, path) => {
    const { apiKey } = await service.tenant();
    const res = await call('POST', '/integrations/stripe/connect', apiKey, body);
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ in: 'body', path }));
  });

  it('answers 422 naming the connection setting that does not match its pattern (Shopify shop)', async () => {
    const { apiKey } = await service.tenant();
    const res = await call('POST', '/integrations/shopify/connect', apiKey, {
      credentials: { accessToken: 'shpat_x' },
      connection_config: { shop: 'evil.com#' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ path: '/connection_config/shop' }));
  });

  it.each([
    ['a loopback address', '127.0.0.1'],
    ['the cloud metadata address', '169.254.169.254'],
    ['a private address', '10.1.2.3'],
  ])('refuses a self-hosted GitLab on %s with 422 naming the host, before connecting', async (_name, host) => {
    const { apiKey } = await service.tenant();
    const res = await call('POST', '/integrations/gitlab/connect', apiKey, {
      credentials: { accessToken: 'glpat-x' },
      connection_config: { host, projectId: '1' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ path: '/connection_config/host' }));
  });

  it('an unknown platform is 404', async () => {
    const { apiKey } = await service.tenant();
    expect((await call('POST', '/integrations/nope/connect', apiKey, { credentials: {} })).status).toBe(404);
  });
});

describe('live data', () => {
  let apiKey: string;
  beforeAll(async () => {
    ({ apiKey } = await service.tenant('Reader'));
    expect((await connectStripe(apiKey)).status).toBe(201);
  });

  it.each([100, 30, 500])('pages through every record exactly once with limit %i', async (limit) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let calls = 0;
    do {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await call('GET', `/integrations/stripe/data/customers?${query}`, apiKey);
      expect(res.status).toBe(200);
      const customers = res.body.customers as Array<{ id: string }>;
      expect(customers.length).toBeLessThanOrEqual(limit);
      seen.push(...customers.map((c) => c.id));
      cursor = res.body.next_cursor as string | null;
      calls++;
    } while (cursor && calls < 50);
    expect(seen).toHaveLength(RECORDS);
    expect(new Set(seen).size).toBe(RECORDS);
  });

  it.each([
    ['not a cursor', 'abc'],
    ['a tampered cursor', 'eyJ4IjoxfQ.AAAA'],
  ])('%s is a 400 naming cursor', async (_name, cursor) => {
    const res = await call('GET', `/integrations/stripe/data/customers?cursor=${cursor}`, apiKey);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ in: 'querystring', path: '/cursor' }));
  });

  it('an entity the platform does not have is 404', async () => {
    expect((await call('GET', '/integrations/stripe/data/nope', apiKey)).status).toBe(404);
  });

  it('health checks the credentials live', async () => {
    const res = await call('GET', '/integrations/stripe/health', apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ healthy: true, rate_limit: { model: expect.any(String) } });
    expect(typeof res.body.latency_ms).toBe('number');
  });
});

describe('several connections to one platform', () => {
  it('answers 409 listing them when none is named, and uses the one named', async () => {
    const { apiKey } = await service.tenant();
    const first = (await connectStripe(apiKey, 'EU')).body.connection as { connection_id: string };
    await connectStripe(apiKey, 'US');
    const ambiguous = await call('GET', '/integrations/stripe/health', apiKey);
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.connections).toHaveLength(2);
    const named = await call('GET', `/integrations/stripe/health?connection_id=${first.connection_id}`, apiKey);
    expect(named.status).toBe(200);
  });
});

describe('disconnect', () => {
  it('erases the credentials; the connection is gone from every route', async () => {
    const { apiKey, tenantId } = await service.tenant();
    const { connection_id: id } = (await connectStripe(apiKey)).body.connection as { connection_id: string };
    const res = await call('POST', '/integrations/stripe/disconnect', apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connection: { connection_id: id, status: 'disconnected' }, revoked: false });
    const row = await service.ctx.db
      .selectFrom('platform_connections')
      .select(['auth_data', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ auth_data: null, status: 'disconnected' });
    expect((await call('GET', '/integrations/stripe/data/customers', apiKey)).status).toBe(404);
    expect((await call('GET', '/integrations/connections', apiKey)).body.connections).toEqual([]);
  });
});

describe('tenants never see each other', () => {
  it('another tenant’s connection answers 404 on every route, never 403', async () => {
    const owner = await service.tenant('Owner');
    const other = await service.tenant('Other');
    const { connection_id: id } = (await connectStripe(owner.apiKey)).body.connection as { connection_id: string };
    const probes: Array<['GET' | 'POST', string]> = [
      ['GET', `/integrations/stripe/health?connection_id=${id}`],
      ['GET', `/integrations/stripe/data/customers?connection_id=${id}`],
      ['POST', `/integrations/stripe/disconnect?connection_id=${id}`],
      ['GET', '/integrations/stripe/health'],
      ['GET', '/integrations/stripe/data/customers'],
    ];
    for (const [method, url] of probes) {
      expect((await call(method, url, other.apiKey)).status, `${method} ${url}`).toBe(404);
    }
    expect((await call('GET', '/integrations/connections', other.apiKey)).body.connections).toEqual([]);
    expect((await call('GET', `/integrations/stripe/health?connection_id=${id}`, owner.apiKey)).status).toBe(200);
  });

  it.each([
    ['no key', undefined],
    ['a malformed key', 'nope'],
    ['a well-formed key that does not exist', `egk_${'0'.repeat(32)}_${'0'.repeat(32)}_${'A'.repeat(43)}`],
  ])('%s is 401', async (_name, key) => {
    const res = await service.app.inject({
      method: 'GET',
      url: '/integrations/connections',
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('adapters kept between requests', () => {
  it('reuses a connection’s adapter until its stored credentials change', async () => {
    const { AdapterPool } = await import('../../src/service/adapter-pool.js');
    const { getConnection, saveCredentials } = await import('../../src/db/repositories/connection-repository.js');
    const { apiKey, tenantId } = await service.tenant();
    const { connection_id: id } = (await connectStripe(apiKey)).body.connection as { connection_id: string };
    const pool = new AdapterPool(service.ctx);
    const read = async () => (await getConnection(service.ctx.db, tenantId, id, { withCredentials: true }))!;
    const first = await pool.get(await read());
    expect(await pool.get(await read())).toBe(first);
    // New credentials stored for this row (as a token refresh stores them): a new adapter is built.
    await saveCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, id, { apiKey: STRIPE_KEY });
    const changed = await pool.get(await read());
    expect(changed).not.toBe(first);
    expect(await pool.get(await read())).toBe(changed);
    await pool.closeAll();
  });
});
