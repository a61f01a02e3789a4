/**
 * Stripe, as its API reference describes it (https://docs.stripe.com/api): secret key as a bearer token (or as the
 * basic-auth user name), list endpoints returning `{ object: "list", url, has_more, data }` newest first, paged with
 * `limit` (1–100, default 10) and `starting_after=<last id>`, `created[gte]`-style filters, and errors shaped
 * `{ error: { type, message } }`.
 */
import { bearerToken, type EmulatorHandler, type EmulatorRequest, seededDate } from '../emulator-server.js';

const RESOURCES = {
  customers: { prefix: 'cus', object: 'customer' },
  charges: { prefix: 'ch', object: 'charge' },
  subscriptions: { prefix: 'sub', object: 'subscription' },
  invoices: { prefix: 'in', object: 'invoice' },
  refunds: { prefix: 're', object: 'refund' },
} as const;
type Resource = keyof typeof RESOURCES;

function seed(resource: Resource, i: number): Record<string, unknown> {
  const { prefix, object } = RESOURCES[resource];
  const id = `${prefix}_${String(i).padStart(14, '0')}`;
  const created = Math.floor(seededDate(i).getTime() / 1000);
  const base = { id, object, created, livemode: false, metadata: {} };
  switch (resource) {
    case 'customers':
      return {
        ...base,
        email: `customer${i}@example.com`,
        name: `Customer ${i}`,
        currency: 'usd',
        balance: 0,
        delinquent: false,
      };
    case 'charges':
      return {
        ...base,
        amount: 1000 + i,
        currency: 'usd',
        status: 'succeeded',
        paid: true,
        captured: true,
        refunded: false,
      };
    case 'subscriptions':
      return {
        ...base,
        status: 'active',
        customer: `cus_${String(i).padStart(14, '0')}`,
        currency: 'usd',
        cancel_at_period_end: false,
      };
    case 'invoices':
      return {
        ...base,
        status: 'paid',
        customer: `cus_${String(i).padStart(14, '0')}`,
        currency: 'usd',
        amount_due: 500 + i,
        total: 500 + i,
      };
    case 'refunds':
      return {
        ...base,
        amount: 100 + i,
        currency: 'usd',
        status: 'succeeded',
        charge: `ch_${String(i).padStart(14, '0')}`,
      };
  }
}

function error(status: number, type: string, message: string) {
  return { status, body: { error: { type, message } } };
}

function apiKeyOf(request: EmulatorRequest): string | undefined {
  const bearer = bearerToken(request);
  if (bearer) return bearer;
  const basic = request.headers.authorization?.startsWith('Basic ')
    ? Buffer.from(request.headers.authorization.slice(6), 'base64').toString('utf8')
    : undefined;
  return basic?.split(':')[0];
}

export interface StripeEmulatorOptions {
  /** The secret key the emulator accepts (default `sk_test_emulator`). */
  apiKey?: string;
  /** Records seeded per resource (default 25). */
  records?: number;
}

export function stripeEmulator(options: StripeEmulatorOptions = {}): EmulatorHandler {
  const apiKey = options.apiKey ?? 'sk_test_emulator';
  const count = options.records ?? 25;
  const store = new Map<Resource, Record<string, unknown>[]>();
  for (const resource of Object.keys(RESOURCES) as Resource[]) {
    // Newest first, as Stripe lists.
    store.set(
      resource,
      Array.from({ length: count }, (_, i) => seed(resource, count - i)),
    );
  }
  return (request) => {
    if (apiKeyOf(request) !== apiKey) {
      return error(401, 'invalid_request_error', 'Invalid API Key provided.');
    }
    const segments = request.url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'v1')
      return error(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${request.method}: ${request.url.pathname}).`,
      );
    if (segments[1] === 'balance' && segments.length === 2) {
      return {
        status: 200,
        body: { object: 'balance', available: [{ amount: 0, currency: 'usd' }], pending: [], livemode: false },
      };
    }
    const resource = segments[1] as Resource;
    const records = store.get(resource);
    if (!records)
      return error(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${request.method}: ${request.url.pathname}).`,
      );
    if (segments.length === 3 && request.method === 'GET') {
      const found = records.find((r) => r.id === segments[2]);
      return found
        ? { status: 200, body: found }
        : error(404, 'invalid_request_error', `No such ${RESOURCES[resource].object}: '${segments[2]}'`);
    }
    if (segments.length !== 2 || request.method !== 'GET') {
      return error(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${request.method}: ${request.url.pathname}).`,
      );
    }
    const q = request.url.searchParams;
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return error(400, 'invalid_request_error', 'Invalid integer: limit must be between 1 and 100.');
    }
    let matching = records;
    const gte = q.get('created[gte]');
    if (gte) matching = matching.filter((r) => (r.created as number) >= Number(gte));
    let start = 0;
    const after = q.get('starting_after');
    if (after) {
      const at = matching.findIndex((r) => r.id === after);
      if (at < 0) return error(400, 'invalid_request_error', `No such object: '${after}'`);
      start = at + 1;
    }
    const data = matching.slice(start, start + limit);
    return {
      status: 200,
      headers: { 'request-id': `req_${request.url.search.length}${start}` },
      body: { object: 'list', url: `/v1/${resource}`, has_more: start + limit < matching.length, data },
    };
  };
}
