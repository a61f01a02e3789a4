import { afterEach, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import {
  EMULATED_PLATFORMS,
  type EmulatorHandler,
  hubspotEmulator,
  type ManualClock,
  manualClock,
  metaAdsEmulator,
  type RunningEmulator,
  salesforceEmulator,
  shopifyEmulator,
  startEmulator,
  stripeEmulator,
} from '../../src/sandbox/index.js';
import { ADAPTER_META, adapterFor } from './adapter-setup.js';
import { call, type RawRequest, type RawResponse } from './http-helpers.js';

type Body = Record<string, unknown>;

interface WriteCase {
  make(clock: ManualClock): EmulatorHandler;
  headers: Record<string, string>;
  /** Creates a record named `name`; asserts the documented answer; returns the new id. */
  create(send: Send, name: string): Promise<string>;
  /** Reads one record; returns its name, or asserts it is gone. */
  get(send: Send, id: string): Promise<RawResponse>;
  nameOf(read: RawResponse): unknown;
  /** Its modification time (epoch ms), where the platform has one. */
  modifiedOf?(read: RawResponse): number;
  listIds(send: Send): Promise<string[]>;
  /** Renames; asserts the documented answer. */
  update(send: Send, id: string, name: string): Promise<void>;
  /** Deletes; asserts the documented answer. */
  remove(send: Send, id: string): Promise<void>;
  /** Asserts what a read of the deleted record answers. */
  gone(read: RawResponse): void;
}

type Send = (path: string, request?: RawRequest) => Promise<RawResponse>;

const shopifyBase = '/admin/api/2026-10';
const hubspotBase = '/crm/objects/2026-09/contacts';
const sfBase = '/services/data/v68.0';

const cases: Record<string, WriteCase> = {
  stripe: {
    make: (clock) => stripeEmulator({ now: clock.now }),
    headers: { authorization: 'Bearer sk_test_emulator' },
    async create(send, name) {
      const r = await send('/v1/customers', {
        method: 'POST',
        form: { email: 'ada@example.com', name, 'metadata[plan]': 'pro' },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ object: 'customer', email: 'ada@example.com', metadata: { plan: 'pro' } });
      return (r.body as Body).id as string;
    },
    get: (send, id) => send(`/v1/customers/${id}`),
    nameOf: (r) => (r.body as Body).name,
    listIds: async (send) =>
      ((await send('/v1/customers?limit=100')).body as { data: Body[] }).data.map((c) => c.id as string),
    async update(send, id, name) {
      const r = await send(`/v1/customers/${id}`, { method: 'POST', form: { name, 'metadata[tier]': 'gold' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name, metadata: { plan: 'pro', tier: 'gold' } });
    },
    async remove(send, id) {
      const r = await send(`/v1/customers/${id}`, { method: 'DELETE' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ id, object: 'customer', deleted: true });
    },
    // A deleted customer is still retrievable, as a stub marked deleted.
    gone: (r) => {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ object: 'customer', deleted: true });
    },
  },
  shopify: {
    make: (clock) => shopifyEmulator({ now: clock.now }),
    headers: { 'x-shopify-access-token': 'shpat_emulator' },
    async create(send, name) {
      const r = await send(`${shopifyBase}/customers.json`, {
        method: 'POST',
        json: { customer: { email: 'ada@example.com', first_name: name } },
      });
      expect(r.status).toBe(201);
      return String(((r.body as Body).customer as Body).id);
    },
    get: (send, id) => send(`${shopifyBase}/customers/${id}.json`),
    nameOf: (r) => ((r.body as Body).customer as Body).first_name,
    modifiedOf: (r) => Date.parse(((r.body as Body).customer as Body).updated_at as string),
    listIds: async (send) =>
      ((await send(`${shopifyBase}/customers.json?limit=250`)).body as { customers: Body[] }).customers.map((c) =>
        String(c.id),
      ),
    async update(send, id, name) {
      const r = await send(`${shopifyBase}/customers/${id}.json`, {
        method: 'PUT',
        json: { customer: { first_name: name } },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ customer: { first_name: name } });
    },
    async remove(send, id) {
      const r = await send(`${shopifyBase}/customers/${id}.json`, { method: 'DELETE' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({});
    },
    gone: (r) => {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ errors: 'Not Found' });
    },
  },
  hubspot: {
    make: (clock) => hubspotEmulator({ now: clock.now }),
    headers: { authorization: 'Bearer hubspot-emulator-token' },
    async create(send, name) {
      const r = await send(hubspotBase, {
        method: 'POST',
        json: { properties: { email: 'ada@example.com', firstname: name } },
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ properties: { email: 'ada@example.com', firstname: name }, archived: false });
      return (r.body as Body).id as string;
    },
    get: (send, id) => send(`${hubspotBase}/${id}?properties=firstname`),
    nameOf: (r) => ((r.body as Body).properties as Body).firstname,
    modifiedOf: (r) => Date.parse((r.body as Body).updatedAt as string),
    listIds: async (send) =>
      ((await send(`${hubspotBase}?limit=100`)).body as { results: Body[] }).results.map((c) => c.id as string),
    async update(send, id, name) {
      const r = await send(`${hubspotBase}/${id}`, { method: 'PATCH', json: { properties: { firstname: name } } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ properties: { firstname: name } });
    },
    async remove(send, id) {
      const r = await send(`${hubspotBase}/${id}`, { method: 'DELETE' });
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
    },
    gone: (r) => {
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    },
  },
  salesforce: {
    make: (clock) => salesforceEmulator({ now: clock.now }),
    headers: { authorization: 'Bearer 00Demulator!token' },
    async create(send, name) {
      const r = await send(`${sfBase}/sobjects/Contact`, {
        method: 'POST',
        json: { LastName: name, Email: 'ada@example.com' },
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ success: true, errors: [] });
      return (r.body as Body).id as string;
    },
    get: (send, id) => send(`${sfBase}/sobjects/Contact/${id}`),
    nameOf: (r) => (r.body as Body).LastName,
    modifiedOf: (r) => Date.parse(String((r.body as Body).SystemModstamp).replace('+0000', 'Z')),
    listIds: async (send) =>
      (
        (await send(`${sfBase}/query?q=${encodeURIComponent('SELECT Id FROM Contact')}`)).body as { records: Body[] }
      ).records.map((c) => c.Id as string),
    async update(send, id, name) {
      const r = await send(`${sfBase}/sobjects/Contact/${id}`, { method: 'PATCH', json: { LastName: name } });
      expect(r.status).toBe(204);
    },
    async remove(send, id) {
      const r = await send(`${sfBase}/sobjects/Contact/${id}`, { method: 'DELETE' });
      expect(r.status).toBe(204);
    },
    gone: (r) => {
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject([{ errorCode: 'ENTITY_IS_DELETED' }]);
    },
  },
  'meta-ads': {
    make: (clock) => metaAdsEmulator({ now: clock.now }),
    headers: { authorization: 'Bearer EAAemulator' },
    async create(send, name) {
      const r = await send('/v26.0/act_1234567890/campaigns', {
        method: 'POST',
        form: { name, objective: 'OUTCOME_TRAFFIC', special_ad_categories: '[]', status: 'PAUSED' },
      });
      expect(r.status).toBe(200);
      expect(Object.keys(r.body as Body)).toEqual(['id']);
      return (r.body as Body).id as string;
    },
    get: (send, id) => send(`/v26.0/${id}?fields=name,status,effective_status,updated_time`),
    nameOf: (r) => (r.body as Body).name,
    modifiedOf: (r) => Date.parse(String((r.body as Body).updated_time).replace('+0000', 'Z')),
    listIds: async (send) =>
      ((await send('/v26.0/act_1234567890/campaigns?limit=100')).body as { data: Body[] }).data.map(
        (c) => c.id as string,
      ),
    async update(send, id, name) {
      const r = await send(`/v26.0/${id}`, { method: 'POST', form: { name } });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ success: true });
    },
    async remove(send, id) {
      const r = await send(`/v26.0/${id}`, { method: 'DELETE' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ success: true });
    },
    // Deleted ad objects can still be read by id, with status DELETED.
    gone: (r) => {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'DELETED', effective_status: 'DELETED' });
    },
  },
};

interface InvalidCase {
  make(clock: ManualClock): EmulatorHandler;
  path: string;
  request: RawRequest;
  status: number;
  body: unknown;
}

const invalid: Array<[string, InvalidCase]> = [
  [
    'stripe: a charge without amount',
    {
      make: (c) => stripeEmulator({ now: c.now }),
      path: '/v1/charges',
      request: { method: 'POST', headers: cases.stripe!.headers, form: { currency: 'usd' } },
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'parameter_missing', param: 'amount' } },
    },
  ],
  [
    'stripe: a customer with an unknown parameter',
    {
      make: (c) => stripeEmulator({ now: c.now }),
      path: '/v1/customers',
      request: { method: 'POST', headers: cases.stripe!.headers, form: { emial: 'typo@example.com' } },
      status: 400,
      body: { error: { code: 'parameter_unknown', param: 'emial' } },
    },
  ],
  [
    'shopify: a product without title',
    {
      make: (c) => shopifyEmulator({ now: c.now }),
      path: `${shopifyBase}/products.json`,
      request: { method: 'POST', headers: cases.shopify!.headers, json: { product: { vendor: 'x' } } },
      status: 422,
      body: { errors: { title: ["can't be blank"] } },
    },
  ],
  [
    'shopify: a customer body not wrapped in "customer"',
    {
      make: (c) => shopifyEmulator({ now: c.now }),
      path: `${shopifyBase}/customers.json`,
      request: { method: 'POST', headers: cases.shopify!.headers, json: { email: 'a@example.com' } },
      status: 400,
      body: { errors: { customer: 'Required parameter missing or invalid' } },
    },
  ],
  [
    'shopify: a customer email already taken',
    {
      make: (c) => shopifyEmulator({ now: c.now }),
      path: `${shopifyBase}/customers.json`,
      request: {
        method: 'POST',
        headers: cases.shopify!.headers,
        json: { customer: { email: 'customer1@example.com' } },
      },
      status: 422,
      body: { errors: { email: ['has already been taken'] } },
    },
  ],
  [
    'hubspot: a deal without its required dealname and dealstage',
    {
      make: (c) => hubspotEmulator({ now: c.now }),
      path: '/crm/objects/2026-09/deals',
      request: { method: 'POST', headers: cases.hubspot!.headers, json: { properties: { amount: '10' } } },
      status: 400,
      body: { status: 'error', category: 'VALIDATION_ERROR' },
    },
  ],
  [
    'hubspot: a property that does not exist',
    {
      make: (c) => hubspotEmulator({ now: c.now }),
      path: '/crm/objects/2026-09/contacts',
      request: { method: 'POST', headers: cases.hubspot!.headers, json: { properties: { favourite_colour: 'red' } } },
      status: 400,
      body: { category: 'VALIDATION_ERROR', errors: [{ code: 'PROPERTY_DOESNT_EXIST' }] },
    },
  ],
  [
    'hubspot: a second contact with the same email',
    {
      make: (c) => hubspotEmulator({ now: c.now }),
      path: '/crm/objects/2026-09/contacts',
      request: {
        method: 'POST',
        headers: cases.hubspot!.headers,
        json: { properties: { email: 'contact1@example.com' } },
      },
      status: 409,
      body: { category: 'CONFLICT', message: 'Contact already exists. Existing ID: 101' },
    },
  ],
  [
    'salesforce: a contact without LastName',
    {
      make: (c) => salesforceEmulator({ now: c.now }),
      path: `${sfBase}/sobjects/Contact`,
      request: { method: 'POST', headers: cases.salesforce!.headers, json: { FirstName: 'Ada' } },
      status: 400,
      body: [{ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }],
    },
  ],
  [
    'salesforce: writing a read-only field',
    {
      make: (c) => salesforceEmulator({ now: c.now }),
      path: `${sfBase}/sobjects/Contact/003000000000001AAA`,
      request: { method: 'PATCH', headers: cases.salesforce!.headers, json: { Name: 'Ada Lovelace' } },
      status: 400,
      body: [{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Name'] }],
    },
  ],
  [
    'salesforce: a query selecting a field the object lacks',
    {
      make: (c) => salesforceEmulator({ now: c.now }),
      path: `${sfBase}/query?q=${encodeURIComponent('SELECT Id, Colour FROM Contact')}`,
      request: { headers: cases.salesforce!.headers },
      status: 400,
      body: [{ errorCode: 'INVALID_FIELD' }],
    },
  ],
  [
    'meta-ads: a campaign without special_ad_categories',
    {
      make: (c) => metaAdsEmulator({ now: c.now }),
      path: '/v26.0/act_1234567890/campaigns',
      request: {
        method: 'POST',
        headers: cases['meta-ads']!.headers,
        form: { name: 'x', objective: 'OUTCOME_TRAFFIC' },
      },
      status: 400,
      body: {
        error: { type: 'OAuthException', code: 100, message: '(#100) The parameter special_ad_categories is required' },
      },
    },
  ],
];

describe('writes as each platform documents them', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it.each(Object.entries(cases))('%s: create → get → list → update → delete round-trips', async (_, c) => {
    const clock = manualClock();
    running = await startEmulator(c.make(clock));
    const origin = running.origin;
    const send: Send = (path, request = {}) =>
      call(origin, path, { ...request, headers: { ...c.headers, ...request.headers } });

    const id = await c.create(send, 'Ada');
    const created = await c.get(send, id);
    expect(created.status).toBe(200);
    expect(c.nameOf(created)).toBe('Ada');
    expect(await c.listIds(send)).toContain(id);

    clock.advance(60_000);
    await c.update(send, id, 'Grace');
    const updated = await c.get(send, id);
    expect(c.nameOf(updated)).toBe('Grace');
    if (c.modifiedOf) expect(c.modifiedOf(updated)).toBe(c.modifiedOf(created) + 60_000);

    await c.remove(send, id);
    c.gone(await c.get(send, id));
    expect(await c.listIds(send)).not.toContain(id);
  });

  it.each(invalid)('%s is refused in the platform error shape', async (_, c) => {
    running = await startEmulator(c.make(manualClock()));
    const response = await call(running.origin, c.path, c.request);
    expect(response.status).toBe(c.status);
    expect(response.body).toMatchObject(c.body as object);
  });

  it('stripe: a repeated Idempotency-Key replays the first answer and creates nothing new', async () => {
    const emulator = stripeEmulator();
    running = await startEmulator(emulator);
    const request = {
      method: 'POST',
      headers: { ...cases.stripe!.headers, 'idempotency-key': 'key-1' },
      form: { email: 'once@example.com' },
    };
    const first = await call(running.origin, '/v1/customers', request);
    const again = await call(running.origin, '/v1/customers', request);
    expect((again.body as Body).id).toBe((first.body as Body).id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(emulator.control.records('customers').filter((c) => c.email === 'once@example.com')).toHaveLength(1);
  });

  it('stripe: the same Idempotency-Key with other parameters is an idempotency_error', async () => {
    running = await startEmulator(stripeEmulator());
    const headers = { ...cases.stripe!.headers, 'idempotency-key': 'key-2' };
    await call(running.origin, '/v1/customers', { method: 'POST', headers, form: { email: 'a@example.com' } });
    const other = await call(running.origin, '/v1/customers', {
      method: 'POST',
      headers,
      form: { email: 'b@example.com' },
    });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ error: { type: 'idempotency_error' } });
  });

  it('salesforce: an update moves the record to the end of ORDER BY SystemModstamp', async () => {
    const clock = manualClock();
    running = await startEmulator(salesforceEmulator({ now: clock.now, records: 5 }));
    const send: Send = (path, request = {}) =>
      call(running!.origin, path, { ...request, headers: { ...cases.salesforce!.headers, ...request.headers } });
    await send(`${sfBase}/sobjects/Lead/00Q000000000001AAA`, { method: 'PATCH', json: { Status: 'Working' } });
    const soql = 'SELECT Id, Status FROM Lead WHERE SystemModstamp >= 2026-01-01T00:03:00Z ORDER BY SystemModstamp ASC';
    const records = ((await send(`${sfBase}/query?q=${encodeURIComponent(soql)}`)).body as { records: Body[] }).records;
    expect(records.map((r) => r.Id)).toEqual([
      '00Q000000000003AAA',
      '00Q000000000004AAA',
      '00Q000000000005AAA',
      '00Q000000000001AAA',
    ]);
    expect(records.at(-1)).toMatchObject({ Status: 'Working', attributes: { type: 'Lead' } });
  });

  it('hubspot: a deleted (archived) record is listed with archived=true', async () => {
    running = await startEmulator(hubspotEmulator({ records: 3 }));
    const headers = cases.hubspot!.headers;
    await call(running.origin, `${hubspotBase}/101`, { method: 'DELETE', headers });
    const archived = await call(running.origin, `${hubspotBase}?archived=true`, { headers });
    expect((archived.body as { results: Body[] }).results).toMatchObject([{ id: '101', archived: true }]);
  });
});

interface AdapterWriteCase {
  entity: string;
  /** Body for `create`, or an existing id where the adapter cannot create (Salesforce: create is not declared). */
  create: Record<string, unknown> | { existing: string };
  update: Record<string, unknown>;
  /** Collection and field where the emulator keeps the updated value. */
  collection: string;
  field: string;
}

const adapterWrites: Record<string, AdapterWriteCase> = {
  stripe: {
    entity: 'customers',
    create: { email: 'ada@example.com', name: 'Ada', metadata: { plan: 'pro' } },
    update: { name: 'Grace' },
    collection: 'customers',
    field: 'name',
  },
  shopify: {
    entity: 'customers',
    create: { email: 'ada@example.com', first_name: 'Ada' },
    update: { first_name: 'Grace' },
    collection: 'customers',
    field: 'first_name',
  },
  hubspot: {
    entity: 'contacts',
    create: { email: 'ada@example.com', firstname: 'Ada' },
    update: { firstname: 'Grace' },
    collection: 'contacts',
    field: 'properties.firstname',
  },
  salesforce: {
    entity: 'contacts',
    create: { existing: '003000000000001AAA' },
    update: { LastName: 'Grace' },
    collection: 'Contact',
    field: 'LastName',
  },
  // Meta requires special_ad_categories, usually the empty array.
  'meta-ads': {
    entity: 'campaigns',
    create: { name: 'Ada', objective: 'OUTCOME_TRAFFIC', special_ad_categories: [], status: 'PAUSED' },
    update: { name: 'Grace' },
    collection: 'campaigns',
    field: 'name',
  },
};

describe('writes through the adapters, checked by the emulators', () => {
  for (const [platform, c] of Object.entries(adapterWrites)) {
    it(`${platform}: create, update and delete ${c.entity} reach the emulator as documented`, async () => {
      const clock = manualClock();
      const emulator = EMULATED_PLATFORMS[platform]!.create({
        apiVersion: ADAPTER_META[platform]!.apiVersion,
        now: clock.now,
      });
      const running = await startEmulator(emulator);
      const adapter = await adapterFor(platform, running, clock);
      try {
        const idField = ADAPTER_META[platform]!.entities[c.entity]!.idField;
        const keyOf = (row: Record<string, unknown>) => String(getPath(row, idField === 'Id' ? 'Id' : 'id'));
        let id: string;
        if ('existing' in c.create) id = c.create.existing as string;
        else {
          const created = (await adapter.create(c.entity as never, c.create)) as Record<string, unknown>;
          id = String(getPath(created, 'id'));
          expect(emulator.control.records(c.collection).some((row) => keyOf(row) === id)).toBe(true);
        }
        await adapter.update(c.entity as never, id, c.update);
        const stored = emulator.control.records(c.collection).find((row) => keyOf(row) === id)!;
        expect(getPath(stored, c.field)).toBe(Object.values(c.update)[0]);
        await adapter.delete(c.entity as never, id);
        const after = emulator.control.records(c.collection).find((row) => keyOf(row) === id);
        // Each platform's documented deletion: gone, or kept with its deleted / archived marker.
        expect(
          after === undefined ||
            after.deleted === true ||
            after.archived === true ||
            after.IsDeleted === true ||
            after.status === 'DELETED',
        ).toBe(true);
      } finally {
        await adapter.close();
        await running.close();
      }
    });
  }
});
