/**
 * Meta Marketing API (Graph API), as https://developers.facebook.com/docs/graph-api and the Marketing API reference
 * describe it:
 *
 * - Auth: a user access token as `access_token` or a bearer header. Errors are `{ error: { message, type, code,
 *   error_subcode?, fbtrace_id } }` (https://developers.facebook.com/docs/graph-api/guides/error-handling); a bad
 *   token is HTTP 400 `OAuthException` code 190, an expired one code 190 subcode 463.
 * - Reads: ad-account edges `/<version>/act_<id>/{campaigns,adsets,ads,insights}` return `{ data, paging: { cursors:
 *   { before, after }, next } }` (no `next` on the last page), `limit` and `after`/`before` cursors; objects return
 *   only `id` unless `fields` names more; `filtering=[{ field, operator, value }]` filters (e.g.
 *   `campaign.updated_time GREATER_THAN <unix seconds>`, `effective_status IN [...]`); deleted objects are left out
 *   unless an `effective_status` filter asks for `DELETED`; `GET /<id>` reads one node (deleted ones too, with status
 *   `DELETED`).
 * - Writes (https://developers.facebook.com/docs/marketing-api/reference/ad-account/campaigns/, …/adsets, …/ads):
 *   POST to the edge creates and answers `{ id }` (campaigns need `name`, `objective` (an `OUTCOME_*` value) and
 *   `special_ad_categories` (a JSON array, possibly `[]`); ad sets `name`, `campaign_id`, `billing_event`,
 *   `optimization_goal`, `targeting`; ads `name`, `adset_id`, `creative`), POST `/<id>` updates and answers
 *   `{ success: true }`, DELETE `/<id>` deletes (`{ success: true }`); a missing parameter is code 100
 *   "(#100) The parameter <name> is required"; writes bump `updated_time`. Array and object values are JSON-encoded
 *   form fields; bracket notation (`targeting[geo_locations][countries][0]=US`) is accepted too.
 * - Rate limits (https://developers.facebook.com/docs/marketing-api/overview/rate-limiting and
 *   https://developers.facebook.com/docs/graph-api/overview/rate-limiting#buc-rate-limits): Business Use Case limits
 *   per ad account over a rolling hour — ads_management `300 + 40 × active ads` calls (Limited access tier),
 *   ads_insights `600 + 400 × active ads`; every response carries `X-Business-Use-Case-Usage` (percentages of
 *   `call_count`, `total_cputime`, `total_time`, and `estimated_time_to_regain_access` in minutes); over the limit,
 *   HTTP 400 with code 80004 (ads_management) or 80000 (ads_insights), subcode 2446079 — not 429.
 * - OAuth (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived):
 *   `/<version>/oauth/access_token` exchanges a `code`, or with `grant_type=fb_exchange_token` a short-lived token
 *   for a long-lived one (about 60 days); there are no refresh tokens.
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
import { bearerToken, type EmulatorRequest, type EmulatorResponse, seededDate } from '../emulator-server.js';
import { oauthTokenRoute } from '../oauth-token-route.js';
import { SlidingWindow } from '../rate-limiters.js';
import { decodeBracketForm } from './stripe-emulator.js';

type Row = Record<string, unknown>;

const id15 = (prefix: string, i: number) => `${prefix}${String(i).padStart(11, '0')}`;

const EDGES: Record<string, { node: string; seed: (i: number) => Row }> = {
  campaigns: {
    node: 'campaign',
    seed: (i) => ({
      id: id15('1202', i),
      name: `Campaign ${i}`,
      status: 'ACTIVE',
      objective: 'OUTCOME_TRAFFIC',
      special_ad_categories: [],
      daily_budget: '5000',
    }),
  },
  adsets: {
    node: 'adset',
    seed: (i) => ({
      id: id15('1203', i),
      name: `Ad set ${i}`,
      status: 'ACTIVE',
      campaign_id: id15('1202', i),
      daily_budget: '1000',
      billing_event: 'IMPRESSIONS',
      optimization_goal: 'LINK_CLICKS',
      targeting: { geo_locations: { countries: ['US'] } },
    }),
  },
  ads: {
    node: 'ad',
    seed: (i) => ({
      id: id15('1204', i),
      name: `Ad ${i}`,
      status: 'ACTIVE',
      adset_id: id15('1203', i),
      campaign_id: id15('1202', i),
      creative: { id: id15('1205', i) },
    }),
  },
};

const insightsRow = (i: number): Row => ({
  ad_id: id15('1204', i),
  ad_name: `Ad ${i}`,
  adset_id: id15('1203', i),
  campaign_id: id15('1202', i),
  account_currency: 'USD',
  impressions: String(100 * i),
  clicks: String(i),
  spend: `${i}.00`,
  date_start: '2026-01-01',
  date_stop: '2026-01-01',
});

const REQUIRED: Record<string, string[]> = {
  campaigns: ['name', 'objective', 'special_ad_categories'],
  adsets: ['name', 'campaign_id', 'billing_event', 'optimization_goal', 'targeting'],
  ads: ['name', 'adset_id', 'creative'],
};
const OBJECTIVES = [
  'OUTCOME_APP_PROMOTION',
  'OUTCOME_AWARENESS',
  'OUTCOME_ENGAGEMENT',
  'OUTCOME_LEADS',
  'OUTCOME_SALES',
  'OUTCOME_TRAFFIC',
];
const READ_ONLY = new Set(['id', 'account_id', 'created_time', 'updated_time', 'effective_status']);

/** Graph's time format: `2026-01-01T00:01:00+0000`. */
const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
const parseGraphTime = (value: unknown) => Date.parse(String(value).replace(/\+0000$/, 'Z'));

const cursor = (key: string) => Buffer.from(`key:${key}`).toString('base64url');
const cursorKey = (c: string) => Buffer.from(c, 'base64url').toString('utf8').replace(/^key:/, '');

/** Form values as Graph reads them: bracket nesting, and JSON-encoded arrays and objects. */
function graphParams(request: EmulatorRequest): Row {
  const flat =
    request.body && typeof request.body === 'object'
      ? (request.body as Record<string, string>)
      : ({} as Record<string, string>);
  const decoded = decodeBracketForm(flat);
  for (const [key, value] of Object.entries(decoded)) {
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        decoded[key] = JSON.parse(value);
      } catch {
        // Left as a string; the parameter check reports it.
      }
    }
  }
  delete decoded.access_token;
  return decoded;
}

/** What the emulator issues unless its options say otherwise: a long-lived user token; Meta has no refresh tokens. */
const TOKEN_DEFAULTS: TokenDefaults = {
  clientId: 'meta-emulator-app',
  clientSecret: 'meta-emulator-secret',
  accessToken: 'EAAemulator',
  refreshToken: 'meta-has-no-refresh-tokens',
  accessTokenLifetimeSeconds: 5_184_000,
  rotateRefreshTokens: false,
  fixed: ['refreshToken', 'rotateRefreshTokens'],
};

/**
 * Token options default to the user access token `EAAemulator` and a lifetime of 5,184,000 s (a long-lived token,
 * about 60 days); Meta has no refresh tokens, so those are not options.
 */
export interface MetaAdsEmulatorOptions extends Omit<OAuthEmulatorOptions, 'refreshToken' | 'rotateRefreshTokens'> {
  apiVersion?: string;
  adAccountId?: string;
  /** Calls per rolling hour for each BUC type (default: the Limited-tier formulas), or `false` to turn them off. */
  rateLimit?: false | { adsManagementPerHour?: number; adsInsightsPerHour?: number };
}

export type MetaAdsEmulatorControl = OAuthEmulatorControl;

export function metaAdsEmulator(options: MetaAdsEmulatorOptions = {}): PlatformEmulator<MetaAdsEmulatorControl> {
  const resolved = resolveEmulatorOptions(options, { apiVersion: 'v26.0' });
  const { records: count, apiVersion: version, now, counters, limits } = resolved;
  const account = options.adAccountId ?? '1234567890';
  const tokens = oauthTokenIssuer(now, options, TOKEN_DEFAULTS);
  const store = new Map<string, Row[]>();
  for (const [edge, { seed }] of Object.entries(EDGES)) {
    store.set(
      edge,
      Array.from({ length: count }, (_, n) => {
        const at = graphTime(seededDate(n + 1).getTime());
        const row = seed(n + 1);
        return {
          ...row,
          effective_status: row.status,
          configured_status: row.status,
          account_id: account,
          created_time: at,
          updated_time: at,
        };
      }),
    );
  }
  store.set(
    'insights',
    Array.from({ length: count }, (_, n) => insightsRow(n + 1)),
  );
  const activeAds = () => (store.get('ads') ?? []).filter((a) => a.effective_status === 'ACTIVE').length;
  const windows = {
    ads_management: new SlidingWindow({
      limit: limits.adsManagementPerHour ?? 300 + 40 * activeAds(),
      windowMs: 3_600_000,
      now,
    }),
    ads_insights: new SlidingWindow({
      limit: limits.adsInsightsPerHour ?? 600 + 400 * activeAds(),
      windowMs: 3_600_000,
      now,
    }),
  };
  let nextNumber = 90_000;

  const graphError = (message: string, type: string, code: number, extra: Row = {}): EmulatorResponse => ({
    status: 400,
    body: { error: { message, type, code, ...extra, fbtrace_id: randomUUID().slice(0, 11) } },
  });
  const throttled = (kind: keyof typeof windows): EmulatorResponse =>
    graphError(
      kind === 'ads_insights'
        ? 'There have been too many calls from this ad-account. Please wait a bit and try again.'
        : 'There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.',
      'OAuthException',
      kind === 'ads_insights' ? 80000 : 80004,
      { error_subcode: 2446079, is_transient: true },
    );

  const usageHeader = (kind: keyof typeof windows, blocked: boolean): Record<string, string> => {
    const window = windows[kind];
    const { used } = window.peek();
    const pct = Math.min(100, Math.round((100 * used) / window.limit));
    return {
      'x-business-use-case-usage': JSON.stringify({
        [account]: [
          {
            type: kind,
            call_count: blocked ? 100 : pct,
            total_cputime: Math.min(100, Math.round(pct / 2)),
            total_time: Math.min(100, Math.round(pct / 2)),
            estimated_time_to_regain_access: blocked ? Math.ceil(window.peek().retryAfterMs / 60_000) : 0,
            ads_api_access_tier: 'standard_access',
          },
        ],
      }),
    };
  };

  const responses = {
    rateLimited: () => throttled('ads_management'),
    serverError: (status: number): EmulatorResponse => ({
      ...graphError('An unknown error occurred', 'OAuthException', status === 503 ? 2 : 1, { is_transient: true }),
      status,
    }),
    tokenExpired: (): EmulatorResponse => {
      const message = `Error validating access token: Session has expired on ${new Date(now()).toUTCString()}. The current time is ${new Date(now()).toUTCString()}.`;
      return {
        ...graphError(message, 'OAuthException', 190, { error_subcode: 463 }),
        headers: { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${message}"` },
      };
    },
  };

  const control: MetaAdsEmulatorControl = {
    ...emulatorControl('meta-ads', resolved, {
      store,
      resetRateLimits: () => {
        windows.ads_management.reset();
        windows.ads_insights.reset();
      },
      responses,
    }),
    ...oauthControl(tokens, `/${version}/oauth/access_token`),
  };

  // Any method: the Graph API takes the exchange's parameters in the query string of a GET as well.
  const tokenRoute = oauthTokenRoute({
    tokens,
    counters,
    paths: [control.tokenPath],
    grants: ['authorization_code', 'fb_exchange_token'],
    grantOf: (f) => f.grant_type ?? 'authorization_code',
    refused: (refusal, { grant }) =>
      grant === 'fb_exchange_token'
        ? graphError(`Error validating access token: ${refusal.description}`, 'OAuthException', 190)
        : refusal.error === 'unsupported_grant_type'
          ? graphError(`Unsupported grant_type: ${grant}`, 'OAuthException', 100)
          : refusal.error === 'invalid_client'
            ? graphError('Error validating client secret.', 'OAuthException', 1)
            : graphError('Invalid verification code format.', 'OAuthException', 100, { error_subcode: 36007 }),
    issued: ({ accessToken, expiresIn }) => ({
      status: 200,
      body: { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn },
    }),
  });

  const project = (record: Row, fields: string[] | undefined, always: string[]): Row => {
    const names = [...new Set([...always, ...(fields ?? [])])].map((f) => f.replace(/\{.*$/, ''));
    return Object.fromEntries(names.filter((n) => n in record).map((n) => [n, record[n]]));
  };
  const fieldsOf = (q: URLSearchParams) =>
    q
      .get('fields')
      ?.split(/,(?![^{]*\})/)
      .map((f) => f.trim())
      .filter(Boolean);

  const findNode = (id: string): { edge: string; record: Row } | undefined => {
    for (const edge of Object.keys(EDGES)) {
      const record = store.get(edge)?.find((r) => r.id === id);
      if (record) return { edge, record };
    }
    return undefined;
  };

  type Filter = { field: string; operator: string; value: unknown };
  const matches = (record: Row, node: string, filter: Filter): boolean => {
    const field = filter.field.startsWith(`${node}.`) ? filter.field.slice(node.length + 1) : filter.field;
    let left: unknown = record[field];
    let right = filter.value;
    if (field.endsWith('_time')) {
      left = Math.floor(parseGraphTime(left) / 1000);
      right = Number(right);
    }
    switch (filter.operator) {
      case 'EQUAL':
        return left === right;
      case 'NOT_EQUAL':
        return left !== right;
      case 'GREATER_THAN':
        return Number(left) > Number(right);
      case 'GREATER_THAN_OR_EQUAL':
        return Number(left) >= Number(right);
      case 'LESS_THAN':
        return Number(left) < Number(right);
      case 'LESS_THAN_OR_EQUAL':
        return Number(left) <= Number(right);
      case 'IN':
        return Array.isArray(right) && right.includes(left);
      case 'NOT_IN':
        return Array.isArray(right) && !right.includes(left);
      case 'CONTAIN':
        return String(left).includes(String(right));
      default:
        return false;
    }
  };

  const list = (request: EmulatorRequest, edge: string, rows: Row[]): EmulatorResponse => {
    const q = request.url.searchParams;
    const limit = q.has('limit') ? Number(q.get('limit')) : 25;
    if (!Number.isInteger(limit) || limit < 1)
      return graphError('(#100) param limit must be a positive integer', 'OAuthException', 100);
    const node = EDGES[edge]?.node ?? 'ad';
    let filters: Filter[] = [];
    const raw = q.get('filtering');
    if (raw) {
      try {
        filters = JSON.parse(raw) as Filter[];
        if (!Array.isArray(filters)) throw new TypeError('not an array');
      } catch {
        return graphError('(#100) param filtering must be an array.', 'OAuthException', 100);
      }
    }
    const statusFilter = q.get('effective_status');
    if (statusFilter) {
      try {
        filters.push({ field: 'effective_status', operator: 'IN', value: JSON.parse(statusFilter) });
      } catch {
        return graphError('(#100) param effective_status must be an array.', 'OAuthException', 100);
      }
    }
    const key = edge === 'insights' ? 'ad_id' : 'id';
    const asksForDeleted = filters.some(
      (f) => f.field.endsWith('effective_status') && JSON.stringify(f.value).includes('DELETED'),
    );
    const matching = rows
      .filter((r) => edge === 'insights' || asksForDeleted || r.effective_status !== 'DELETED')
      .filter((r) => edge === 'insights' || filters.every((f) => matches(r, node, f)))
      .sort((a, b) => String(a[key]).localeCompare(String(b[key])));
    const after = q.get('after');
    const before = q.get('before');
    let page: Row[];
    if (after) {
      const k = cursorKey(after);
      page = matching.filter((r) => String(r[key]) > k).slice(0, limit);
    } else if (before) {
      const k = cursorKey(before);
      const earlier = matching.filter((r) => String(r[key]) < k);
      page = earlier.slice(Math.max(0, earlier.length - limit));
    } else page = matching.slice(0, limit);
    const fields = fieldsOf(q);
    const data = edge === 'insights' ? page : page.map((r) => project(r, fields, ['id']));
    const paging: Row = {};
    const first = page[0]?.[key];
    const last = page.at(-1)?.[key];
    if (first !== undefined && last !== undefined) {
      paging.cursors = { before: cursor(String(first)), after: cursor(String(last)) };
      if (matching.some((r) => String(r[key]) > String(last))) {
        const next = new URL(request.url);
        next.searchParams.delete('before');
        next.searchParams.set('after', cursor(String(last)));
        next.searchParams.set('limit', String(limit));
        paging.next = next.toString();
      }
      if (matching.some((r) => String(r[key]) < String(first))) {
        const previous = new URL(request.url);
        previous.searchParams.delete('after');
        previous.searchParams.set('before', cursor(String(first)));
        paging.previous = previous.toString();
      }
    }
    return { status: 200, body: { data, paging } };
  };

  const create = (edge: string, params: Row): EmulatorResponse => {
    for (const name of REQUIRED[edge] ?? []) {
      const value = params[name];
      if (value === undefined || value === '') {
        return graphError(`(#100) The parameter ${name} is required`, 'OAuthException', 100);
      }
    }
    if (edge === 'campaigns') {
      if (!OBJECTIVES.includes(String(params.objective))) {
        return graphError(`(#100) Param objective must be one of {${OBJECTIVES.join(', ')}}`, 'OAuthException', 100);
      }
      if (!Array.isArray(params.special_ad_categories)) {
        return graphError('(#100) Param special_ad_categories must be an array', 'OAuthException', 100);
      }
    }
    if (edge === 'adsets' && !findNode(String(params.campaign_id))) {
      return graphError('(#100) Param campaign_id must be a valid campaign id', 'OAuthException', 100);
    }
    if (edge === 'ads' && !findNode(String(params.adset_id))) {
      return graphError('(#100) Param adset_id must be a valid ad set id', 'OAuthException', 100);
    }
    const prefix = edge === 'campaigns' ? '1202' : edge === 'adsets' ? '1203' : '1204';
    nextNumber += 1;
    const id = id15(prefix, nextNumber);
    const at = graphTime(now());
    const status = String(params.status ?? 'PAUSED');
    const record: Row = {
      ...Object.fromEntries(Object.entries(params).filter(([k]) => !READ_ONLY.has(k))),
      id,
      status,
      effective_status: status,
      configured_status: status,
      account_id: account,
      created_time: at,
      updated_time: at,
    };
    store.get(edge)?.push(record);
    return { status: 200, body: { id } };
  };

  const graph = (request: EmulatorRequest): EmulatorResponse => {
    const path = request.url.pathname;
    const q = request.url.searchParams;
    if (path === `/${version}/me` && request.method === 'GET') {
      return { status: 200, body: { id: '10001', name: 'Emulator User' } };
    }
    const edgeMatch = new RegExp(`^/${version.replace('.', '\\.')}/act_([0-9]+)/([a-z]+)$`).exec(path);
    if (edgeMatch) {
      const rows = edgeMatch[1] === account ? store.get(edgeMatch[2] as string) : undefined;
      if (!rows) {
        return graphError(
          `Unsupported ${request.method.toLowerCase()} request. Object with ID 'act_${edgeMatch[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          'GraphMethodException',
          100,
          { error_subcode: 33 },
        );
      }
      if (request.method === 'GET') return list(request, edgeMatch[2] as string, rows);
      if (request.method === 'POST' && edgeMatch[2] !== 'insights')
        return create(edgeMatch[2] as string, graphParams(request));
    }
    const nodeMatch = new RegExp(`^/${version.replace('.', '\\.')}/([0-9]+)$`).exec(path);
    const found = nodeMatch ? findNode(nodeMatch[1] as string) : undefined;
    if (nodeMatch && found) {
      const { record } = found;
      if (request.method === 'GET') return { status: 200, body: project(record, fieldsOf(q), ['id']) };
      if (record.effective_status === 'DELETED') {
        return graphError('(#100) Cannot update or delete a deleted object', 'OAuthException', 100);
      }
      if (request.method === 'POST') {
        const params = graphParams(request);
        const locked = Object.keys(params).find((k) => READ_ONLY.has(k));
        if (locked) return graphError(`(#100) Param ${locked} cannot be updated`, 'OAuthException', 100);
        Object.assign(record, params, { updated_time: graphTime(now()) });
        if (typeof params.status === 'string') {
          Object.assign(record, { effective_status: params.status, configured_status: params.status });
        }
        return { status: 200, body: { success: true } };
      }
      if (request.method === 'DELETE') {
        Object.assign(record, {
          status: 'DELETED',
          effective_status: 'DELETED',
          configured_status: 'DELETED',
          updated_time: graphTime(now()),
        });
        return { status: 200, body: { success: true } };
      }
    }
    return graphError(
      `Unsupported ${request.method.toLowerCase()} request. Object with ID '${path.split('/').pop()}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      'GraphMethodException',
      100,
      { error_subcode: 33 },
    );
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const tokenAnswer = tokenRoute(request);
    if (tokenAnswer) return tokenAnswer;
    const token = request.url.searchParams.get('access_token') ?? bearerToken(request);
    const auth = tokens.check(token);
    if (auth.state === 'expired') return responses.tokenExpired();
    if (auth.state !== 'valid') {
      return graphError('Invalid OAuth access token - Cannot parse access token', 'OAuthException', 190);
    }
    const kind: keyof typeof windows = request.url.pathname.endsWith('/insights') ? 'ads_insights' : 'ads_management';
    if (control.rateLimitEnabled) {
      const decision = windows[kind].take();
      if (!decision.allowed) {
        counters.rateLimited += 1;
        const response = throttled(kind);
        return { ...response, headers: usageHeader(kind, true) };
      }
    }
    const response = graph(request);
    return { ...response, headers: { ...usageHeader(kind, false), ...response.headers } };
  }, control);
}
