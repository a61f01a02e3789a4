/**
 * Stripe, as its API reference describes it (https://docs.stripe.com/api):
 *
 * - Auth: the secret key as a bearer token (or as the basic-auth user name); a wrong key is a 401
 *   `invalid_request_error` "Invalid API Key provided".
 * - Lists (https://docs.stripe.com/api/pagination): `{ object: "list", url, has_more, data }`, newest first, `limit`
 *   1–100 (default 10), `starting_after` / `ending_before` object ids, `created[gte|gt|lte|lt]`; subscriptions leave
 *   out canceled ones unless `status=all`; deleted customers are left out.
 * - Errors (https://docs.stripe.com/api/errors): `{ error: { type, code?, message, param?, doc_url? } }`;
 *   an unknown id is a 404 `resource_missing`; a missing required parameter a 400 `parameter_missing`; an unknown
 *   one a 400 `parameter_unknown`.
 * - Writes: form-encoded bodies with bracket nesting (`metadata[plan]=pro`); POST `/v1/<resource>` creates, POST
 *   `/v1/<resource>/<id>` updates (metadata merges; an empty value removes a key), DELETE `/v1/customers/<id>`
 *   answers `{ id, object, deleted: true }` and a later retrieve returns that stub
 *   (https://docs.stripe.com/api/customers/delete, /retrieve); DELETE `/v1/subscriptions/<id>` cancels; only draft
 *   invoices can be deleted.
 * - Idempotency (https://docs.stripe.com/api/idempotent_requests): a POST with an `Idempotency-Key` seen before
 *   replays the first answer (`Idempotent-Replayed: true`); the same key with other parameters is an
 *   `idempotency_error`.
 * - Rate limit (https://docs.stripe.com/rate-limits): 100 requests per second per account in live mode (sandboxes:
 *   25 — set `rateLimit.requestsPerSecond`), enforced here over a rolling second; over it, 429 with
 *   `{ error: { type: "invalid_request_error", code: "rate_limit" } }` and `Stripe-Rate-Limited-Reason: global-rate`.
 *   Stripe documents no Retry-After.
 * - Webhook endpoints (https://docs.stripe.com/api/webhook_endpoints): POST `/v1/webhook_endpoints` with `url` and
 *   `enabled_events[]` (both required; an event type is `<object>.<change>`, or `*` for all) creates
 *   `{ id: "we_…", object: "webhook_endpoint", url, enabled_events, status: "enabled", secret: "whsec_…", … }` — the
 *   `secret` only in this answer (https://docs.stripe.com/api/webhook_endpoints/object#webhook_endpoint_object-secret);
 *   GET and POST (update) `/v1/webhook_endpoints/<id>`, DELETE answers `{ id, object, deleted: true }` and the id is
 *   then unknown (404 `resource_missing`); GET `/v1/webhook_endpoints` lists them. At most 16 endpoints per account
 *   (https://docs.stripe.com/webhooks#register-webhook). Test mode, so `http://` URLs are accepted.
 * - Deliveries (https://docs.stripe.com/webhooks#verify-official-libraries): `control.deliver` posts an event object
 *   (`{ id: "evt_…", object: "event", type, data: { object }, … }`) to an endpoint enabled for its type, signed with
 *   the endpoint's secret in `Stripe-Signature` (`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`).
 */
import { randomBytes } from 'node:crypto';
import { signWebhook } from '../../runtime/webhooks/sign-webhook.js';
import { copyRecords, type EmulatorControl, type PlatformEmulator, platformEmulator } from '../emulator-control.js';
import { type CommonEmulatorOptions, emulatorControl, resolveEmulatorOptions } from '../emulator-options.js';
import { bearerToken, type EmulatorRequest, type EmulatorResponse, seededDate } from '../emulator-server.js';
import { SlidingWindow } from '../rate-limiters.js';

type Row = Record<string, unknown>;

const RESOURCES = {
  customers: { prefix: 'cus', object: 'customer' },
  charges: { prefix: 'ch', object: 'charge' },
  subscriptions: { prefix: 'sub', object: 'subscription' },
  invoices: { prefix: 'in', object: 'invoice' },
  refunds: { prefix: 're', object: 'refund' },
} as const;
type Resource = keyof typeof RESOURCES;

const pad = (i: number) => String(i).padStart(14, '0');

/** The account's default API version: events are rendered in it where the endpoint pins none. */
const API_VERSION = '2025-09-30.clover';

/** Parameters `POST /v1/customers` and `POST /v1/customers/:id` accept (the API reference's list). */
const CUSTOMER_PARAMS = new Set([
  'address',
  'balance',
  'business_name',
  'cash_balance',
  'coupon',
  'default_source',
  'description',
  'email',
  'expand',
  'individual_name',
  'invoice_prefix',
  'invoice_settings',
  'metadata',
  'name',
  'next_invoice_sequence',
  'payment_method',
  'phone',
  'preferred_locales',
  'promotion_code',
  'shipping',
  'source',
  'tax',
  'tax_exempt',
  'tax_id_data',
  'test_clock',
]);

/** Required create parameters per resource (one of each inner list). */
const REQUIRED_ON_CREATE: Record<Resource, string[][]> = {
  customers: [],
  charges: [['amount'], ['currency']],
  subscriptions: [['customer'], ['items']],
  invoices: [['customer']],
  refunds: [['charge', 'payment_intent']],
};

function seed(resource: Resource, i: number): Row {
  const { prefix, object } = RESOURCES[resource];
  const created = Math.floor(seededDate(i).getTime() / 1000);
  const base = { id: `${prefix}_${pad(i)}`, object, created, livemode: false, metadata: {} };
  switch (resource) {
    case 'customers':
      return {
        ...base,
        email: `customer${i}@example.com`,
        name: `Customer ${i}`,
        phone: null,
        description: null,
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
        customer: `cus_${pad(i)}`,
        description: null,
      };
    case 'subscriptions':
      return {
        ...base,
        status: i % 7 === 0 ? 'canceled' : 'active',
        customer: `cus_${pad(i)}`,
        currency: 'usd',
        cancel_at_period_end: false,
        canceled_at: i % 7 === 0 ? base.created + 60 : null,
      };
    case 'invoices':
      return {
        ...base,
        status: 'paid',
        customer: `cus_${pad(i)}`,
        currency: 'usd',
        amount_due: 500 + i,
        amount_paid: 500 + i,
        total: 500 + i,
      };
    case 'refunds':
      return { ...base, amount: 100 + i, currency: 'usd', status: 'succeeded', charge: `ch_${pad(i)}` };
  }
}

/** Decodes Stripe's bracket form nesting: `metadata[plan]=pro&items[0][price]=p` → `{ metadata: { plan }, items: [{ price }] }`. */
export function decodeBracketForm(flat: Record<string, string>): Row {
  const root: Row = {};
  for (const [key, value] of Object.entries(flat)) {
    const [head, ...rest] = key.split('[');
    if (!head) continue;
    const path = [head, ...rest.map((s) => s.replace(/\]$/, ''))];
    let node: Row = root;
    for (const [i, segment] of path.entries()) {
      if (segment === '__proto__' || segment === 'constructor' || segment === 'prototype') break;
      if (i === path.length - 1) node[segment] = value;
      else {
        const next = node[segment];
        node[segment] = next && typeof next === 'object' ? next : {};
        node = node[segment] as Row;
      }
    }
  }
  const arrays = (value: unknown): unknown => {
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Row).map(([k, v]) => [k, arrays(v)] as const);
    if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
      return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
    }
    return Object.fromEntries(entries);
  };
  return arrays(root) as Row;
}

function error(status: number, type: string, message: string, extra: Row = {}): EmulatorResponse {
  return { status, body: { error: { type, message, ...extra } } };
}

const unrecognized = (request: EmulatorRequest) =>
  error(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${request.url.pathname}).`);

function apiKeyOf(request: EmulatorRequest): string | undefined {
  const bearer = bearerToken(request);
  if (bearer) return bearer;
  const header = request.headers.authorization;
  const basic = header?.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : undefined;
  return basic?.split(':')[0];
}

export interface StripeEmulatorOptions extends CommonEmulatorOptions {
  /** The secret key the emulator accepts (default `sk_test_emulator`). */
  apiKey?: string;
  /** The documented global limit, or `false` to turn it off (default 100 requests/s, live mode). */
  rateLimit?: false | { requestsPerSecond?: number };
}

/** An answered delivery: the endpoint's status and body, and the event id it carried. */
export interface StripeDelivery {
  status: number;
  body: string;
  eventId: string;
}

export interface StripeEmulatorControl extends EmulatorControl {
  /** The webhook endpoints registered now, with their secrets (copies: the test is the account owner). */
  webhookEndpoints(): Row[];
  /** Deletes an endpoint as if someone removed it in the dashboard; `false` when there is none with the id. */
  dropWebhookEndpoint(id: string): boolean;
  /**
   * Sends an event to a registered endpoint, as Stripe delivers it: the event object as JSON, signed with the
   * endpoint's secret, at the emulator's clock.
   * @throws RangeError for an unknown endpoint, or one not enabled for the event's type.
   * @example
   * const { status } = await control.deliver('we_E0000000000001', { type: 'customer.updated', data: { object: customer } });
   */
  deliver(
    endpointId: string,
    event: { type: string; id?: string; data?: { object: Row; previous_attributes?: Row } },
  ): Promise<StripeDelivery>;
}

/** The most webhook endpoints an account may have (https://docs.stripe.com/webhooks#register-webhook). */
const MAX_WEBHOOK_ENDPOINTS = 16;
/** Parameters `POST /v1/webhook_endpoints` accepts (create and update). */
const WEBHOOK_ENDPOINT_PARAMS = new Set([
  'api_version',
  'connect',
  'description',
  'disabled',
  'enabled_events',
  'expand',
  'metadata',
  'url',
]);
const EVENT_TYPE = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)+)$/;

export function stripeEmulator(options: StripeEmulatorOptions = {}): PlatformEmulator<StripeEmulatorControl> {
  const apiKey = options.apiKey ?? 'sk_test_emulator';
  const resolved = resolveEmulatorOptions(options);
  const { records: count, now, counters, limits } = resolved;
  const limiter = new SlidingWindow({ limit: limits.requestsPerSecond ?? 100, windowMs: 1000, now });
  let sequence = 0;
  const store = new Map<Resource, Row[]>();
  for (const resource of Object.keys(RESOURCES) as Resource[]) {
    // Newest first, as Stripe lists.
    store.set(
      resource,
      Array.from({ length: count }, (_, i) => seed(resource, count - i)),
    );
  }
  const idempotency = new Map<string, { fingerprint: string; response: EmulatorResponse }>();
  /** Webhook endpoints, newest first, secrets included (answers leave them out after the create). */
  const endpoints: Row[] = [];

  const responses = {
    rateLimited: (): EmulatorResponse => ({
      status: 429,
      headers: { 'stripe-rate-limited-reason': 'global-rate' },
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Request rate limit exceeded. You can learn more about rate limits here https://docs.stripe.com/rate-limits.',
          doc_url: 'https://docs.stripe.com/error-codes/rate-limit',
        },
      },
    }),
    serverError: (status: number) =>
      error(status, 'api_error', 'An unknown error occurred while processing your request.'),
    tokenExpired: () => error(401, 'invalid_request_error', 'Invalid API Key provided.'),
  };

  const control: StripeEmulatorControl = {
    ...emulatorControl('stripe', resolved, { store, resetRateLimits: () => limiter.reset(), responses }),
    webhookEndpoints: () => copyRecords(endpoints),
    dropWebhookEndpoint: (id) => {
      const at = endpoints.findIndex((e) => e.id === id);
      if (at >= 0) endpoints.splice(at, 1);
      return at >= 0;
    },
    deliver: async (endpointId, input) => {
      const endpoint = endpoints.find((e) => e.id === endpointId);
      if (!endpoint) throw new RangeError(`stripe emulator: no webhook endpoint ${endpointId}`);
      const enabled = endpoint.enabled_events as string[];
      if (!enabled.includes('*') && !enabled.includes(input.type)) {
        throw new RangeError(`stripe emulator: ${endpointId} is not enabled for ${input.type} (${enabled.join(', ')})`);
      }
      const event = {
        id: input.id ?? `evt_E${randomBytes(12).toString('hex')}`,
        object: 'event',
        api_version: (endpoint.api_version as string | null) ?? API_VERSION,
        created: nowSeconds(),
        data: input.data ?? { object: {} },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: input.type,
      };
      const rawBody = JSON.stringify(event);
      const signed = signWebhook('stripe-v1', {
        secret: endpoint.secret as string,
        rawBody,
        timestamp: new Date(now()),
      });
      const response = await fetch(endpoint.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          ...signed.headers,
        },
        body: rawBody,
      });
      return { status: response.status, body: await response.text(), eventId: event.id };
    },
  };

  const nowSeconds = () => Math.floor(now() / 1000);
  const newId = (resource: Resource) => `${RESOURCES[resource].prefix}_E${String(++sequence).padStart(13, '0')}`;
  const missing = (resource: Resource, id: string) =>
    error(404, 'invalid_request_error', `No such ${RESOURCES[resource].object}: '${id}'`, {
      code: 'resource_missing',
      param: 'id',
      doc_url: 'https://docs.stripe.com/error-codes/resource-missing',
    });

  const endpointMissing = (id: string) =>
    error(404, 'invalid_request_error', `No such webhook endpoint: '${id}'`, {
      code: 'resource_missing',
      param: 'id',
      doc_url: 'https://docs.stripe.com/error-codes/resource-missing',
    });
  /** An endpoint as Stripe answers it after the create: without its secret. */
  const withoutSecret = (endpoint: Row): Row => {
    const { secret: _secret, ...rest } = endpoint;
    return structuredClone(rest);
  };

  /** Checks and applies webhook endpoint parameters; an error answer when Stripe would refuse them. */
  const applyEndpointParams = (endpoint: Row, params: Row, creating: boolean): EmulatorResponse | undefined => {
    const unknown = Object.keys(params).find((k) => !WEBHOOK_ENDPOINT_PARAMS.has(k) || (creating && k === 'disabled'));
    if (unknown) {
      return error(400, 'invalid_request_error', `Received unknown parameter: ${unknown}`, {
        code: 'parameter_unknown',
        param: unknown,
      });
    }
    for (const name of creating ? ['url', 'enabled_events'] : []) {
      if (params[name] === undefined || params[name] === '') {
        return error(400, 'invalid_request_error', `Missing required param: ${name}.`, {
          code: 'parameter_missing',
          param: name,
        });
      }
    }
    if (params.url !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(String(params.url));
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol)) {
        return error(400, 'invalid_request_error', 'Invalid URL: URL must be publicly accessible.', {
          code: 'url_invalid',
          param: 'url',
        });
      }
    }
    if (params.enabled_events !== undefined) {
      const events = params.enabled_events;
      if (!Array.isArray(events) || events.length === 0) {
        return error(400, 'invalid_request_error', 'Invalid array: enabled_events must be a non-empty array.', {
          param: 'enabled_events',
        });
      }
      const bad = events.findIndex((e) => typeof e !== 'string' || !EVENT_TYPE.test(e));
      if (bad >= 0) {
        return error(
          400,
          'invalid_request_error',
          `Invalid enabled_events[${bad}]: must be one of the event types at https://docs.stripe.com/api/events/types, or "*"`,
          { param: `enabled_events[${bad}]` },
        );
      }
    }
    for (const [key, value] of Object.entries(params)) {
      if (key === 'expand') continue;
      if (key === 'disabled') endpoint.status = value === 'true' ? 'disabled' : 'enabled';
      else if (key === 'metadata' && value && typeof value === 'object') {
        endpoint.metadata = { ...(endpoint.metadata as Row), ...(value as Row) };
      } else endpoint[key] = value === '' ? null : value;
    }
    return undefined;
  };

  const webhookEndpoints = (request: EmulatorRequest, id: string | undefined): EmulatorResponse => {
    if (id === undefined) {
      if (request.method === 'GET') {
        return {
          status: 200,
          body: { object: 'list', url: '/v1/webhook_endpoints', has_more: false, data: endpoints.map(withoutSecret) },
        };
      }
      if (request.method !== 'POST') return unrecognized(request);
      if (endpoints.length >= MAX_WEBHOOK_ENDPOINTS) {
        return error(
          400,
          'invalid_request_error',
          `You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} test webhook endpoints.`,
        );
      }
      const endpoint: Row = {
        id: `we_E${String(++sequence).padStart(13, '0')}`,
        object: 'webhook_endpoint',
        api_version: null,
        application: null,
        created: nowSeconds(),
        description: null,
        enabled_events: [],
        livemode: false,
        metadata: {},
        secret: `whsec_${randomBytes(24).toString('base64url').replace(/[-_]/g, '0')}`,
        status: 'enabled',
        url: null,
      };
      const refused = applyEndpointParams(endpoint, paramsOf(request), true);
      if (refused) return refused;
      endpoints.unshift(endpoint);
      return { status: 200, body: structuredClone(endpoint) };
    }
    const found = endpoints.find((e) => e.id === id);
    if (!['GET', 'POST', 'DELETE'].includes(request.method)) return unrecognized(request);
    if (!found) return endpointMissing(id);
    if (request.method === 'GET') return { status: 200, body: withoutSecret(found) };
    if (request.method === 'POST') {
      const changed = structuredClone(found);
      const refused = applyEndpointParams(changed, paramsOf(request), false);
      if (refused) return refused;
      Object.assign(found, changed);
      return { status: 200, body: withoutSecret(found) };
    }
    if (request.method === 'DELETE') {
      endpoints.splice(endpoints.indexOf(found), 1);
      return { status: 200, body: { id, object: 'webhook_endpoint', deleted: true } };
    }
    return unrecognized(request);
  };

  const paramsOf = (request: EmulatorRequest): Row => {
    // Stripe reads form bodies only; a JSON body carries no parameters.
    if (!request.headers['content-type']?.includes('application/x-www-form-urlencoded')) return {};
    return decodeBracketForm((request.body ?? {}) as Record<string, string>);
  };

  const checkParams = (resource: Resource, params: Row, creating: boolean): EmulatorResponse | undefined => {
    if (resource === 'customers') {
      const unknown = Object.keys(params).find((k) => !CUSTOMER_PARAMS.has(k));
      if (unknown) {
        return error(400, 'invalid_request_error', `Received unknown parameter: ${unknown}`, {
          code: 'parameter_unknown',
          param: unknown,
        });
      }
    }
    if (creating) {
      for (const alternatives of REQUIRED_ON_CREATE[resource]) {
        if (!alternatives.some((p) => params[p] !== undefined && params[p] !== '')) {
          return error(400, 'invalid_request_error', `Missing required param: ${alternatives[0]}.`, {
            code: 'parameter_missing',
            param: alternatives[0],
          });
        }
      }
      if (resource === 'charges' && !/^\d+$/.test(String(params.amount))) {
        return error(400, 'invalid_request_error', 'Invalid integer: amount', {
          code: 'parameter_invalid_integer',
          param: 'amount',
        });
      }
    }
    return undefined;
  };

  const apply = (record: Row, params: Row): void => {
    for (const [key, value] of Object.entries(params)) {
      if (key === 'expand') continue;
      if (key === 'metadata' && value && typeof value === 'object') {
        const metadata = { ...((record.metadata as Row | undefined) ?? {}) };
        for (const [mk, mv] of Object.entries(value as Row)) {
          if (mv === '') delete metadata[mk];
          else metadata[mk] = mv;
        }
        record.metadata = metadata;
      } else if (key === 'metadata' && value === '') {
        record.metadata = {};
      } else if (['amount', 'balance', 'amount_due'].includes(key) && /^-?\d+$/.test(String(value))) {
        record[key] = Number(value);
      } else {
        record[key] = value === '' ? null : value;
      }
    }
  };

  const create = (resource: Resource, params: Row): EmulatorResponse => {
    const invalid = checkParams(resource, params, true);
    if (invalid) return invalid;
    const record: Row = { id: newId(resource), object: RESOURCES[resource].object, created: nowSeconds() };
    record.livemode = false;
    record.metadata = {};
    if (resource === 'customers') Object.assign(record, { balance: 0, delinquent: false, email: null, name: null });
    if (resource === 'charges') Object.assign(record, { status: 'succeeded', paid: true, captured: true });
    if (resource === 'subscriptions') Object.assign(record, { status: 'active', cancel_at_period_end: false });
    if (resource === 'invoices') Object.assign(record, { status: 'draft', amount_due: 0, total: 0 });
    if (resource === 'refunds') Object.assign(record, { status: 'succeeded' });
    apply(record, params);
    store.get(resource)?.unshift(record);
    return { status: 200, body: record };
  };

  const handle = (request: EmulatorRequest): EmulatorResponse => {
    const segments = request.url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'v1') return unrecognized(request);
    if (segments[1] === 'balance' && segments.length === 2 && request.method === 'GET') {
      return {
        status: 200,
        body: { object: 'balance', available: [{ amount: 0, currency: 'usd' }], pending: [], livemode: false },
      };
    }
    if (segments[1] === 'webhook_endpoints' && segments.length <= 3) return webhookEndpoints(request, segments[2]);
    const resource = segments[1] as Resource;
    const records = store.get(resource);
    if (!records || segments.length > 3) return unrecognized(request);
    const id = segments[2];

    if (id !== undefined) {
      const found = records.find((r) => r.id === id);
      if (request.method === 'GET') {
        if (!found) return missing(resource, id);
        return { status: 200, body: found.deleted ? { id, object: found.object, deleted: true } : found };
      }
      if (request.method === 'POST') {
        if (!found || found.deleted) return missing(resource, id);
        const params = paramsOf(request);
        const invalid = checkParams(resource, params, false);
        if (invalid) return invalid;
        apply(found, params);
        return { status: 200, body: found };
      }
      if (request.method === 'DELETE') {
        if (resource === 'charges' || resource === 'refunds') return unrecognized(request);
        if (!found || found.deleted) return missing(resource, id);
        if (resource === 'subscriptions') {
          Object.assign(found, { status: 'canceled', canceled_at: nowSeconds() });
          return { status: 200, body: found };
        }
        if (resource === 'invoices') {
          if (found.status !== 'draft') {
            return error(400, 'invalid_request_error', 'You can only delete draft invoices.', {
              code: 'invoice_not_editable',
            });
          }
          records.splice(records.indexOf(found), 1);
          return { status: 200, body: { id, object: 'invoice', deleted: true } };
        }
        found.deleted = true;
        return { status: 200, body: { id, object: found.object, deleted: true } };
      }
      return unrecognized(request);
    }

    if (request.method === 'POST') return create(resource, paramsOf(request));
    if (request.method !== 'GET') return unrecognized(request);

    const q = request.url.searchParams;
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return error(400, 'invalid_request_error', 'Invalid integer: limit must be between 1 and 100.', {
        param: 'limit',
      });
    }
    let matching = records;
    for (const [op, test] of [
      ['gte', (a: number, b: number) => a >= b],
      ['gt', (a: number, b: number) => a > b],
      ['lte', (a: number, b: number) => a <= b],
      ['lt', (a: number, b: number) => a < b],
    ] as const) {
      const value = q.get(`created[${op}]`);
      if (value) matching = matching.filter((r) => test(r.created as number, Number(value)));
    }
    if (resource === 'customers' && q.has('email')) matching = matching.filter((r) => r.email === q.get('email'));
    if (resource === 'subscriptions') {
      const status = q.get('status');
      if (status !== 'all') matching = matching.filter((r) => (status ? r.status === status : r.status !== 'canceled'));
    }
    const visible = (r: Row) => !r.deleted;
    let page: Row[];
    let hasMore: boolean;
    const after = q.get('starting_after');
    const before = q.get('ending_before');
    if (after || before) {
      const cursor = (after ?? before) as string;
      // Cursors are object ids; a deleted customer is still a valid place to continue from.
      const at = matching.findIndex((r) => r.id === cursor);
      if (at < 0) {
        return error(400, 'invalid_request_error', `No such ${RESOURCES[resource].object}: '${cursor}'`, {
          code: 'resource_missing',
          param: after ? 'starting_after' : 'ending_before',
        });
      }
      if (after) {
        const rest = matching.slice(at + 1).filter(visible);
        page = rest.slice(0, limit);
        hasMore = rest.length > limit;
      } else {
        const rest = matching.slice(0, at).filter(visible);
        page = rest.slice(Math.max(0, rest.length - limit));
        hasMore = rest.length > limit;
      }
    } else {
      const rest = matching.filter(visible);
      page = rest.slice(0, limit);
      hasMore = rest.length > limit;
    }
    return { status: 200, body: { object: 'list', url: `/v1/${resource}`, has_more: hasMore, data: page } };
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const requestId = { 'request-id': `req_emu${String(counters.requests).padStart(10, '0')}` };
    const withId = (r: EmulatorResponse): EmulatorResponse => ({ ...r, headers: { ...requestId, ...r.headers } });
    if (apiKeyOf(request) !== apiKey) return withId(responses.tokenExpired());
    if (control.rateLimitEnabled && !limiter.take().allowed) {
      counters.rateLimited += 1;
      return withId(responses.rateLimited());
    }
    const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    if (typeof key === 'string' && key !== '') {
      const fingerprint = `${request.url.pathname} ${request.rawBody}`;
      const seen = idempotency.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return withId(
            error(
              400,
              'idempotency_error',
              `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            ),
          );
        }
        return { ...seen.response, headers: { ...seen.response.headers, 'idempotent-replayed': 'true' } };
      }
      const response = withId(handle(request));
      if (response.status < 500) idempotency.set(key, { fingerprint, response: structuredClone(response) });
      return response;
    }
    return withId(handle(request));
  }, control);
}
