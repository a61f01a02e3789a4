/**
 * Google Ads API over REST, as https://developers.google.com/google-ads/api/rest/overview describes it: OAuth bearer
 * token (the `developer-token` header is ignored since developer tokens were sunset on 2026-09-09), `POST /<version>/customers/<id>/googleAds:search` with a GAQL `query` (and
 * `pageToken`) in the JSON body, answering `{ results, nextPageToken, fieldMask }` with rows nested by resource
 * (`{ campaign: { resourceName, id, … } }`), `GET /<version>/customers:listAccessibleCustomers`, and errors in the
 * google.rpc shape `{ error: { code, message, status } }`.
 */
import { bearerToken, type EmulatorHandler } from '../emulator-server.js';

const RESOURCES: Record<string, (customer: string, i: number) => Record<string, unknown>> = {
  campaign: (c, i) => ({
    campaign: {
      resourceName: `customers/${c}/campaigns/${i}`,
      id: String(i),
      name: `Campaign ${i}`,
      status: 'ENABLED',
      advertisingChannelType: 'SEARCH',
    },
  }),
  ad_group: (c, i) => ({
    adGroup: {
      resourceName: `customers/${c}/adGroups/${i}`,
      id: String(i),
      name: `Ad group ${i}`,
      status: 'ENABLED',
      campaign: `customers/${c}/campaigns/${i}`,
    },
  }),
  ad_group_ad: (c, i) => ({
    adGroupAd: {
      resourceName: `customers/${c}/adGroupAds/${i}~${i}`,
      status: 'ENABLED',
      ad: { id: String(i), type: 'RESPONSIVE_SEARCH_AD' },
      adGroup: `customers/${c}/adGroups/${i}`,
    },
  }),
  ad_group_criterion: (c, i) => ({
    adGroupCriterion: {
      resourceName: `customers/${c}/adGroupCriteria/${i}~${i}`,
      criterionId: String(i),
      status: 'ENABLED',
      type: 'KEYWORD',
      keyword: { text: `keyword ${i}`, matchType: 'BROAD' },
    },
  }),
  audience: (c, i) => ({
    audience: {
      resourceName: `customers/${c}/audiences/${i}`,
      id: String(i),
      name: `Audience ${i}`,
      status: 'ENABLED',
    },
  }),
  user_list: (c, i) => ({
    userList: {
      resourceName: `customers/${c}/userLists/${i}`,
      id: String(i),
      name: `User list ${i}`,
      membershipStatus: 'OPEN',
    },
  }),
};

export interface GoogleAdsEmulatorOptions {
  accessToken?: string;
  customerId?: string;
  records?: number;
  apiVersion?: string;
  /** Rows per page (Google Ads fixes it at 10,000; small values exercise paging). */
  pageSize?: number;
}

function rpcError(code: number, status: string, message: string) {
  return { status: code, body: { error: { code, message, status } } };
}

export function googleAdsEmulator(options: GoogleAdsEmulatorOptions = {}): EmulatorHandler {
  const token = options.accessToken ?? 'ya29.emulator';
  const customer = options.customerId ?? '1234567890';
  const count = options.records ?? 25;
  const version = options.apiVersion ?? 'v26';
  const pageSize = options.pageSize ?? 10_000;
  const tokens = new Map<string, { resource: string; offset: number }>();
  return (request) => {
    if (bearerToken(request) !== token) {
      return rpcError(
        401,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token.',
      );
    }
    const path = request.url.pathname;
    if (path === `/${version}/customers:listAccessibleCustomers` && request.method === 'GET') {
      return { status: 200, body: { resourceNames: [`customers/${customer}`] } };
    }
    const match = new RegExp(`^/${version}/customers/([0-9]+)/googleAds:search$`).exec(path);
    if (!match || request.method !== 'POST')
      return rpcError(404, 'NOT_FOUND', `Method not found: ${request.method} ${path}`);
    if (match[1] !== customer) return rpcError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
    const body = (request.body ?? {}) as { query?: string; pageToken?: string };
    const resource = /\bFROM\s+([a-z_]+)/i.exec(body.query ?? '')?.[1];
    const make = resource ? RESOURCES[resource] : undefined;
    if (!make)
      return rpcError(
        400,
        'INVALID_ARGUMENT',
        `Request contains an invalid argument: unknown resource in query "${body.query}"`,
      );
    let offset = 0;
    if (body.pageToken) {
      const saved = tokens.get(body.pageToken);
      if (!saved || saved.resource !== resource) return rpcError(400, 'INVALID_ARGUMENT', 'Page token is not valid.');
      offset = saved.offset;
    }
    const results = Array.from({ length: Math.max(0, Math.min(pageSize, count - offset)) }, (_, n) =>
      make(customer, offset + n + 1),
    );
    const response: Record<string, unknown> = { results, fieldMask: `${resource}.id` };
    if (offset + pageSize < count) {
      const next = `pt${tokens.size + 1}`;
      tokens.set(next, { resource: resource as string, offset: offset + pageSize });
      response.nextPageToken = next;
    }
    return { status: 200, body: response };
  };
}
