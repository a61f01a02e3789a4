import { afterEach, describe, expect, it } from 'vitest';
import {
  AdapterError,
  type AdapterOptions,
  BaseAdapter,
  type FetchParams,
  type ListParams,
  NotFoundError,
  type PlatformMeta,
} from '../../src/runtime/index.js';
import { json, type LoopbackServer, startServer } from './support/loopback-server.js';
import { entity, makeMeta } from './support/test-meta.js';

interface AcmeCustomer {
  id: string;
  email?: string;
  created: number;
  profile?: { name: string };
}
interface AcmeItem {
  id: string;
}
type AcmeEntities = { customers: AcmeCustomer; items: AcmeItem; reports: { id: string }; leads: { Id: string } };
type AcmeCredentials = { apiKey: string };
type AcmeConnectionConfig = Record<string, never>;

/** Shaped like a generated adapter. */
class AcmeAdapter extends BaseAdapter<AcmeEntities, AcmeCredentials, AcmeConnectionConfig> {
  static readonly meta: PlatformMeta = makeMeta({
    auth: { kind: 'basic', usernameField: 'apiKey' },
    retry: {
      maxAttempts: 2,
      baseDelayMs: 1,
      maxDelayMs: 2,
      maxRetryAfterMs: 100,
      idempotencyHeader: 'Idempotency-Key',
    },
    entities: {
      customers: makeMeta().entities.customers as unknown as Record<string, unknown>,
      items: entity({
        path: '/items',
        itemPath: '/items/{id}/detail',
        itemQuery: { fields: 'id,name' },
        itemRecordPath: 'item',
        pagination: { kind: 'page', pageParam: 'page', limitParam: 'per_page', maxLimit: 2 },
      }),
      reports: entity({
        path: '/query',
        method: 'POST',
        recordsPath: 'rows',
        body: { q: 'SELECT id FROM reports{incremental}' },
        incremental: { kind: 'query-template', cursorField: 'modified', clause: ' WHERE modified > {since}' },
        pagination: { kind: 'none', reason: 'one page' },
      }),
      leads: entity({
        path: '/query',
        idField: 'Id',
        fields: { Id: 'string' },
        createPath: '/sobjects/Lead',
        write: ['create'],
        getById: false,
      }),
    },
  });
  constructor(options: AdapterOptions<AcmeCredentials, AcmeConnectionConfig>) {
    super(AcmeAdapter.meta, options);
  }
  listCustomers(params?: ListParams): AsyncIterable<AcmeCustomer> {
    return this.list('customers', params);
  }
  fetchCustomers(params?: FetchParams): Promise<AcmeCustomer[]> {
    return this.fetch('customers', params);
  }
  getCustomer(id: string): Promise<AcmeCustomer> {
    return this.get('customers', id);
  }
  createCustomer(body: Record<string, unknown>): Promise<AcmeCustomer> {
    return this.create('customers', body);
  }
  updateCustomer(id: string, body: Record<string, unknown>): Promise<AcmeCustomer> {
    return this.update('customers', id, body);
  }
  deleteCustomer(id: string): Promise<void> {
    return this.delete('customers', id);
  }
}

const customers: AcmeCustomer[] = Array.from({ length: 7 }, (_, i) => ({
  id: `cus_${i + 1}`,
  email: `c${i + 1}@acme.test`,
  created: 1_700_000_000 + i * 100,
}));

let server: LoopbackServer | undefined;
let adapter: AcmeAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await server?.close();
  adapter = undefined;
  server = undefined;
});

async function start(
  handler: Parameters<typeof startServer>[0],
  credentials: AcmeCredentials = { apiKey: 'sk_test_123' },
) {
  server = await startServer(handler);
  adapter = new AcmeAdapter({ credentials, connectionConfig: {}, baseUrl: server.url });
  return { server, adapter };
}

/** A Stripe-like customers API. */
function stripeLike(
  req: Parameters<Parameters<typeof startServer>[0]>[0],
  res: Parameters<Parameters<typeof startServer>[0]>[1],
) {
  if (req.method === 'GET' && req.path === '/customers') {
    const gte = Number(req.query.get('created[gte]') ?? 0);
    const all = customers.filter((c) => c.created >= gte);
    const after = req.query.get('starting_after');
    const start = after ? all.findIndex((c) => c.id === after) + 1 : 0;
    const limit = Number(req.query.get('limit'));
    return json(res, 200, {
      object: 'list',
      data: all.slice(start, start + limit),
      has_more: start + limit < all.length,
    });
  }
  const one = /^\/customers\/([^/]+)$/.exec(req.path);
  if (req.method === 'GET' && one) {
    const found = customers.find((c) => c.id === decodeURIComponent(one[1] ?? ''));
    return found ? json(res, 200, found) : json(res, 404, { error: { message: 'No such customer' } });
  }
  if (req.method === 'POST' && req.path === '/customers') return json(res, 200, { id: 'cus_new', form: req.body });
  if (req.method === 'PATCH' && one) return json(res, 200, { id: one[1], form: req.body });
  if (req.method === 'DELETE' && one) return json(res, 200, { id: one[1], deleted: true });
  if (req.path === '/account')
    return req.headers.authorization === `Basic ${Buffer.from('sk_test_123:').toString('base64')}`
      ? json(res, 200, {})
      : json(res, 401, { error: { message: 'Invalid API Key' } });
  return json(res, 404, {});
}

describe('BaseAdapter', () => {
  it('validates its hand-written meta with the platform schema', () => {
    expect(AcmeAdapter.meta.entities.customers?.writeBody.encoding).toBe('form');
    expect(AcmeAdapter.meta.retry.maxAttempts).toBe(2);
  });

  it('lists every record across all pages, authenticated, with the default page size', async () => {
    const { adapter, server } = await start(stripeLike);
    const seen: string[] = [];
    for await (const c of adapter.listCustomers()) seen.push(c.id);
    expect(seen).toEqual(customers.map((c) => c.id));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.query.get('limit')).toBe('10');
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('sk_test_123:').toString('base64')}`);
  });

  it('clamps pageSize to maxLimit and reads 3+ pages', async () => {
    const { adapter, server } = await start(stripeLike);
    const seen: string[] = [];
    for await (const c of adapter.list('customers', { pageSize: 5000 })) seen.push(c.id);
    expect(seen).toHaveLength(7);
    expect(server.requests[0]?.query.get('limit')).toBe('100');
    const small = adapter.list('customers', { pageSize: 3 });
    const ids: string[] = [];
    for await (const c of small) ids.push(c.id);
    expect(ids).toHaveLength(7);
    expect(server.requests.slice(1).map((r) => r.query.get('starting_after'))).toEqual([null, 'cus_3', 'cus_6']);
  });

  it('stops at limit without requesting further pages', async () => {
    const { adapter, server } = await start(stripeLike);
    const seen: string[] = [];
    for await (const c of adapter.list('customers', { limit: 4, pageSize: 3 })) seen.push(c.id);
    expect(seen).toEqual(['cus_1', 'cus_2', 'cus_3', 'cus_4']);
    expect(server.requests).toHaveLength(2);
  });

  it('sends since as the entity query parameter in its format', async () => {
    const { adapter, server } = await start(stripeLike);
    const since = new Date((1_700_000_000 + 450) * 1000 + 999);
    const seen: string[] = [];
    for await (const c of adapter.listCustomers({ since })) seen.push(c.id);
    expect(server.requests[0]?.query.get('created[gte]')).toBe('1700000450');
    expect(seen).toEqual(['cus_6', 'cus_7']);
  });

  it('fetch filters dateTo client-side on the cursor field and applies limit', async () => {
    const { adapter } = await start(stripeLike);
    const rows = await adapter.fetchCustomers({
      dateFrom: new Date(1_700_000_100_000),
      dateTo: new Date(1_700_000_400_000),
    });
    expect(rows.map((r) => r.id)).toEqual(['cus_2', 'cus_3', 'cus_4']);
    expect((await adapter.fetchCustomers({ limit: 2 })).map((r) => r.id)).toEqual(['cus_1', 'cus_2']);
  });

  it('gets one record by id, percent-encoding the id', async () => {
    const { adapter, server } = await start(stripeLike);
    expect(await adapter.getCustomer('cus_2')).toMatchObject({ id: 'cus_2' });
    await expect(adapter.getCustomer('a/b')).rejects.toBeInstanceOf(NotFoundError);
    expect(server.requests[1]?.url).toBe('/customers/a%2Fb');
  });

  it('creates with Stripe-style nested form encoding and an idempotency key', async () => {
    const { adapter, server } = await start(stripeLike);
    const created = (await adapter.createCustomer({
      email: 'new@acme.test',
      metadata: { plan: 'pro' },
      tags: ['a', 'b'],
    })) as unknown as { form: string };
    expect(created.form).toBe('email=new%40acme.test&metadata%5Bplan%5D=pro&tags%5B0%5D=a&tags%5B1%5D=b');
    const request = server.requests[0];
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['idempotency-key']).toBeDefined();
  });

  it('updates with the configured method and deletes', async () => {
    const { adapter, server } = await start(stripeLike);
    await adapter.updateCustomer('cus_1', { email: 'x@acme.test' });
    await adapter.deleteCustomer('cus_1');
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /customers/cus_1',
      'DELETE /customers/cus_1',
    ]);
  });

  it('uses itemPath and itemRecordPath, and entity-level pagination', async () => {
    const { adapter, server } = await start((req, res) => {
      if (req.path === '/items/i%201/detail') return json(res, 200, { item: { id: 'i 1' } });
      const page = Number(req.query.get('page'));
      return json(res, 200, { data: page <= 3 ? [{ id: `i${page}a` }, { id: `i${page}b` }] : [] });
    });
    expect(await adapter.get('items', 'i 1')).toEqual({ id: 'i 1' });
    expect(server.requests[0]?.query.get('fields')).toBe('id,name');
    const seen: string[] = [];
    for await (const i of adapter.list('items', { pageSize: 50 })) seen.push(i.id);
    expect(seen).toEqual(['i1a', 'i1b', 'i2a', 'i2b', 'i3a', 'i3b']);
    expect(server.requests[1]?.query.get('per_page')).toBe('2');
  });

  it('fills the query-template clause into a POST body, and removes it without since', async () => {
    const { adapter, server } = await start((_req, res) => json(res, 200, { rows: [{ id: 'r1' }] }));
    for await (const _ of adapter.list('reports', { since: new Date('2024-05-01T10:00:00.250Z') })) {
      // drain
    }
    for await (const _ of adapter.list('reports')) {
      // drain
    }
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([
      { q: 'SELECT id FROM reports WHERE modified > 2024-05-01T10:00:00Z' },
      { q: 'SELECT id FROM reports' },
    ]);
  });

  it('creates at createPath and refuses get where getById is false', async () => {
    const { adapter, server } = await start((_req, res) => json(res, 201, { id: '00Q1', success: true }));
    await adapter.create('leads', { LastName: 'Lovelace' });
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      'POST /sobjects/Lead {"LastName":"Lovelace"}',
    ]);
    await expect(adapter.get('leads', '00Q1')).rejects.toThrow(/cannot be read by id/);
  });

  it.each([
    ['create', () => adapter!.create('items', {})],
    ['update', () => adapter!.update('items', 'x', {})],
    ['delete', () => adapter!.delete('items', 'x')],
  ])('refuses %s where the entity does not allow it', async (op, call) => {
    await start(stripeLike);
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toContain(`"${op}" is not supported for entity "items"`);
  });

  it('names an unknown entity and lists the known ones', async () => {
    const { adapter } = await start(stripeLike);
    expect(() => adapter.list('invoices' as 'customers')).toThrow(
      /unknown entity "invoices"; known entities: customers, items, leads, reports/,
    );
  });

  it('testConnection is true with good credentials and false on 401', async () => {
    const good = await start(stripeLike);
    expect(await good.adapter.testConnection()).toBe(true);
    await good.adapter.close();
    adapter = new AcmeAdapter({ credentials: { apiKey: 'sk_wrong' }, connectionConfig: {}, baseUrl: good.server.url });
    expect(await adapter.testConnection()).toBe(false);
  });

  it('testConnection is false, not a throw, when the credential is missing or the server is gone', async () => {
    const { adapter, server } = await start(stripeLike, { apiKey: '' });
    expect(await adapter.testConnection()).toBe(false);
    expect(server.requests).toHaveLength(0);
    await server.close();
    const offline = new AcmeAdapter({
      credentials: { apiKey: 'sk_test_123' },
      connectionConfig: {},
      baseUrl: server.url,
    });
    expect(await offline.testConnection()).toBe(false);
    await offline.close();
  });

  it('normalizes a record with its mapping', async () => {
    const { adapter } = await start(stripeLike);
    expect(
      adapter.normalize('customers', { id: 'cus_1', email: 'a@acme.test', created: 1, profile: { name: 'Ada' } }),
    ).toEqual({
      type: 'Customer',
      platform: 'acme',
      id: 'cus_1',
      raw: { id: 'cus_1', email: 'a@acme.test', created: 1, profile: { name: 'Ada' } },
      email: 'a@acme.test',
      name: 'Ada',
    });
  });

  it('supports await using', async () => {
    server = await startServer(stripeLike);
    {
      await using scoped = new AcmeAdapter({
        credentials: { apiKey: 'sk_test_123' },
        connectionConfig: {},
        baseUrl: server.url,
      });
      expect(await scoped.testConnection()).toBe(true);
    }
  });
});
