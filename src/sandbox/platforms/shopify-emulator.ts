/**
 * Shopify Admin REST, as https://shopify.dev/docs/api/admin-rest describes it: `X-Shopify-Access-Token` auth,
 * resources at `/admin/api/<version>/<resource>.json` wrapped in a key named after the resource, cursor pagination
 * through the `Link` header (`page_info`, `limit` 1–250, default 50; with `page_info` only `limit` and `fields` may
 * be sent), `updated_at_min` filters, orders listing only open orders unless `status=any`, inventory levels that
 * need `location_ids` or `inventory_item_ids`, and `X-Shopify-Shop-Api-Call-Limit` on every response.
 */
import { type EmulatorHandler, type EmulatorRequest, type EmulatorResponse, seededDate } from '../emulator-server.js';

type Row = Record<string, unknown>;

const RESOURCES: Record<string, (i: number) => Row> = {
  customers: (i) => ({
    id: 1000 + i,
    email: `customer${i}@example.com`,
    first_name: 'Customer',
    last_name: `${i}`,
    state: 'enabled',
    orders_count: i % 4,
  }),
  products: (i) => ({
    id: 2000 + i,
    title: `Product ${i}`,
    vendor: 'Emulator',
    product_type: 'Widget',
    status: 'active',
    handle: `product-${i}`,
  }),
  orders: (i) => ({
    id: 3000 + i,
    name: `#${1000 + i}`,
    email: `customer${i}@example.com`,
    currency: 'USD',
    total_price: `${(10 + i).toFixed(2)}`,
    financial_status: 'paid',
    status: i % 5 === 0 ? 'closed' : 'open',
    closed_at: i % 5 === 0 ? seededDate(i).toISOString() : null,
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

export interface ShopifyEmulatorOptions {
  accessToken?: string;
  records?: number;
  apiVersion?: string;
  /** Bucket size reported in `X-Shopify-Shop-Api-Call-Limit` (40 on standard plans). */
  bucketSize?: number;
}

export function shopifyEmulator(options: ShopifyEmulatorOptions = {}): EmulatorHandler {
  const token = options.accessToken ?? 'shpat_emulator';
  const count = options.records ?? 25;
  const version = options.apiVersion ?? '2026-10';
  const bucket = options.bucketSize ?? 40;
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
  const cursors = new Map<string, { resource: string; offset: number; limit: number; filters: URLSearchParams }>();

  const respond = (r: EmulatorResponse): EmulatorResponse => ({
    ...r,
    headers: { 'x-shopify-shop-api-call-limit': `1/${bucket}`, 'x-request-id': `emu-${cursors.size}`, ...r.headers },
  });

  return (request: EmulatorRequest) => {
    if (request.headers['x-shopify-access-token'] !== token) {
      return respond({
        status: 401,
        body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
      });
    }
    const match = new RegExp(`^/admin/api/${version}/([a-z_]+)(?:/(\\d+))?\\.json$`).exec(request.url.pathname);
    if (!match) return respond({ status: 404, body: { errors: 'Not Found' } });
    const [, resource, id] = match as unknown as [string, string, string | undefined];
    if (resource === 'shop' && !id) {
      return respond({
        status: 200,
        body: { shop: { id: 1, name: 'Emulator shop', myshopify_domain: 'emulator.myshopify.com', currency: 'USD' } },
      });
    }
    const rows = store.get(resource);
    if (!rows || request.method !== 'GET') return respond({ status: 404, body: { errors: 'Not Found' } });
    const singular = resource.replace(/s$/, '');
    if (id) {
      const found = rows.find((r) => String(r.id) === id);
      return found
        ? respond({ status: 200, body: { [singular]: found } })
        : respond({ status: 404, body: { errors: 'Not Found' } });
    }

    const q = request.url.searchParams;
    const limit = q.has('limit') ? Number(q.get('limit')) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) {
      return respond({ status: 400, body: { errors: { limit: 'must be between 1 and 250' } } });
    }
    let state: { resource: string; offset: number; filters: URLSearchParams };
    const pageInfo = q.get('page_info');
    if (pageInfo) {
      const extra = [...q.keys()].filter((k) => k !== 'page_info' && k !== 'limit' && k !== 'fields');
      if (extra.length > 0) {
        return respond({
          status: 400,
          body: { errors: { page_info: `page_info cannot be combined with ${extra.join(', ')}` } },
        });
      }
      const saved = cursors.get(pageInfo);
      if (!saved || saved.resource !== resource)
        return respond({ status: 400, body: { errors: { page_info: 'Invalid value.' } } });
      state = saved;
    } else {
      state = { resource, offset: 0, filters: q };
    }
    let matching = rows;
    const updatedMin = state.filters.get('updated_at_min');
    if (updatedMin) matching = matching.filter((r) => Date.parse(r.updated_at as string) >= Date.parse(updatedMin));
    if (resource === 'orders' && (state.filters.get('status') ?? 'open') === 'open') {
      matching = matching.filter((r) => r.status === 'open');
    }
    if (
      resource === 'inventory_levels' &&
      !state.filters.has('location_ids') &&
      !state.filters.has('inventory_item_ids')
    ) {
      return respond({ status: 422, body: { errors: { base: ['location_ids or inventory_item_ids is required'] } } });
    }
    const page = matching.slice(state.offset, state.offset + limit);
    const links: string[] = [];
    const base = `${request.url.origin}/admin/api/${version}/${resource}.json`;
    if (state.offset + limit < matching.length) {
      const next = `p${cursors.size + 1}`;
      cursors.set(next, { resource, offset: state.offset + limit, limit, filters: state.filters });
      links.push(`<${base}?limit=${limit}&page_info=${next}>; rel="next"`);
    }
    if (state.offset > 0) {
      const prev = `p${cursors.size + 1}`;
      cursors.set(prev, { resource, offset: Math.max(0, state.offset - limit), limit, filters: state.filters });
      links.unshift(`<${base}?limit=${limit}&page_info=${prev}>; rel="previous"`);
    }
    return respond({
      status: 200,
      headers: links.length ? { link: links.join(', ') } : {},
      body: { [resource]: page },
    });
  };
}
