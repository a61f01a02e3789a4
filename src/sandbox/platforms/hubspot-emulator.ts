/**
 * HubSpot CRM objects, as https://developers.hubspot.com/docs/api-reference/latest/overview describes it: bearer
 * auth (OAuth access token or private-app token), `GET /crm/objects/<date version>/<type>` (and the legacy
 * `/crm/v3/objects/<type>`) returning `{ results, paging: { next:
 * { after, link } } }` with `limit` (max 100, default 10) and `after`, records `{ id, properties, createdAt,
 * updatedAt, archived }`, and the `X-HubSpot-RateLimit-*` headers.
 */
import { bearerToken, type EmulatorHandler, seededDate } from '../emulator-server.js';

const OBJECTS: Record<string, (i: number) => Record<string, string>> = {
  contacts: (i) => ({ email: `contact${i}@example.com`, firstname: 'Contact', lastname: `${i}` }),
  companies: (i) => ({ name: `Company ${i}`, domain: `company${i}.example.com` }),
  deals: (i) => ({
    dealname: `Deal ${i}`,
    amount: `${1000 + i}`,
    dealstage: 'appointmentscheduled',
    pipeline: 'default',
  }),
  tickets: (i) => ({ subject: `Ticket ${i}`, hs_pipeline: '0', hs_pipeline_stage: '1' }),
};

export interface HubSpotEmulatorOptions {
  accessToken?: string;
  records?: number;
  /** Date-versioned API version served besides the legacy v3 paths. */
  apiVersion?: string;
}

export function hubspotEmulator(options: HubSpotEmulatorOptions = {}): EmulatorHandler {
  const token = options.accessToken ?? 'hubspot-emulator-token';
  const count = options.records ?? 25;
  const version = options.apiVersion ?? '2026-09';
  const objectPath = new RegExp(`^/crm/(?:v3/objects|objects/${version})/([a-z_]+)(?:/([0-9]+))?$`);
  const store = new Map(
    Object.entries(OBJECTS).map(([type, make]) => [
      type,
      Array.from({ length: count }, (_, n) => {
        const i = n + 1;
        const at = seededDate(i).toISOString();
        return {
          id: String(100 + i),
          properties: { ...make(i), createdate: at, hs_object_id: String(100 + i), lastmodifieddate: at },
          createdAt: at,
          updatedAt: at,
          archived: false,
        };
      }),
    ]),
  );
  const rateHeaders = {
    'x-hubspot-ratelimit-max': '110',
    'x-hubspot-ratelimit-remaining': '109',
    'x-hubspot-ratelimit-interval-milliseconds': '10000',
  };
  return (request) => {
    if (bearerToken(request) !== token) {
      return {
        status: 401,
        body: {
          status: 'error',
          message: 'Authentication credentials not found.',
          category: 'INVALID_AUTHENTICATION',
          correlationId: 'emulator',
        },
      };
    }
    const match = objectPath.exec(request.url.pathname);
    const rows = match ? store.get(match[1]!) : undefined;
    if (!match || !rows || request.method !== 'GET') {
      return { status: 404, body: { status: 'error', message: 'Resource not found', category: 'OBJECT_NOT_FOUND' } };
    }
    if (match[2]) {
      const found = rows.find((r) => r.id === match[2]);
      return found
        ? { status: 200, headers: rateHeaders, body: found }
        : { status: 404, body: { status: 'error', message: 'Object not found', category: 'OBJECT_NOT_FOUND' } };
    }
    const q = request.url.searchParams;
    const limit = Math.min(Number(q.get('limit') ?? 10), 100);
    const start = q.has('after') ? rows.findIndex((r) => Number(r.id) >= Number(q.get('after'))) : 0;
    const page = start < 0 ? [] : rows.slice(start, start + limit);
    const nextRow = start < 0 ? undefined : rows[start + limit];
    const body: Record<string, unknown> = { results: page };
    if (nextRow) {
      body.paging = {
        next: {
          after: nextRow.id,
          link: `${request.url.origin}${request.url.pathname}?after=${nextRow.id}&limit=${limit}`,
        },
      };
    }
    return { status: 200, headers: rateHeaders, body };
  };
}
