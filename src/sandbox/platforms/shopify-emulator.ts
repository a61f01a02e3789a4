/**
 * Shopify Admin REST, as https://shopify.dev/docs/api/admin-rest describes it:
 *
 * - Auth: `X-Shopify-Access-Token`; an unknown or expired token is a 401
 *   `{ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }`.
 * - Resources at `/admin/api/<version>/<resource>.json`, wrapped in a key named after the resource (`{ customers:
 *   [...] }`, `{ customer: {...} }`); cursor pagination through the `Link` header
 *   (https://shopify.dev/docs/api/admin-rest/usage/pagination): `page_info`, `limit` 1–250 (default 50), and with
 *   `page_info` only `limit` and `fields` may be sent; `updated_at_min`/`max`, `since_id`, `ids` filters; orders list
 *   only open orders unless `status=any`; inventory levels need `location_ids` or `inventory_item_ids`.
 * - Writes: POST `/<resource>.json` (201), PUT `/<resource>/<id>.json`, DELETE `/<resource>/<id>.json` (200 `{}`),
 *   bodies wrapped in the singular name; a missing wrapper is a 400 `Required parameter missing or invalid`;
 *   validation failures are 422 `{ errors: { <field>: [messages] } }` (product and collection `title` can't be blank,
 *   customer email taken); writes bump `updated_at`.
 * - Rate limit (https://shopify.dev/docs/api/admin-rest/usage/rate-limits): a leaky bucket per app and store, 40
 *   requests leaking 2/s (standard plans); every response carries `X-Shopify-Shop-Api-Call-Limit: <used>/40`; over
 *   it, 429 with `Retry-After: 2.0` and `{ errors: "Exceeded 2 calls per second for api client. …" }`.
 * - OAuth (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens):
 *   `POST /admin/oauth/access_token` exchanges `client_id`, `client_secret` and `code`; expiring offline tokens live
 *   60 minutes and `grant_type=refresh_token` replaces the refresh token on every refresh (rotation). No PKCE.
 * - Webhooks (https://shopify.dev/docs/api/admin-rest/latest/resources/webhook): POST `/webhooks.json`
 *   `{ webhook: { topic, address, format } }` → 201 `{ webhook: { id, address, topic, format, created_at, updated_at,
 *   api_version, fields, metafield_namespaces } }`; a blank topic or address is a 422 `{ errors: { topic: ["can't be
 *   blank"] } }`, a topic not in the documented list a 422 "Invalid topic specified", the same topic and address twice
 *   a 422 `{ errors: { address: ["for this topic has already been taken"] } }`; GET `/webhooks.json` (filters
 *   `topic`, `address`), GET, PUT and DELETE (200 `{}`) `/webhooks/<id>.json`. `http://` addresses are accepted
 *   (loopback tests), which Shopify refuses.
 * - Deliveries (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries): `control.deliver` posts the payload
 *   as JSON with `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the body with the app's client
 *   secret), `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`, `X-Shopify-Webhook-Id`, `X-Shopify-Event-Id` and
 *   `X-Shopify-Triggered-At`.
 */
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../runtime/webhooks/sign-webhook.js';
import {
  copyRecords,
  type OAuthEmulatorControl,
  type PlatformEmulator,
  platformEmulator,
} from '../emulator-control.js';
import {
  emulatorControl,
  type OAuthEmulatorOptions,
  oauthControl,
  oauthTokenIssuer,
  resolveEmulatorOptions,
  type TokenDefaults,
} from '../emulator-options.js';
import { type EmulatorRequest, type EmulatorResponse, seededDate } from '../emulator-server.js';
import { oauthTokenRoute } from '../oauth-token-route.js';
import { LeakyBucket } from '../rate-limiters.js';

type Row = Record<string, unknown>;

const RESOURCES: Record<string, (i: number) => Row> = {
  customers: (i) => ({
    id: 1000 + i,
    email: `customer${i}@example.com`,
    first_name: 'Customer',
    last_name: `${i}`,
    phone: null,
    state: 'enabled',
    currency: 'USD',
    orders_count: i % 4,
    tags: '',
    admin_graphql_api_id: `gid://shopify/Customer/${1000 + i}`,
  }),
  products: (i) => ({
    id: 2000 + i,
    title: `Product ${i}`,
    vendor: 'Emulator',
    product_type: 'Widget',
    status: 'active',
    handle: `product-${i}`,
    variants: [],
    admin_graphql_api_id: `gid://shopify/Product/${2000 + i}`,
  }),
  orders: (i) => ({
    id: 3000 + i,
    name: `#${1000 + i}`,
    email: `customer${i}@example.com`,
    currency: 'USD',
    total_price: `${(10 + i).toFixed(2)}`,
    financial_status: 'paid',
    line_items: [{ id: 9000 + i, title: `Product ${i}`, quantity: 1, price: `${(10 + i).toFixed(2)}` }],
    closed_at: i % 5 === 0 ? seededDate(i).toISOString() : null,
    cancelled_at: null,
    admin_graphql_api_id: `gid://shopify/Order/${3000 + i}`,
  }),
  custom_collections: (i) => ({
    id: 4000 + i,
    title: `Collection ${i}`,
    handle: `collection-${i}`,
    published_scope: 'web',
  }),
  smart_collections: (i) => ({
    id: 5000 + i,
    title: `Smart collection ${i}`,
    handle: `smart-${i}`,
    rules: [],
    disjunctive: false,
  }),
  inventory_levels: (i) => ({
    inventory_item_id: 6000 + i,
    location_id: 1,
    available: i,
    admin_graphql_api_id: `gid://shopify/InventoryLevel/1?inventory_item_id=${6000 + i}`,
  }),
};

const SINGULAR: Record<string, string> = {
  customers: 'customer',
  products: 'product',
  orders: 'order',
  custom_collections: 'custom_collection',
  smart_collections: 'smart_collection',
  inventory_levels: 'inventory_level',
};
const WRITABLE = new Set(['customers', 'products', 'orders', 'custom_collections']);
const READ_ONLY_FIELDS = new Set(['id', 'created_at', 'updated_at', 'admin_graphql_api_id']);

const keyOf = (resource: string) => (resource === 'inventory_levels' ? 'inventory_item_id' : 'id');

interface PageInfo {
  /** resource */
  r: string;
  /** last (next) or first (previous) key of the page the link was made from */
  k: number;
  /** direction */
  d: 'next' | 'prev';
  /** the first request's filters */
  f: [string, string][];
}

const encodePageInfo = (info: PageInfo) => Buffer.from(JSON.stringify(info)).toString('base64url');
function decodePageInfo(value: string): PageInfo | undefined {
  try {
    const info = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as PageInfo;
    return typeof info.r === 'string' && typeof info.k === 'number' && Array.isArray(info.f) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** What the emulator issues unless its options say otherwise: expiring offline tokens, whose refresh rotates. */
const TOKEN_DEFAULTS: TokenDefaults = {
  clientId: 'shopify-emulator-client',
  clientSecret: 'shopify-emulator-secret',
  accessToken: 'shpat_emulator',
  refreshToken: 'shprt_emulator',
  accessTokenLifetimeSeconds: 3600,
  rotateRefreshTokens: true,
};

/**
 * Token options default to access token `shpat_emulator`, a lifetime of 3600 s (expiring offline tokens) and a
 * refresh that replaces the refresh token, as Shopify's expiring offline tokens do.
 */
export interface ShopifyEmulatorOptions extends OAuthEmulatorOptions {
  apiVersion?: string;
  /** The documented bucket (40, leaking 2/s), or `false` to turn it off. */
  rateLimit?: false | { capacity?: number; leakPerSecond?: number };
}

/** An answered delivery: the endpoint's status and body, and the `X-Shopify-Webhook-Id` it carried. */
export interface ShopifyDelivery {
  status: number;
  body: string;
  deliveryId: string;
}

export interface ShopifyEmulatorControl extends OAuthEmulatorControl {
  /** The webhook subscriptions the shop has now (copies). */
  webhooks(): Row[];
  /** Deletes a subscription as if the app's merchant or Shopify removed it; `false` when there is none. */
  dropWebhook(id: number | string): boolean;
  /**
   * Sends a payload to a subscription's address, as Shopify delivers it: JSON, signed with the app's client secret
   * (the OAuth client the emulator issues tokens to).
   * @throws RangeError for an unknown subscription.
   * @example
   * const { status } = await control.deliver(webhook.id, { id: 820982911946154500, email: 'jon@example.com' });
   */
  deliver(id: number | string, payload: unknown): Promise<ShopifyDelivery>;
}

/** The shop's domain, as `/shop.json` and deliveries name it. */
const SHOP_DOMAIN = 'emulator.myshopify.com';

/** Webhook topics of the REST Admin API's Webhook resource (its `topic` property's documented values). */
const WEBHOOK_TOPICS = new Set(
  [
    'app/uninstalled app_purchases_one_time/update app_subscriptions/approaching_capped_amount app_subscriptions/update',
    'bulk_operations/finish carts/create carts/update channels/delete checkouts/create checkouts/delete checkouts/update',
    'collection_listings/add collection_listings/remove collection_listings/update collection_publications/create',
    'collection_publications/delete collection_publications/update collections/create collections/delete',
    'collections/update companies/create companies/delete companies/update customer_groups/create',
    'customer_groups/delete customer_groups/update customer_payment_methods/create customer_payment_methods/revoke',
    'customer_payment_methods/update customers/create customers/delete customers/disable customers/enable',
    'customers/merge customers/update customers_email_marketing_consent/update customers_marketing_consent/update',
    'disputes/create disputes/update domains/create domains/destroy domains/update draft_orders/create',
    'draft_orders/delete draft_orders/update fulfillment_events/create fulfillment_events/delete',
    'fulfillment_orders/cancelled fulfillment_orders/fulfillment_request_accepted fulfillment_orders/hold_released',
    'fulfillment_orders/moved fulfillment_orders/placed_on_hold fulfillment_orders/rescheduled',
    'fulfillment_orders/scheduled_fulfillment_order_ready fulfillments/create fulfillments/update',
    'inventory_items/create inventory_items/delete inventory_items/update inventory_levels/connect',
    'inventory_levels/disconnect inventory_levels/update locales/create locales/update locations/activate',
    'locations/create locations/deactivate locations/delete locations/update markets/create markets/delete',
    'markets/update order_transactions/create orders/cancelled orders/create orders/delete orders/edited',
    'orders/fulfilled orders/paid orders/partially_fulfilled orders/updated payment_terms/create payment_terms/delete',
    'payment_terms/update product_listings/add product_listings/remove product_listings/update',
    'product_publications/create product_publications/delete product_publications/update products/create',
    'products/delete products/update refunds/create selling_plan_groups/create selling_plan_groups/delete',
    'selling_plan_groups/update shop/update subscription_billing_attempts/failure subscription_billing_attempts/success',
    'subscription_contracts/create subscription_contracts/update tender_transactions/create themes/create',
    'themes/delete themes/publish themes/update',
  ]
    .join(' ')
    .split(' '),
);

export function shopifyEmulator(options: ShopifyEmulatorOptions = {}): PlatformEmulator<ShopifyEmulatorControl> {
  const resolved = resolveEmulatorOptions(options, { apiVersion: '2026-10' });
  const { records: count, apiVersion: version, now, counters, limits } = resolved;
  const capacity = limits.capacity ?? 40;
  const leakPerSecond = limits.leakPerSecond ?? 2;
  const bucket = new LeakyBucket({ capacity, leakPerSecond, now });
  const tokens = oauthTokenIssuer(now, options, TOKEN_DEFAULTS);
  const store = new Map<string, Row[]>();
  for (const [name, make] of Object.entries(RESOURCES)) {
    store.set(
      name,
      Array.from({ length: count }, (_, n) => {
        const i = n + 1;
        const at = seededDate(i).toISOString();
        return { ...make(i), created_at: at, updated_at: at };
      }),
    );
  }
  let nextId = 100_000;
  const apiPrefix = `/admin/api/${version}/`;
  const webhooks: Row[] = [];

  const responses = {
    rateLimited: (): EmulatorResponse => ({
      status: 429,
      headers: { 'retry-after': '2.0', 'x-shopify-shop-api-call-limit': `${capacity}/${capacity}` },
      body: {
        errors: `Exceeded ${leakPerSecond} calls per second for api client. Reduce request rates to resume uninterrupted service.`,
      },
    }),
    serverError: (status: number): EmulatorResponse => ({
      status,
      body: { errors: status === 503 ? 'Unavailable Shop' : 'Internal Server Error' },
    }),
    tokenExpired: (): EmulatorResponse => ({
      status: 401,
      body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
    }),
  };

  const control: ShopifyEmulatorControl = {
    ...emulatorControl('shopify', resolved, { store, resetRateLimits: () => bucket.reset(), responses }),
    ...oauthControl(tokens, '/admin/oauth/access_token'),
    webhooks: () => copyRecords(webhooks),
    dropWebhook: (id) => {
      const at = webhooks.findIndex((w) => String(w.id) === String(id));
      if (at >= 0) webhooks.splice(at, 1);
      return at >= 0;
    },
    deliver: async (id, payload) => {
      const webhook = webhooks.find((w) => String(w.id) === String(id));
      if (!webhook) throw new RangeError(`shopify emulator: no webhook ${id}`);
      const rawBody = JSON.stringify(payload);
      const deliveryId = randomUUID();
      const signed = signWebhook('shopify-hmac-sha256', { secret: tokens.clientSecret, rawBody, deliveryId });
      const response = await fetch(webhook.address as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signed.headers,
          'X-Shopify-Topic': webhook.topic as string,
          'X-Shopify-Shop-Domain': SHOP_DOMAIN,
          'X-Shopify-API-Version': version,
          'X-Shopify-Webhook-Id': deliveryId,
          'X-Shopify-Event-Id': randomUUID(),
          'X-Shopify-Triggered-At': stamp(),
        },
        body: rawBody,
      });
      return { status: response.status, body: await response.text(), deliveryId };
    },
  };

  const notFound = (): EmulatorResponse => ({ status: 404, body: { errors: 'Not Found' } });
  const invalid = (errors: Record<string, string[]>): EmulatorResponse => ({ status: 422, body: { errors } });
  const stamp = () => new Date(now()).toISOString();

  const tokenRoute = oauthTokenRoute({
    tokens,
    counters,
    paths: [control.tokenPath],
    grants: ['authorization_code', 'refresh_token'],
    // Anything but a refresh is the code exchange, which takes no PKCE verifier.
    grantOf: (f) => (f.grant_type === 'refresh_token' ? 'refresh_token' : 'authorization_code'),
    pkce: false,
    methodNotAllowed: notFound,
    refused: (refusal) => ({
      status: refusal.error === 'invalid_client' ? 401 : 400,
      body: { error: refusal.error, error_description: refusal.description },
    }),
    issued: ({ accessToken, refreshToken, expiresIn }) => {
      const body: Row = { access_token: accessToken, scope: 'read_customers,write_customers,read_orders,write_orders' };
      if (expiresIn !== undefined) {
        Object.assign(body, {
          expires_in: expiresIn,
          refresh_token: refreshToken,
          refresh_token_expires_in: 7_776_000,
        });
      }
      return { status: 200, body };
    },
  });

  const validate = (resource: string, fields: Row, existing: Row | undefined): EmulatorResponse | undefined => {
    const merged = { ...existing, ...fields };
    const blank = (v: unknown) => v === undefined || v === null || String(v).trim() === '';
    if ((resource === 'products' || resource === 'custom_collections') && blank(merged.title)) {
      return invalid({ title: ["can't be blank"] });
    }
    if (resource === 'customers') {
      if (['email', 'phone', 'first_name', 'last_name'].every((k) => blank(merged[k]))) {
        return invalid({ customer: ['must have a name, phone number or email address'] });
      }
      if (!blank(fields.email)) {
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(fields.email))) return invalid({ email: ['is invalid'] });
        const taken = store
          .get('customers')
          ?.some((c) => c !== existing && String(c.email).toLowerCase() === String(fields.email).toLowerCase());
        if (taken) return invalid({ email: ['has already been taken'] });
      }
    }
    if (resource === 'orders' && !existing && (!Array.isArray(fields.line_items) || fields.line_items.length === 0)) {
      return invalid({ line_items: ['must have at least one line item'] });
    }
    return undefined;
  };

  /** The Webhook resource: `/webhooks.json` and `/webhooks/<id>.json`. */
  const webhookApi = (request: EmulatorRequest, id: string | undefined): EmulatorResponse => {
    const blank = (v: unknown) => v === undefined || v === null || String(v).trim() === '';
    const check = (fields: Row, current: Row | undefined): EmulatorResponse | undefined => {
      const merged = { ...current, ...fields };
      const errors: Record<string, string[]> = {};
      if (blank(merged.topic)) errors.topic = ["can't be blank"];
      else if (!WEBHOOK_TOPICS.has(String(merged.topic))) {
        errors.topic = [
          `Invalid topic specified: ${String(merged.topic)}. Topics allowed: ${[...WEBHOOK_TOPICS].join(', ')}`,
        ];
      }
      if (blank(merged.address)) errors.address = ["can't be blank"];
      else if (!URL.canParse(String(merged.address))) errors.address = ['is invalid'];
      else if (webhooks.some((w) => w !== current && w.topic === merged.topic && w.address === merged.address)) {
        errors.address = ['for this topic has already been taken'];
      }
      if (merged.format !== undefined && merged.format !== 'json' && merged.format !== 'xml') {
        errors.format = ['is not included in the list'];
      }
      return Object.keys(errors).length > 0 ? invalid(errors) : undefined;
    };
    const fieldsOf = (): Row | undefined => {
      const fields = (request.body as Row | undefined)?.webhook;
      return fields && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Row) : undefined;
    };
    const missingWrapper = (): EmulatorResponse => ({
      status: 400,
      body: { errors: { webhook: 'Required parameter missing or invalid' } },
    });
    const pick = (fields: Row): Row =>
      Object.fromEntries(
        Object.entries(fields).filter(([k]) =>
          ['topic', 'address', 'format', 'fields', 'metafield_namespaces'].includes(k),
        ),
      );
    if (id === undefined) {
      if (request.method === 'GET') {
        const q = request.url.searchParams;
        const shown = webhooks.filter(
          (w) =>
            (!q.has('topic') || w.topic === q.get('topic')) && (!q.has('address') || w.address === q.get('address')),
        );
        return { status: 200, body: { webhooks: structuredClone(shown) } };
      }
      if (request.method !== 'POST') return notFound();
      const fields = fieldsOf();
      if (!fields) return missingWrapper();
      const values = pick(fields);
      const problem = check(values, undefined);
      if (problem) return problem;
      const at = stamp();
      nextId += 1;
      const webhook: Row = {
        id: nextId,
        address: values.address,
        topic: values.topic,
        created_at: at,
        updated_at: at,
        format: values.format ?? 'json',
        fields: Array.isArray(values.fields) ? values.fields : [],
        metafield_namespaces: Array.isArray(values.metafield_namespaces) ? values.metafield_namespaces : [],
        api_version: version,
      };
      webhooks.push(webhook);
      return { status: 201, body: { webhook: structuredClone(webhook) } };
    }
    const found = webhooks.find((w) => String(w.id) === id);
    if (!found) return notFound();
    if (request.method === 'GET') return { status: 200, body: { webhook: structuredClone(found) } };
    if (request.method === 'PUT') {
      const fields = fieldsOf();
      if (!fields) return missingWrapper();
      const changes = pick(fields);
      const problem = check(changes, found);
      if (problem) return problem;
      Object.assign(found, changes, { updated_at: stamp() });
      return { status: 200, body: { webhook: structuredClone(found) } };
    }
    if (request.method === 'DELETE') {
      webhooks.splice(webhooks.indexOf(found), 1);
      return { status: 200, body: {} };
    }
    return notFound();
  };

  const writableFields = (fields: Row): Row =>
    Object.fromEntries(Object.entries(fields).filter(([k]) => !READ_ONLY_FIELDS.has(k)));

  const list = (request: EmulatorRequest, resource: string, rows: Row[]): EmulatorResponse => {
    const q = request.url.searchParams;
    const limit = q.has('limit') ? Number(q.get('limit')) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) {
      return { status: 400, body: { errors: { limit: 'must be between 1 and 250' } } };
    }
    let filters: URLSearchParams;
    let cursor: { key: number; direction: 'next' | 'prev' } | undefined;
    const pageInfo = q.get('page_info');
    if (pageInfo) {
      const extra = [...q.keys()].filter((k) => k !== 'page_info' && k !== 'limit' && k !== 'fields');
      if (extra.length > 0) {
        return {
          status: 400,
          body: { errors: { page_info: `page_info cannot be combined with ${extra.join(', ')}` } },
        };
      }
      const info = decodePageInfo(pageInfo);
      if (!info || info.r !== resource) return { status: 400, body: { errors: { page_info: 'Invalid value.' } } };
      filters = new URLSearchParams(info.f);
      cursor = { key: info.k, direction: info.d };
    } else {
      filters = new URLSearchParams([...q].filter(([k]) => k !== 'limit'));
    }
    const key = keyOf(resource);
    let matching = [...rows].sort((a, b) => (a[key] as number) - (b[key] as number));
    if (resource === 'inventory_levels' && !filters.has('location_ids') && !filters.has('inventory_item_ids')) {
      return invalid({ base: ['location_ids or inventory_item_ids is required'] });
    }
    const csv = (name: string) => filters.get(name)?.split(',').map(Number);
    const ids = csv(resource === 'inventory_levels' ? 'inventory_item_ids' : 'ids');
    if (ids) matching = matching.filter((r) => ids.includes(r[key] as number));
    const locations = csv('location_ids');
    if (locations) matching = matching.filter((r) => locations.includes(r.location_id as number));
    const sinceId = filters.get('since_id');
    if (sinceId) matching = matching.filter((r) => (r[key] as number) > Number(sinceId));
    for (const [param, field, cmp] of [
      ['updated_at_min', 'updated_at', (a: number, b: number) => a >= b],
      ['updated_at_max', 'updated_at', (a: number, b: number) => a <= b],
      ['created_at_min', 'created_at', (a: number, b: number) => a >= b],
      ['created_at_max', 'created_at', (a: number, b: number) => a <= b],
    ] as const) {
      const value = filters.get(param);
      if (value) matching = matching.filter((r) => cmp(Date.parse(r[field] as string), Date.parse(value)));
    }
    if (resource === 'orders') {
      const status = filters.get('status') ?? 'open';
      if (status === 'open') matching = matching.filter((r) => !r.closed_at && !r.cancelled_at);
      else if (status === 'closed') matching = matching.filter((r) => r.closed_at);
      else if (status === 'cancelled') matching = matching.filter((r) => r.cancelled_at);
    }
    let page: Row[];
    if (!cursor) page = matching.slice(0, limit);
    else if (cursor.direction === 'next') {
      const k = cursor.key;
      page = matching.filter((r) => (r[key] as number) > k).slice(0, limit);
    } else {
      const k = cursor.key;
      const before = matching.filter((r) => (r[key] as number) < k);
      page = before.slice(Math.max(0, before.length - limit));
    }
    const links: string[] = [];
    const base = `${request.url.origin}${apiPrefix}${resource}.json`;
    const f = [...filters];
    const first = page[0]?.[key] as number | undefined;
    const last = page.at(-1)?.[key] as number | undefined;
    if (first !== undefined && matching.some((r) => (r[key] as number) < first)) {
      links.push(
        `<${base}?limit=${limit}&page_info=${encodePageInfo({ r: resource, k: first, d: 'prev', f })}>; rel="previous"`,
      );
    }
    if (last !== undefined && matching.some((r) => (r[key] as number) > last)) {
      links.push(
        `<${base}?limit=${limit}&page_info=${encodePageInfo({ r: resource, k: last, d: 'next', f })}>; rel="next"`,
      );
    }
    const fields = q.get('fields')?.split(',');
    const shown = fields
      ? page.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))))
      : page;
    return { status: 200, headers: links.length ? { link: links.join(', ') } : {}, body: { [resource]: shown } };
  };

  const api = (request: EmulatorRequest): EmulatorResponse => {
    const match = /^([a-z_]+)(?:\/(\d+))?\.json$/.exec(request.url.pathname.slice(apiPrefix.length));
    if (!request.url.pathname.startsWith(apiPrefix) || !match) return notFound();
    const [, resource, id] = match as unknown as [string, string, string | undefined];
    if (resource === 'shop' && !id && request.method === 'GET') {
      return {
        status: 200,
        body: { shop: { id: 1, name: 'Emulator shop', myshopify_domain: 'emulator.myshopify.com', currency: 'USD' } },
      };
    }
    if (resource === 'webhooks') return webhookApi(request, id);
    const rows = store.get(resource);
    if (!rows) return notFound();
    const singular = SINGULAR[resource] as string;
    const key = keyOf(resource);
    if (id) {
      const found = rows.find((r) => String(r[key]) === id);
      if (request.method === 'GET') return found ? { status: 200, body: { [singular]: found } } : notFound();
      if (!WRITABLE.has(resource)) return notFound();
      if (request.method === 'PUT') {
        if (!found) return notFound();
        const fields = (request.body as Row | undefined)?.[singular];
        if (!fields || typeof fields !== 'object') {
          return { status: 400, body: { errors: { [singular]: 'Required parameter missing or invalid' } } };
        }
        const changes = writableFields(fields as Row);
        const problem = validate(resource, changes, found);
        if (problem) return problem;
        Object.assign(found, changes, { updated_at: stamp() });
        return { status: 200, body: { [singular]: found } };
      }
      if (request.method === 'DELETE') {
        if (!found) return notFound();
        rows.splice(rows.indexOf(found), 1);
        return { status: 200, body: {} };
      }
      return notFound();
    }
    if (request.method === 'GET') return list(request, resource, rows);
    if (request.method === 'POST' && WRITABLE.has(resource)) {
      const fields = (request.body as Row | undefined)?.[singular];
      if (!fields || typeof fields !== 'object') {
        return { status: 400, body: { errors: { [singular]: 'Required parameter missing or invalid' } } };
      }
      const values = writableFields(fields as Row);
      const problem = validate(resource, values, undefined);
      if (problem) return problem;
      const at = stamp();
      nextId += 1;
      const record: Row = { id: nextId, ...values, created_at: at, updated_at: at };
      if (resource === 'customers') Object.assign(record, { state: 'disabled', orders_count: 0, ...values });
      if (resource === 'products') Object.assign(record, { status: 'active', variants: [], ...values });
      if (resource === 'orders') Object.assign(record, { closed_at: null, cancelled_at: null, ...values });
      rows.push(record);
      return { status: 201, body: { [singular]: record } };
    }
    return notFound();
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const requestId = { 'x-request-id': `emu-${counters.requests}` };
    const tokenAnswer = tokenRoute(request);
    if (tokenAnswer) return tokenAnswer;
    const auth = tokens.check(request.headers['x-shopify-access-token'] as string | undefined);
    if (auth.state !== 'valid') return { ...responses.tokenExpired(), headers: requestId };
    if (control.rateLimitEnabled) {
      const decision = bucket.take();
      if (!decision.allowed) {
        counters.rateLimited += 1;
        const limited = responses.rateLimited();
        return { ...limited, headers: { ...limited.headers, ...requestId } };
      }
    }
    const response =
      request.bodyError !== undefined
        ? { status: 400, body: { errors: 'Invalid JSON in request body' } }
        : api(request);
    const used = control.rateLimitEnabled ? bucket.peek().used : 1;
    return {
      ...response,
      headers: { 'x-shopify-shop-api-call-limit': `${used}/${capacity}`, ...requestId, ...response.headers },
    };
  }, control);
}
