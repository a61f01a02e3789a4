/**
 * Writes against the config-driven emulator, through the real generated adapters: what an adapter creates, updates
 * and deletes is what it (and the emulator's control) reads back, listings and `since` filters included; writes the
 * config does not allow are refused; a repeated idempotency key writes once; the validation rule answers 422; and
 * records a test changes through the control ("on the platform") show up in the adapter's incremental listings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAdapterRegistry } from 'engarde';
import {
  AdapterError,
  type AnyAdapter,
  ApiError,
  type EntityConfig,
  NotFoundError,
  type PlatformMeta,
} from 'engarde/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import {
  INVALID_VALUE,
  type OpenApiSchemas,
  type RunningConfigDrivenEmulator,
  startConfigDrivenEmulator,
} from '../../src/sandbox/config-driven/index.js';
import { type ManualClock, manualClock } from '../../src/sandbox/index.js';
import { call } from './http-helpers.js';

type Row = Record<string, unknown>;

const registry = getAdapterRegistry();
const root = fileURLToPath(new URL('../../', import.meta.url));
/** Platforms that answer XML (see test/adapters/catalogue-adapters.test.ts). */
const XML_PLATFORMS: ReadonlySet<string> = new Set(['amazon-s3', 'azure-blob-storage']);
/** Records seeded per entity: created records get the next index (`…-0006`, `1006`). */
const SEEDED = 5;
/** The emulator's clock at the start of each test, and a day later (midnight, so date cursors compare too). */
const JUNE_1 = Date.UTC(2026, 5, 1);
const JUNE_2 = Date.UTC(2026, 5, 2);

/** The adapter's own `static meta`, read through the registry. */
async function metaOf(id: string): Promise<PlatformMeta> {
  const probe = await registry.create(
    id as never,
    {
      credentials: {},
      connectionConfig: {},
      baseUrl: 'http://127.0.0.1:9',
      rateLimiter: false,
    } as never,
  );
  await (probe as AnyAdapter).close();
  return (probe as AnyAdapter).meta;
}

function openapiOf(meta: PlatformMeta): OpenApiSchemas | undefined {
  const file = meta.openapi?.file;
  if (!file || !existsSync(`${root}${file}`)) return undefined;
  return JSON.parse(readFileSync(`${root}${file}`, 'utf8')) as OpenApiSchemas;
}

interface Harness {
  emulator: RunningConfigDrivenEmulator;
  adapter: AnyAdapter;
  clock: ManualClock;
  /** Every answer the emulator gave: method, path and status. */
  answers: Array<{ method: string; path: string; status: number; headers: Record<string, string> }>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.adapter.close();
    await h.emulator.close();
  }
});

/** The platform's config-driven emulator on a manual clock (2026-06-01), and its adapter on the same clock. */
async function harness(meta: PlatformMeta): Promise<Harness> {
  const clock = manualClock(JUNE_1);
  const answers: Harness['answers'] = [];
  const emulator = await startConfigDrivenEmulator(meta, {
    records: SEEDED,
    openapi: openapiOf(meta),
    now: clock.now,
    // The adapter's rate limiter is off, and the clock stands still: the platform's limit would refuse traffic
    // that is not what these tests are about (config-driven-rate-limits.test.ts is).
    rateLimit: false,
    responseFormat: XML_PLATFORMS.has(meta.id) ? 'xml' : 'json',
    onRequest: (request, response) =>
      answers.push({
        method: request.method,
        path: request.url.pathname,
        status: response.status,
        headers: response.headers ?? {},
      }),
  });
  const adapter = (await registry.create(
    meta.id as never,
    {
      ...emulator.adapterOptions(),
      retry: { maxAttempts: 1 },
      rateLimiter: false,
      now: clock.now,
      sleep: clock.sleep,
    } as never,
  )) as AnyAdapter;
  const h = { emulator, adapter, clock, answers };
  open.push(h);
  return h;
}

const idOf = (record: unknown, config: EntityConfig) => String(getPath(record, config.idField));
const mentions = (record: unknown, text: string) => JSON.stringify(record).includes(text);

async function listed(adapter: AnyAdapter, entity: string, since?: Date): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of adapter.list(entity, since ? { since } : {})) out.push(record);
  return out;
}

const platforms = await Promise.all(registry.platforms().map((info) => metaOf(info.id)));
const writable = platforms.flatMap((meta) =>
  Object.entries(meta.entities)
    .filter(([, config]) => config.write.length > 0)
    .map(([entity, config]) => ({ meta, entity, config })),
);

describe('every catalogue entity that allows writes', () => {
  it('the catalogue has writable entities of every body encoding', () => {
    const encodings = new Set(writable.map((w) => w.config.writeBody.encoding));
    expect([...encodings].sort()).toEqual(['form', 'form-json-values', 'json']);
  });

  it.each(writable.map((w) => [`${w.meta.id} ${w.entity} (${w.config.write.join(', ')})`, w] as const))(
    '%s: the adapter reads back what it wrote',
    async (_, { meta, entity, config }) => {
      const { emulator, adapter, clock } = await harness(meta);
      const { control } = emulator;
      const idsStored = () => control.records(entity).map((r) => idOf(r, config));

      let id: string;
      if (config.write.includes('create')) {
        const created = await adapter.create(entity, { engarde_note: 'created-by-adapter' });
        id = idOf(created, config);
        expect(idsStored().at(-1), 'a created record goes at the end of the list').toBe(id);
        expect(mentions(control.records(entity).at(-1), 'created-by-adapter')).toBe(true);
        if (config.getById) expect(mentions(await adapter.get(entity, id), 'created-by-adapter')).toBe(true);
      } else {
        id = idOf(control.insertRecord(entity), config);
      }

      if (config.write.includes('update')) {
        clock.set(JUNE_2);
        const updated = await adapter.update(entity, id, { engarde_note: 'updated-by-adapter' });
        expect(mentions(updated, 'updated-by-adapter')).toBe(true);
        expect(idOf(updated, config)).toBe(id);
        if (config.incremental.kind === 'query-param' || config.incremental.kind === 'header') {
          const since = await listed(adapter, entity, new Date(JUNE_2));
          expect(since.map((r) => idOf(r, config))).toEqual([id]);
        }
      }

      if (config.write.includes('delete')) {
        await adapter.delete(entity, id);
        expect(idsStored()).not.toContain(id);
        if (config.getById) await expect(adapter.get(entity, id)).rejects.toBeInstanceOf(NotFoundError);
      }
    },
  );
});

const metaById = new Map(platforms.map((meta) => [meta.id, meta]));
function metaFor(id: string): PlatformMeta {
  const meta = metaById.get(id);
  if (!meta) throw new Error(`no ${id} adapter in the registry`);
  return meta;
}
const entityOf = (meta: PlatformMeta, entity: string) => meta.entities[entity] as EntityConfig;
const cursorFieldOf = (config: EntityConfig) =>
  config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Headers of an authenticated raw request, for platforms that take a bearer token or an API key in a header (raw
 * requests show what the adapter never sends: refused methods, bodies it would not encode).
 */
function rawHeaders(meta: PlatformMeta, credentials: Record<string, unknown>): Record<string, string> {
  const fill = (template: string) =>
    template.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === 'apiVersion' ? meta.apiVersion : String(credentials[name] ?? ''),
    );
  const headers = Object.fromEntries(Object.entries(meta.headers).map(([name, value]) => [name, fill(value)]));
  const auth = meta.auth;
  if (auth.kind === 'bearer') headers[auth.header.name] = fill(auth.header.value);
  else if (auth.kind === 'api_key' && auth.in === 'header') headers[auth.name] = fill(auth.value);
  else throw new Error(`raw requests to ${meta.id} (${auth.kind} auth) are not supported here`);
  return headers;
}

interface RoundTrip {
  platform: string;
  entity: string;
  create: Row;
  /** Part of what the adapter gets back from the create. */
  created: Row;
  /** The new record's id: the next in the seeded ids' shape and type. */
  id: string | number;
  update: Row;
  updated: Row;
  /** The cursor field's value for a write at an instant (epoch ms), where the entity has a cursor. */
  cursorAt?: (ms: number) => unknown;
  /** Statuses of the create, update and delete answers. */
  statuses: [number, number, number];
}

const roundTrips: Array<[string, RoundTrip]> = [
  [
    'stripe customers: a form body (metadata in brackets), updated by POST',
    {
      platform: 'stripe',
      entity: 'customers',
      create: { email: 'ada@example.com', name: 'Ada', metadata: { plan: 'pro' } },
      created: { object: 'customer', email: 'ada@example.com', name: 'Ada', metadata: { plan: 'pro' } },
      id: 'customers-0006',
      update: { name: 'Ada Lovelace', metadata: { tier: 'gold' } },
      updated: { email: 'ada@example.com', name: 'Ada Lovelace', metadata: { plan: 'pro', tier: 'gold' } },
      statuses: [200, 200, 204],
    },
  ],
  [
    'shopify customers: JSON wrapped in "customer", answered at "customer", updated by PUT, ISO 8601 cursor',
    {
      platform: 'shopify',
      entity: 'customers',
      create: { email: 'ada@example.com', first_name: 'Ada', addresses: [{ city: 'London' }] },
      created: {
        email: 'ada@example.com',
        first_name: 'Ada',
        addresses: [{ city: 'London' }],
        created_at: iso(JUNE_1),
      },
      id: 1006,
      update: { first_name: 'Grace' },
      updated: { email: 'ada@example.com', first_name: 'Grace', created_at: iso(JUNE_1) },
      cursorAt: iso,
      statuses: [201, 200, 204],
    },
  ],
  [
    'hubspot contacts: "properties" is a field of the record, merged key by key on PATCH',
    {
      platform: 'hubspot',
      entity: 'contacts',
      create: { email: 'ada@example.com', firstname: 'Ada' },
      created: { properties: { email: 'ada@example.com', firstname: 'Ada' } },
      id: 'contacts-0006',
      update: { firstname: 'Grace' },
      updated: { properties: { email: 'ada@example.com', firstname: 'Grace' } },
      statuses: [201, 200, 204],
    },
  ],
  [
    'clover items: JSON, updated by POST, epoch-millisecond cursor',
    {
      platform: 'clover',
      entity: 'items',
      create: { name: 'Espresso', price: 250 },
      created: { name: 'Espresso', price: 250 },
      id: 'items-0006',
      update: { price: 275 },
      updated: { name: 'Espresso', price: 275 },
      cursorAt: (ms) => ms,
      statuses: [201, 200, 204],
    },
  ],
  [
    "meta-ads campaigns: a form with JSON values, updated by POST to the Graph API's /{id}",
    {
      platform: 'meta-ads',
      entity: 'campaigns',
      create: { name: 'Spring', objective: 'OUTCOME_TRAFFIC', special_ad_categories: [], status: 'PAUSED' },
      created: { name: 'Spring', objective: 'OUTCOME_TRAFFIC', special_ad_categories: [], status: 'PAUSED' },
      id: 'campaigns-0006',
      update: { name: 'Summer' },
      updated: { name: 'Summer', objective: 'OUTCOME_TRAFFIC' },
      cursorAt: iso,
      statuses: [200, 200, 204],
    },
  ],
];

describe('writes through the generated adapter', () => {
  it.each(roundTrips)('%s: create → get → update → list (since) → delete → get is 404', async (_, c) => {
    const meta = metaFor(c.platform);
    const config = entityOf(meta, c.entity);
    const cursorField = cursorFieldOf(config);
    const { adapter, clock, answers } = await harness(meta);
    const ids = (rows: unknown[]) => rows.map((r) => idOf(r, config));

    const created = (await adapter.create(c.entity, c.create)) as Row;
    expect(created).toMatchObject(c.created);
    expect(getPath(created, config.idField)).toBe(c.id);
    if (c.cursorAt && cursorField) expect(getPath(created, cursorField)).toEqual(c.cursorAt(JUNE_1));
    const id = String(c.id);
    expect(await adapter.get(c.entity, id)).toEqual(created);

    clock.set(JUNE_2);
    const updated = (await adapter.update(c.entity, id, c.update)) as Row;
    expect(updated).toMatchObject(c.updated);
    expect(getPath(updated, config.idField)).toBe(c.id);
    if (c.cursorAt && cursorField) expect(getPath(updated, cursorField)).toEqual(c.cursorAt(JUNE_2));
    expect(await adapter.get(c.entity, id)).toEqual(updated);

    const all = await listed(adapter, c.entity);
    expect(all).toHaveLength(SEEDED + 1);
    expect(all.at(-1), 'a created record is listed last, as it was changed').toEqual(updated);
    if (config.incremental.kind === 'query-param' || config.incremental.kind === 'header') {
      expect(ids(await listed(adapter, c.entity, new Date(JUNE_2)))).toEqual([id]);
    }

    await adapter.delete(c.entity, id);
    await expect(adapter.get(c.entity, id)).rejects.toBeInstanceOf(NotFoundError);
    expect(ids(await listed(adapter, c.entity))).not.toContain(id);
    expect(answers.filter((a) => a.method !== 'GET').map((a) => a.status)).toEqual(c.statuses);
  });

  it('stripe charges: form values take the types the records have (amount a number, captured a boolean)', async () => {
    const { adapter } = await harness(metaFor('stripe'));
    const created = await adapter.create('charges', {
      amount: 2000,
      currency: 'usd',
      captured: true,
      metadata: { order: '42' },
    });
    expect(created).toMatchObject({ amount: 2000, currency: 'usd', captured: true, metadata: { order: '42' } });
  });

  it('stripe customers: a create after the control took the next id gets the one after it', async () => {
    const { adapter, emulator } = await harness(metaFor('stripe'));
    emulator.control.insertRecord('customers', { id: 'customers-0006' });
    const created = await adapter.create('customers', { email: 'ada@example.com' });
    expect(created).toMatchObject({ id: 'customers-0007', email: 'ada@example.com' });
  });
});

describe('idempotency keys', () => {
  const creates: Array<[string, string, string, Row]> = [
    ['stripe customers (form)', 'stripe', 'customers', { email: 'ada@example.com' }],
    ['gocardless customers (JSON wrapped in "customers")', 'gocardless', 'customers', { email: 'ada@example.com' }],
  ];

  it.each(creates)(
    '%s: a create repeated with its key answers the first record and creates once',
    async (_, platform, entity, body) => {
      const { adapter, emulator, answers, clock } = await harness(metaFor(platform));
      const first = await adapter.create(entity, body, { idempotencyKey: 'signup-42' });
      clock.advance(60_000);
      const again = await adapter.create(entity, body, { idempotencyKey: 'signup-42' });
      expect(again).toEqual(first);
      expect(answers.at(-1)?.headers['idempotent-replayed']).toBe('true');
      expect(emulator.control.records(entity)).toHaveLength(SEEDED + 1);

      // Without a key from the caller, the runtime sends a fresh one with each write: two creates, two records.
      await adapter.create(entity, body);
      await adapter.create(entity, body);
      expect(emulator.control.records(entity)).toHaveLength(SEEDED + 3);
    },
  );

  it('stripe customers: an update repeated with its key answers the first result and writes once', async () => {
    const { adapter, emulator } = await harness(metaFor('stripe'));
    const first = await adapter.update('customers', 'customers-0001', { name: 'Ada' }, { idempotencyKey: 'rename-1' });
    emulator.control.updateRecord('customers', 'customers-0001', { name: 'Changed on the platform' });
    const again = await adapter.update('customers', 'customers-0001', { name: 'Ada' }, { idempotencyKey: 'rename-1' });
    expect(again).toEqual(first);
    expect(emulator.control.records('customers')[0]).toMatchObject({ name: 'Changed on the platform' });
  });

  it('stripe customers: a key reused with another body is refused with 400, and nothing is written', async () => {
    const { adapter, emulator } = await harness(metaFor('stripe'));
    await adapter.create('customers', { email: 'ada@example.com' }, { idempotencyKey: 'signup-1' });
    const error = await adapter
      .create('customers', { email: 'grace@example.com' }, { idempotencyKey: 'signup-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('same parameters');
    expect(emulator.control.records('customers')).toHaveLength(SEEDED + 1);
  });
});

describe('writes the config does not allow', () => {
  const operations: Array<[string, string, string, 'create' | 'update' | 'delete']> = [
    ['stripe charges cannot be deleted', 'stripe', 'charges', 'delete'],
    ['gocardless payouts are read-only', 'gocardless', 'payouts', 'create'],
    ['loyverse customers cannot be updated', 'loyverse', 'customers', 'update'],
  ];

  it.each(operations)('%s: the adapter refuses before sending anything', async (_, platform, entity, operation) => {
    const meta = metaFor(platform);
    const { adapter, emulator } = await harness(meta);
    const id = idOf(emulator.control.records(entity)[0], entityOf(meta, entity));
    const sent = emulator.requests.length;
    const error = await (operation === 'create'
      ? adapter.create(entity, {})
      : operation === 'update'
        ? adapter.update(entity, id, {})
        : adapter.delete(entity, id)
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).not.toBeInstanceOf(ApiError);
    expect(emulator.requests.length).toBe(sent);
  });

  const requests: Array<[string, string, string, string, string]> = [
    ['stripe: DELETE of a charge', 'stripe', 'DELETE', '/charges/charges-0001', 'GET, POST'],
    ['gocardless: POST of a payout', 'gocardless', 'POST', '/payouts', 'GET'],
    ['clover: PATCH of an item (clover updates by POST)', 'clover', 'PATCH', '/items/items-0001', 'GET, POST, DELETE'],
  ];

  it.each(requests)('%s is answered 405 with the methods the path takes', async (_, platform, method, path, allow) => {
    const meta = metaFor(platform);
    const { emulator } = await harness(meta);
    const before = emulator.control.records(path.split('/')[1] as string);
    const response = await call(emulator.origin, `${emulator.baseUrl}${path}`, {
      method,
      headers: rawHeaders(meta, emulator.control.credentials),
      ...(method === 'DELETE' ? {} : { json: { name: 'x' } }),
    });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.body).toMatchObject({ error: { code: 'method_not_allowed' } });
    expect(emulator.control.records(path.split('/')[1] as string)).toEqual(before);
  });
});

describe('refused bodies', () => {
  it.each([
    ['stripe customers: a create (form)', 'stripe', 'customers', 'create', { email: INVALID_VALUE }, 'email'],
    [
      'shopify customers: an update (JSON wrapped in "customer")',
      'shopify',
      'customers',
      'update',
      { addresses: [{ city: INVALID_VALUE }] },
      'addresses.0.city',
    ],
    [
      'hubspot contacts: a create (into the "properties" field)',
      'hubspot',
      'contacts',
      'create',
      { firstname: INVALID_VALUE },
      'properties.firstname',
    ],
  ] as const)(
    '%s with "__invalid__" in a field is refused with 422 naming the field, and writes nothing',
    async (_, platform, entity, operation, body, field) => {
      const meta = metaFor(platform);
      const { adapter, emulator } = await harness(meta);
      const before = emulator.control.records(entity);
      const id = idOf(before[0], entityOf(meta, entity));
      const error = await (operation === 'create'
        ? adapter.create(entity, body)
        : adapter.update(entity, id, body)
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 422, body: { error: { field } } });
      expect((error as Error).message).toContain(`${field} is invalid`);
      expect(emulator.control.records(entity)).toEqual(before);
    },
  );

  it.each([
    [
      'a JSON array',
      'gocardless',
      '/customers',
      { json: [{ email: 'a@example.com' }] },
      'the body must be a JSON object',
    ],
    [
      'a record not wrapped in "customers"',
      'gocardless',
      '/customers',
      { json: { email: 'a@example.com' } },
      '"customers"',
    ],
    ['JSON where the platform takes a form', 'stripe', '/customers', { json: { email: 'a@example.com' } }, 'form body'],
    ['a form where the platform takes JSON', 'clover', '/items', { form: { name: 'Espresso' } }, 'JSON body'],
  ] as const)('%s is refused with 400', async (_, platform, path, request, message) => {
    const meta = metaFor(platform);
    const { emulator } = await harness(meta);
    const entity = path.slice(1);
    const response = await call(emulator.origin, `${emulator.baseUrl}${path}`, {
      method: 'POST',
      headers: rawHeaders(meta, emulator.control.credentials),
      ...request,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect((response.body as { error: { message: string } }).error.message).toContain(message);
    expect(emulator.control.records(entity)).toHaveLength(SEEDED);
  });
});

describe('records changed through the control, as if on the platform', () => {
  const cursors: Array<[string, string, string, (ms: number) => unknown]> = [
    ['shopify customers (ISO 8601 updated_at)', 'shopify', 'customers', iso],
    ['clickup tasks (epoch milliseconds as text in date_updated)', 'clickup', 'tasks', (ms) => String(ms)],
    ['chargebee customers (epoch-second customer.updated_at)', 'chargebee', 'customers', (ms) => Math.floor(ms / 1000)],
  ];

  it.each(cursors)(
    '%s: inserts, updates and deletes show in `since` listings',
    async (_, platform, entity, cursorAt) => {
      const meta = metaFor(platform);
      const config = entityOf(meta, entity);
      const cursorField = cursorFieldOf(config) as string;
      const { adapter, emulator, clock } = await harness(meta);
      const { control } = emulator;
      const ids = (rows: unknown[]) => rows.map((r) => idOf(r, config));
      const seeded = control.records(entity);
      const since = new Date(JUNE_2);
      clock.set(JUNE_2);

      const inserted = control.insertRecord(entity, { note: 'made on the platform' });
      expect(getPath(inserted, cursorField)).toEqual(cursorAt(JUNE_2));
      expect(typeof getPath(inserted, config.idField)).toBe(typeof getPath(seeded[0], config.idField));
      const changedId = idOf(seeded[1], config);
      const changed = control.updateRecord(entity, changedId, { note: 'changed on the platform' });
      expect(changed).toMatchObject({ note: 'changed on the platform' });
      expect(getPath(changed, cursorField)).toEqual(cursorAt(JUNE_2));

      // List order is the store's: the changed record keeps its place, the new one comes last.
      expect(ids(await listed(adapter, entity, since))).toEqual([changedId, idOf(inserted, config)]);
      expect(ids(await listed(adapter, entity))).toEqual([...ids(seeded), idOf(inserted, config)]);

      expect(control.deleteRecord(entity, idOf(inserted, config))).toBe(true);
      expect(control.deleteRecord(entity, idOf(inserted, config))).toBe(false);
      expect(ids(await listed(adapter, entity, since))).toEqual([changedId]);
    },
  );

  it('setRecords replaces what the adapter lists, in the order given', async () => {
    const meta = metaFor('shopify');
    const { adapter, emulator } = await harness(meta);
    const [a, b] = emulator.control.records('customers') as [Row, Row];
    emulator.control.setRecords('customers', [b, { ...a, first_name: 'Ada' }]);
    const all = (await listed(adapter, 'customers')) as Row[];
    expect(all.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(all[1]).toMatchObject({ first_name: 'Ada' });
  });

  it('refuses an unknown entity, an unknown id to update and an id already taken', async () => {
    const { emulator } = await harness(metaFor('stripe'));
    const { control } = emulator;
    expect(() => control.insertRecord('widgets')).toThrow(RangeError);
    expect(() => control.updateRecord('customers', 'customers-9999', { name: 'x' })).toThrow(RangeError);
    expect(() => control.insertRecord('customers', { id: 'customers-0001' })).toThrow(RangeError);
    expect(control.deleteRecord('customers', 'customers-9999')).toBe(false);
  });
});
