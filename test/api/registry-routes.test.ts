/**
 * The registry routes (public), the API's own OpenAPI description, and the per-tenant rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ env: { ENGARDE_API_RATE_LIMIT: '5' } });
});
afterAll(async () => {
  await service?.close();
});

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await service.app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
};

describe('GET /integrations/registry', () => {
  it('lists all 195 platforms, sorted by id, each with what it offers', async () => {
    const { status, body } = await get('/integrations/registry');
    expect(status).toBe(200);
    const integrations = body.integrations as Array<{ id: string }>;
    expect(body.total).toBe(195);
    expect(integrations.map((i) => i.id)).toEqual([...integrations.map((i) => i.id)].sort());
    expect(integrations.find((i) => i.id === 'shopify')).toMatchObject({
      name: 'Shopify',
      category: 'ecommerce',
      auth_kind: 'oauth2',
      supports: { oauth: true, webhooks: true },
    });
  });

  it.each([
    ['category', '?category=payments', (i: { category: string }) => i.category === 'payments'],
    ['auth kind', '?auth_kind=api_key', (i: { auth_kind: string }) => i.auth_kind === 'api_key'],
    ['words', '?q=stripe', (i: object) => JSON.stringify(i).toLowerCase().includes('stripe')],
  ])('filters by %s', async (_name, query, keep) => {
    const { body } = await get(`/integrations/registry${query}`);
    const integrations = body.integrations as never[];
    expect(integrations.length).toBeGreaterThan(0);
    expect(integrations.every(keep as (i: never) => boolean)).toBe(true);
    expect(body.total).toBe(integrations.length);
  });

  it('answers 304 to a client that has the current answer (ETag)', async () => {
    const first = await service.app.inject({ method: 'GET', url: '/integrations/registry?category=crm' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await service.app.inject({
      method: 'GET',
      url: '/integrations/registry?category=crm',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('an unknown query parameter is a 400 naming it', async () => {
    const { status, body } = await get('/integrations/registry?colour=red');
    expect(status).toBe(400);
    expect(body.type).toBe('about:blank');
  });
});

describe('GET /integrations/registry/{id}', () => {
  it('publishes the credential and connection-config schemas connect takes, by the adapters’ own names', async () => {
    const { status, body } = await get('/integrations/registry/shopify');
    expect(status).toBe(200);
    const integration = body.integration as Record<string, Record<string, unknown>>;
    expect(integration.credentials_schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['accessToken']),
      properties: { accessToken: { type: 'string', writeOnly: true } },
      additionalProperties: false,
    });
    expect(integration.connection_config_schema).toMatchObject({
      required: expect.arrayContaining(['shop']),
      properties: { shop: { type: 'string', pattern: expect.any(String) } },
    });
    expect(integration.oauth).toMatchObject({ scopes: expect.any(Array) });
  });

  it('an unknown platform is a 404 problem', async () => {
    const { status, headers } = await get('/integrations/registry/shopfy');
    expect(status).toBe(404);
    expect(headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('our own API description', () => {
  it('/openapi.json describes the routes, with the tenant key scheme', async () => {
    const { status, body } = await get('/openapi.json');
    expect(status).toBe(200);
    const paths = Object.keys(body.paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/integrations/registry',
        '/integrations/connections',
        '/integrations/{integration_id}/connect',
        '/integrations/{integration_id}/data/{entity_type}',
        '/platform-integrations/oauth/initiate',
      ]),
    );
    expect(JSON.stringify(body.components)).toContain('tenantKey');
  });
});

describe('the per-tenant rate limit', () => {
  it('answers 429 as a problem past the limit, for that tenant only', async () => {
    const a = await service.tenant('Busy');
    const b = await service.tenant('Quiet');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await get('/integrations/connections', service.auth(a.apiKey))).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await get('/integrations/connections', service.auth(a.apiKey));
    expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await get('/integrations/connections', service.auth(b.apiKey))).status).toBe(200);
  });
});
