/**
 * Google Ads API over REST, as https://developers.google.com/google-ads/api/rest/overview describes it:
 *
 * - Auth: an OAuth bearer token (the `developer-token` header is ignored since developer tokens were sunset on
 *   2026-09-09); an expired one is a 401 `UNAUTHENTICATED`. Errors are google.rpc statuses `{ error: { code,
 *   message, status, details } }` with a `GoogleAdsFailure` in `details`.
 * - `POST /<version>/customers/<id>/googleAds:search` with a GAQL `query` (and `pageToken`) answers `{ results,
 *   nextPageToken, fieldMask }`; rows are nested by resource in lowerCamelCase (`{ campaign: { resourceName, id, … },
 *   customer: { currencyCode } }`), hold only the selected fields, and leave out fields at their default value; a
 *   field the resource does not have is 400 `INVALID_ARGUMENT` (`queryError: UNRECOGNIZED_FIELD`); the page size is
 *   fixed at 10,000 rows and sending `pageSize` is an error (`PAGE_SIZE_NOT_SUPPORTED`).
 *   `GET /<version>/customers:listAccessibleCustomers` lists the accounts the token reaches.
 * - Quotas (https://developers.google.com/google-ads/api/docs/api-policy/access-levels and
 *   https://developers.google.com/google-ads/api/docs/best-practices/quotas): Basic access allows 15,000 operations a
 *   day (requests for later pages of a query do not count); over it, HTTP 429 `RESOURCE_EXHAUSTED` with
 *   `quotaError: RESOURCE_EXHAUSTED` and `quotaErrorDetails.retryDelay` in the failure — no Retry-After header.
 *   Short-term throttling answers `RESOURCE_TEMPORARILY_EXHAUSTED` the same way (set `rateLimit.requestsPerSecond`;
 *   Google publishes no figure, so it is off by default).
 * - OAuth (https://developers.google.com/identity/protocols/oauth2/web-server): `POST https://oauth2.googleapis.com
 *   /token` (served here at `/token`): access tokens live 3,599 seconds, refreshing does not return a new refresh
 *   token, PKCE is checked when a challenge was registered, and errors are `{ error: "invalid_grant",
 *   error_description: "Token has been expired or revoked." }`.
 *
 * No writes: Google Ads writes are `:mutate` calls with operation lists, which the adapters do not make.
 */
import { randomUUID } from 'node:crypto';
import { type OAuthEmulatorControl, type PlatformEmulator, platformEmulator } from '../emulator-control.js';
import {
  emulatorControl,
  type OAuthEmulatorOptions,
  oauthControl,
  oauthTokenIssuer,
  resolveEmulatorOptions,
  type TokenDefaults,
} from '../emulator-options.js';
import { bearerToken, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { oauthTokenRoute } from '../oauth-token-route.js';
import { SlidingWindow } from '../rate-limiters.js';

type Row = Record<string, unknown>;

const RESOURCES: Record<string, (customer: string, i: number) => Row> = {
  campaign: (c, i) => ({
    campaign: {
      resourceName: `customers/${c}/campaigns/${i}`,
      id: String(i),
      name: `Campaign ${i}`,
      status: 'ENABLED',
      servingStatus: 'SERVING',
      primaryStatus: 'ELIGIBLE',
      advertisingChannelType: 'SEARCH',
      biddingStrategyType: 'MANUAL_CPC',
      campaignBudget: `customers/${c}/campaignBudgets/${i}`,
      startDateTime: '2026-01-01 00:00:00',
      endDateTime: '2037-12-30 23:59:59',
    },
    customer: { resourceName: `customers/${c}`, id: c, currencyCode: 'USD' },
  }),
  ad_group: (c, i) => ({
    adGroup: {
      resourceName: `customers/${c}/adGroups/${i}`,
      id: String(i),
      name: `Ad group ${i}`,
      status: 'ENABLED',
      type: 'SEARCH_STANDARD',
      campaign: `customers/${c}/campaigns/${i}`,
      cpcBidMicros: String(1_000_000 + i),
    },
    campaign: { resourceName: `customers/${c}/campaigns/${i}`, id: String(i) },
  }),
  ad_group_ad: (c, i) => ({
    adGroupAd: {
      resourceName: `customers/${c}/adGroupAds/${i}~${i}`,
      status: 'ENABLED',
      ad: {
        resourceName: `customers/${c}/ads/${i}`,
        id: String(i),
        name: `Ad ${i}`,
        type: 'RESPONSIVE_SEARCH_AD',
        finalUrls: [`https://example.com/${i}`],
      },
      adGroup: `customers/${c}/adGroups/${i}`,
    },
    adGroup: { resourceName: `customers/${c}/adGroups/${i}`, id: String(i) },
    campaign: { resourceName: `customers/${c}/campaigns/${i}`, id: String(i) },
  }),
  ad_group_criterion: (c, i) => ({
    adGroupCriterion: {
      resourceName: `customers/${c}/adGroupCriteria/${i}~${i}`,
      criterionId: String(i),
      status: 'ENABLED',
      type: 'KEYWORD',
      keyword: { text: `keyword ${i}`, matchType: 'BROAD' },
      cpcBidMicros: String(500_000 + i),
      adGroup: `customers/${c}/adGroups/${i}`,
    },
    adGroup: { resourceName: `customers/${c}/adGroups/${i}`, id: String(i) },
    campaign: { resourceName: `customers/${c}/campaigns/${i}`, id: String(i) },
  }),
  user_list: (c, i) => ({
    userList: {
      resourceName: `customers/${c}/userLists/${i}`,
      id: String(i),
      name: `User list ${i}`,
      description: `Seeded list ${i}`,
      type: 'CRM_BASED',
      membershipStatus: 'OPEN',
      membershipLifeSpan: '540',
      sizeForDisplay: String(1000 * i),
      sizeForSearch: String(1000 * i),
      eligibleForSearch: true,
      eligibleForDisplay: true,
      accessReason: 'OWNED',
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
};

/** Fields a resource has that may be absent from a row (default values are left out of answers). */
const OPTIONAL_FIELDS: Record<string, string[]> = {
  ad_group_criterion: [
    'ad_group_criterion.negative',
    'ad_group_criterion.keyword.text',
    'ad_group_criterion.keyword.match_type',
  ],
  campaign: ['campaign.end_date_time', 'campaign.start_date_time'],
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function flatten(value: unknown, path: string[], out: Set<string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Row)) flatten(v, [...path, snake(k)], out);
  } else if (value !== undefined) out.add(path.join('.'));
}

function getCamel(row: Row, field: string): unknown {
  let node: unknown = row;
  for (const part of field.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Row)[camel(part)];
  }
  return node;
}

function setCamel(target: Row, field: string, value: unknown): void {
  const parts = field.split('.').map(camel);
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Row;
  }
  node[parts.at(-1) as string] = value;
}

interface Gaql {
  fields: string[];
  resource: string;
  where: { field: string; op: string; values: string[] }[];
  orderBy?: { field: string; descending: boolean };
  limit?: number;
}

/** Parses the GAQL subset this emulator understands. */
export function parseGaql(query: string): Gaql | undefined {
  const match =
    /^\s*SELECT\s+(.+?)\s+FROM\s+([a-z_]+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+([a-z_.]+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
      query,
    );
  if (!match) return undefined;
  const [, select, resource, where, orderBy, direction, limit] = match as unknown as (string | undefined)[];
  const conditions: Gaql['where'] = [];
  for (const part of where ? where.split(/\s+AND\s+/i) : []) {
    const c = /^\s*([a-z_.]+)\s*(=|!=|IN|NOT IN)\s*(.+?)\s*$/i.exec(part);
    if (!c) return undefined;
    const raw = (c[3] as string).replace(/^\((.*)\)$/, '$1');
    conditions.push({
      field: c[1] as string,
      op: (c[2] as string).toUpperCase(),
      values: raw.split(',').map((v) => v.trim().replace(/^['"](.*)['"]$/, '$1')),
    });
  }
  return {
    fields: (select as string).split(',').map((f) => f.trim()),
    resource: resource as string,
    where: conditions,
    ...(orderBy ? { orderBy: { field: orderBy, descending: direction?.toUpperCase() === 'DESC' } } : {}),
    ...(limit ? { limit: Number(limit) } : {}),
  };
}

/** What the emulator issues unless its options say otherwise: Google's 3,599-second tokens; refreshes never rotate. */
const TOKEN_DEFAULTS: TokenDefaults = {
  clientId: 'google-ads-emulator.apps.googleusercontent.com',
  clientSecret: 'google-ads-emulator-secret',
  accessToken: 'ya29.emulator',
  refreshToken: '1//emulator-refresh',
  accessTokenLifetimeSeconds: 3599,
  rotateRefreshTokens: false,
  fixed: ['rotateRefreshTokens'],
};

/**
 * Token options default to access token `ya29.emulator` and a lifetime of 3599 s; Google's refresh never replaces
 * the refresh token, so that is not an option.
 */
export interface GoogleAdsEmulatorOptions extends Omit<OAuthEmulatorOptions, 'rotateRefreshTokens'> {
  customerId?: string;
  apiVersion?: string;
  /** Rows per page (Google Ads fixes it at 10,000; small values exercise paging). */
  pageSize?: number;
  /** Daily operations (Basic access: 15,000) and an optional per-second throttle, or `false` to turn both off. */
  rateLimit?: false | { operationsPerDay?: number; requestsPerSecond?: number };
}

export type GoogleAdsEmulatorControl = OAuthEmulatorControl;

export function googleAdsEmulator(options: GoogleAdsEmulatorOptions = {}): PlatformEmulator<GoogleAdsEmulatorControl> {
  const customer = options.customerId ?? '1234567890';
  const resolved = resolveEmulatorOptions(options, { apiVersion: 'v26' });
  const { records: count, apiVersion: version, now, counters, limits } = resolved;
  const pageSize = options.pageSize ?? 10_000;
  const daily = new SlidingWindow({ limit: limits.operationsPerDay ?? 15_000, windowMs: 86_400_000, now });
  const perSecond = limits.requestsPerSecond
    ? new SlidingWindow({ limit: limits.requestsPerSecond, windowMs: 1000, now })
    : undefined;
  const tokens = oauthTokenIssuer(now, options, TOKEN_DEFAULTS);
  const store = new Map<string, Row[]>(
    Object.entries(RESOURCES).map(([name, make]) => [
      name,
      Array.from({ length: count }, (_, n) => JSON.parse(JSON.stringify(make(customer, n + 1))) as Row),
    ]),
  );
  // Ad group criteria are not all keywords: a few audience criteria follow the seeded keywords, so a keyword read
  // must filter on ad_group_criterion.type.
  for (let i = count + 1; i <= count + Math.ceil(count / 5); i++) {
    store.get('ad_group_criterion')?.push({
      adGroupCriterion: {
        resourceName: `customers/${customer}/adGroupCriteria/${i}~${i}`,
        criterionId: String(i),
        status: 'ENABLED',
        type: 'USER_LIST',
        userList: { userList: `customers/${customer}/userLists/${i}` },
        adGroup: `customers/${customer}/adGroups/${i}`,
      },
      adGroup: { resourceName: `customers/${customer}/adGroups/${i}`, id: String(i) },
      campaign: { resourceName: `customers/${customer}/campaigns/${i}`, id: String(i) },
    });
  }
  const known = new Map<string, Set<string>>();
  for (const [name, rows] of store) {
    const fields = new Set<string>(OPTIONAL_FIELDS[name] ?? []);
    for (const row of rows) flatten(row, [], fields);
    known.set(name, fields);
  }
  const pageTokens = new Map<string, { query: string; offset: number }>();

  const rpcError = (code: number, status: string, message: string, failure?: Row): EmulatorResponse => ({
    status: code,
    body: {
      error: {
        code,
        message,
        status,
        ...(failure
          ? {
              details: [
                {
                  '@type': `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`,
                  errors: [failure],
                  requestId: randomUUID().replace(/-/g, '').slice(0, 22),
                },
              ],
            }
          : {}),
      },
    },
  });
  const quotaError = (kind: 'RESOURCE_EXHAUSTED' | 'RESOURCE_TEMPORARILY_EXHAUSTED', retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return rpcError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', {
      errorCode: { quotaError: kind },
      message: `Too many requests. Retry in ${seconds} seconds.`,
      details: {
        quotaErrorDetails: {
          rateScope: kind === 'RESOURCE_EXHAUSTED' ? 'DEVELOPER' : 'ACCOUNT',
          rateName: kind === 'RESOURCE_EXHAUSTED' ? 'Number of operations for basic access' : 'Requests per account',
          retryDelay: `${seconds}s`,
        },
      },
    });
  };

  const responses = {
    rateLimited: () => quotaError('RESOURCE_TEMPORARILY_EXHAUSTED', 1000),
    serverError: (status: number) =>
      status === 503
        ? rpcError(503, 'UNAVAILABLE', 'The service is currently unavailable.')
        : rpcError(status, 'INTERNAL', 'Internal error encountered.'),
    tokenExpired: (): EmulatorResponse => ({
      status: 401,
      body: {
        error: {
          code: 401,
          message:
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          status: 'UNAUTHENTICATED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_EXPIRED' }],
        },
      },
    }),
  };

  const control: GoogleAdsEmulatorControl = {
    ...emulatorControl('google-ads', resolved, {
      store,
      resetRateLimits: () => {
        daily.reset();
        perSecond?.reset();
      },
      responses,
    }),
    ...oauthControl(tokens, '/token'),
  };

  const tokenRoute = oauthTokenRoute({
    tokens,
    counters,
    paths: [control.tokenPath],
    grants: ['authorization_code', 'refresh_token'],
    methodNotAllowed: () => ({ status: 405, body: { error: 'invalid_request' } }),
    refused: (refusal, { grant }) =>
      refusal.error === 'invalid_client'
        ? { status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } }
        : {
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description: grant === 'refresh_token' ? 'Token has been expired or revoked.' : 'Bad Request',
            },
          },
    issued: (issued, { grant }) => {
      const body: Row = {
        access_token: issued.accessToken,
        expires_in: issued.expiresIn,
        scope: 'https://www.googleapis.com/auth/adwords',
        token_type: 'Bearer',
      };
      if (grant === 'authorization_code') body.refresh_token = issued.refreshToken;
      return { status: 200, body };
    },
  });

  const search = (request: EmulatorRequest, customerId: string): EmulatorResponse => {
    if (customerId !== customer) {
      return rpcError(403, 'PERMISSION_DENIED', 'The caller does not have permission', {
        errorCode: { authorizationError: 'USER_PERMISSION_DENIED' },
        message: "User doesn't have permission to access customer.",
      });
    }
    const body = (request.body ?? {}) as { query?: string; pageToken?: string; pageSize?: unknown };
    if (body.pageSize !== undefined) {
      return rpcError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', {
        errorCode: { requestError: 'PAGE_SIZE_NOT_SUPPORTED' },
        message: 'Setting the page size is not supported. Search Responses will have fixed page size of 10000 rows.',
      });
    }
    const query = body.query ?? '';
    const gaql = parseGaql(query);
    const rows = gaql ? store.get(gaql.resource) : undefined;
    if (!gaql || !rows) {
      return rpcError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', {
        errorCode: { queryError: gaql ? 'INVALID_RESOURCE_NAME' : 'UNEXPECTED_INPUT' },
        message: `Error in query: ${query}`,
      });
    }
    const fields = known.get(gaql.resource) as Set<string>;
    const unknown = [...gaql.fields, ...gaql.where.map((w) => w.field)].find((f) => !fields.has(f));
    if (unknown) {
      return rpcError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', {
        errorCode: { queryError: 'UNRECOGNIZED_FIELD' },
        message: `Unrecognized field in the query: '${unknown}'.`,
      });
    }
    let offset = 0;
    if (body.pageToken) {
      const saved = pageTokens.get(body.pageToken);
      if (!saved || saved.query !== query) {
        return rpcError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', {
          errorCode: { requestError: 'INVALID_PAGE_TOKEN' },
          message: 'Page token is invalid.',
        });
      }
      offset = saved.offset;
    }
    let matching = rows.filter((row) =>
      gaql.where.every((w) => {
        const value = String(getCamel(row, w.field));
        const hit = w.values.includes(value);
        return w.op === '=' || w.op === 'IN' ? hit : !hit;
      }),
    );
    if (gaql.orderBy) {
      const { field, descending } = gaql.orderBy;
      matching = [...matching].sort((a, b) => {
        const x = String(getCamel(a, field));
        const y = String(getCamel(b, field));
        return (descending ? -1 : 1) * x.localeCompare(y, 'en', { numeric: true });
      });
    }
    if (gaql.limit !== undefined) matching = matching.slice(0, gaql.limit);
    const results = matching.slice(offset, offset + pageSize).map((row) => {
      const out: Row = {};
      for (const field of gaql.fields) {
        const value = getCamel(row, field);
        if (value !== undefined && value !== false && value !== '' && value !== 0) setCamel(out, field, value);
      }
      return out;
    });
    const response: Row = { results, fieldMask: gaql.fields.map((f) => f.split('.').map(camel).join('.')).join(',') };
    if (offset + pageSize < matching.length) {
      const token = Buffer.from(`${pageTokens.size + 1}:${randomUUID()}`).toString('base64url');
      pageTokens.set(token, { query, offset: offset + pageSize });
      response.nextPageToken = token;
    }
    return { status: 200, body: response };
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const path = request.url.pathname;
    const tokenAnswer = tokenRoute(request);
    if (tokenAnswer) return tokenAnswer;
    if (tokens.check(bearerToken(request)).state !== 'valid') return responses.tokenExpired();
    const searchMatch = new RegExp(`^/${version}/customers/([0-9]+)/googleAds:search$`).exec(path);
    if (control.rateLimitEnabled && searchMatch) {
      const second = perSecond?.take();
      if (second && !second.allowed) {
        counters.rateLimited += 1;
        return quotaError('RESOURCE_TEMPORARILY_EXHAUSTED', second.retryAfterMs);
      }
      // Requests for later pages of a query are not operations.
      const followUp = typeof (request.body as Row | undefined)?.pageToken === 'string';
      const decision = followUp ? undefined : daily.take();
      if (decision && !decision.allowed) {
        counters.rateLimited += 1;
        return quotaError('RESOURCE_EXHAUSTED', decision.retryAfterMs);
      }
    }
    if (path === `/${version}/customers:listAccessibleCustomers` && request.method === 'GET') {
      return { status: 200, body: { resourceNames: [`customers/${customer}`] } };
    }
    if (searchMatch && request.method === 'POST') {
      if (request.bodyError !== undefined) {
        return rpcError(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${request.bodyError}`);
      }
      return search(request, searchMatch[1] as string);
    }
    return rpcError(404, 'NOT_FOUND', `Method not found: ${request.method} ${path}`);
  }, control);
}
