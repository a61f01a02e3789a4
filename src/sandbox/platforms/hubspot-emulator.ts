/**
 * HubSpot CRM objects, as https://developers.hubspot.com/docs/api-reference/latest/overview describes it:
 *
 * - Auth: bearer (OAuth access token or private-app token); an expired OAuth token is a 401
 *   `{ status: "error", message: "The OAuth token used to make this call expired …", category:
 *   "EXPIRED_AUTHENTICATION" }`, an unknown one `INVALID_AUTHENTICATION`.
 * - `GET /crm/objects/<date version>/<type>` (and the legacy `/crm/v3/objects/<type>`) returning `{ results, paging:
 *   { next: { after, link } } }` (no `paging` on the last page) with `limit` (max 100, default 10) and `after`;
 *   records `{ id, properties, createdAt, updatedAt, archived }` whose properties are strings and only those named in
 *   `properties` (or the object's defaults); `archived=true` lists archived records instead.
 * - Writes (https://developers.hubspot.com/docs/api-reference/latest/crm/objects): POST `/<type>` `{ properties }`
 *   (201), PATCH `/<type>/<id>` `{ properties }`, DELETE `/<type>/<id>` archives (204); unknown properties and
 *   missing required ones (deals: dealname, dealstage; tickets: subject, hs_pipeline_stage) are 400
 *   `VALIDATION_ERROR`; a second contact with the same email is 409 `CONFLICT`; writes bump `updatedAt` and
 *   `lastmodifieddate` / `hs_lastmodifieddate`.
 * - Rate limit (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details): apps using OAuth get 100
 *   requests per 10 seconds per account; every response carries `X-HubSpot-RateLimit-Max`, `-Remaining` and
 *   `-Interval-Milliseconds`; over it, 429 `{ status: "error", message: "You have reached your ten_secondly_rolling
 *   limit.", errorType: "RATE_LIMIT", correlationId, policyName: "TEN_SECONDLY_ROLLING", requestId }`.
 * - OAuth (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/oauth): token
 *   endpoint `POST /oauth/2026-03/token` (and the deprecated `/oauth/v1/token`), form-encoded; access tokens live
 *   30 minutes (`expires_in: 1800`); the refresh token does not rotate (the answer repeats it); PKCE (S256) is
 *   checked when a challenge was registered; errors such as `BAD_REFRESH_TOKEN` are 400s.
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

type Row = Record<string, unknown>;

interface ObjectType {
  seed: (i: number) => Record<string, string>;
  /** Properties a record returns when the request names none. */
  defaults: string[];
  /** Properties that exist (the portal's standard ones this emulator knows). */
  known: string[];
  required: string[];
  /** The last-modified property. */
  modified: string;
}

const OBJECTS: Record<string, ObjectType> = {
  contacts: {
    seed: (i) => ({ email: `contact${i}@example.com`, firstname: 'Contact', lastname: `${i}` }),
    defaults: ['email', 'firstname', 'lastname'],
    known: [
      'email',
      'firstname',
      'lastname',
      'phone',
      'mobilephone',
      'company',
      'jobtitle',
      'website',
      'lifecyclestage',
      'hs_lead_status',
      'hubspot_owner_id',
      'address',
      'city',
      'state',
      'zip',
      'country',
    ],
    required: [],
    modified: 'lastmodifieddate',
  },
  companies: {
    seed: (i) => ({ name: `Company ${i}`, domain: `company${i}.example.com` }),
    defaults: ['name', 'domain'],
    known: [
      'name',
      'domain',
      'website',
      'industry',
      'phone',
      'city',
      'state',
      'country',
      'numberofemployees',
      'annualrevenue',
      'description',
      'hubspot_owner_id',
    ],
    required: [],
    modified: 'hs_lastmodifieddate',
  },
  deals: {
    seed: (i) => ({
      dealname: `Deal ${i}`,
      amount: `${1000 + i}`,
      dealstage: 'appointmentscheduled',
      pipeline: 'default',
    }),
    defaults: ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage'],
    known: [
      'dealname',
      'amount',
      'deal_currency_code',
      'dealstage',
      'pipeline',
      'closedate',
      'dealtype',
      'description',
      'hubspot_owner_id',
    ],
    required: ['dealname', 'dealstage'],
    modified: 'hs_lastmodifieddate',
  },
  tickets: {
    seed: (i) => ({ subject: `Ticket ${i}`, hs_pipeline: '0', hs_pipeline_stage: '1' }),
    defaults: ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority'],
    known: [
      'subject',
      'content',
      'hs_pipeline',
      'hs_pipeline_stage',
      'hs_ticket_priority',
      'hs_ticket_category',
      'hubspot_owner_id',
    ],
    required: ['subject', 'hs_pipeline_stage'],
    modified: 'hs_lastmodifieddate',
  },
};
const SYSTEM_PROPERTIES = ['createdate', 'hs_object_id', 'lastmodifieddate', 'hs_lastmodifieddate'];

/** What the emulator issues unless its options say otherwise: 30-minute access tokens, a refresh token that stays. */
const TOKEN_DEFAULTS: TokenDefaults = {
  clientId: 'hubspot-emulator-client',
  clientSecret: 'hubspot-emulator-secret',
  accessToken: 'hubspot-emulator-token',
  refreshToken: 'hubspot-emulator-refresh',
  accessTokenLifetimeSeconds: 1800,
  rotateRefreshTokens: false,
};

/**
 * Token options default to access token `hubspot-emulator-token`, a lifetime of 1800 s (`null`: a private-app
 * token that never expires) and a refresh token that does not rotate, as HubSpot's does not.
 */
export interface HubSpotEmulatorOptions extends OAuthEmulatorOptions {
  /** Date-versioned API version served besides the legacy v3 paths. */
  apiVersion?: string;
  /** The documented limit (100 per 10 s), or `false` to turn it off. */
  rateLimit?: false | { requests?: number; windowSeconds?: number };
}

export type HubSpotEmulatorControl = OAuthEmulatorControl;

export function hubspotEmulator(options: HubSpotEmulatorOptions = {}): PlatformEmulator<HubSpotEmulatorControl> {
  const resolved = resolveEmulatorOptions(options, { apiVersion: '2026-09' });
  const { records: count, apiVersion: version, now, counters, limits } = resolved;
  const limiter = new SlidingWindow({
    limit: limits.requests ?? 100,
    windowMs: (limits.windowSeconds ?? 10) * 1000,
    now,
  });
  const tokens = oauthTokenIssuer(now, options, TOKEN_DEFAULTS);
  const objectPath = new RegExp(`^/crm/(?:v3/objects|objects/${version})/([a-z_]+)(?:/([0-9]+))?$`);
  const store = new Map<string, Row[]>(
    Object.entries(OBJECTS).map(([type, def]) => [
      type,
      Array.from({ length: count }, (_, n) => {
        const i = n + 1;
        const at = seededDate(i).toISOString();
        const id = String(100 + i);
        return {
          id,
          properties: { ...def.seed(i), createdate: at, hs_object_id: id, [def.modified]: at },
          createdAt: at,
          updatedAt: at,
          archived: false,
        };
      }),
    ]),
  );
  let nextId = 100_000;

  const error = (status: number, category: string, message: string, extra: Row = {}): EmulatorResponse => ({
    status,
    body: { status: 'error', message, correlationId: randomUUID(), category, ...extra },
  });

  const responses = {
    rateLimited: (): EmulatorResponse => ({
      status: 429,
      headers: rateHeaders(limiter.limit),
      body: {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName: 'TEN_SECONDLY_ROLLING',
        requestId: randomUUID(),
      },
    }),
    serverError: (status: number) => error(status, 'INTERNAL_ERROR', 'internal error'),
    tokenExpired: () =>
      error(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 0 minute(s) ago.'),
  };

  function rateHeaders(used: number): Record<string, string> {
    return {
      'x-hubspot-ratelimit-max': String(limiter.limit),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, limiter.limit - used)),
      'x-hubspot-ratelimit-interval-milliseconds': String(limiter.windowMs),
    };
  }

  const control: HubSpotEmulatorControl = {
    ...emulatorControl('hubspot', resolved, { store, resetRateLimits: () => limiter.reset(), responses }),
    ...oauthControl(tokens, '/oauth/2026-03/token'),
  };

  const tokenRoute = oauthTokenRoute({
    tokens,
    counters,
    paths: [control.tokenPath, '/oauth/v1/token'],
    grants: ['authorization_code', 'refresh_token'],
    methodNotAllowed: () => error(405, 'VALIDATION_ERROR', 'Method not allowed'),
    refused: (refusal, { grant }) => ({
      status: 400,
      body: {
        status:
          refusal.error === 'invalid_client'
            ? 'BAD_CLIENT_ID'
            : grant === 'refresh_token'
              ? 'BAD_REFRESH_TOKEN'
              : 'BAD_AUTH_CODE',
        message: refusal.description,
        correlationId: randomUUID(),
        error: refusal.error === 'unsupported_grant_type' ? 'invalid_grant' : refusal.error,
        error_description: refusal.description,
      },
    }),
    issued: ({ accessToken, refreshToken, expiresIn }) => ({
      status: 200,
      body: { token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: expiresIn },
    }),
  });

  const view = (type: string, record: Row, requested: string[] | undefined): Row => {
    const def = OBJECTS[type] as ObjectType;
    const props = record.properties as Record<string, string | null>;
    const names = new Set([...(requested ?? def.defaults), 'createdate', 'hs_object_id', def.modified]);
    return { ...record, properties: Object.fromEntries([...names].map((n) => [n, props[n] ?? null])) };
  };

  const checkProperties = (type: string, props: unknown, creating: boolean): EmulatorResponse | undefined => {
    if (!props || typeof props !== 'object' || Array.isArray(props)) {
      return error(400, 'VALIDATION_ERROR', 'Invalid input JSON: "properties" must be an object');
    }
    const def = OBJECTS[type] as ObjectType;
    const problems: Row[] = [];
    for (const name of Object.keys(props)) {
      if (SYSTEM_PROPERTIES.includes(name)) {
        problems.push({ isValid: false, message: `${name} is a read only property`, error: 'READ_ONLY_VALUE', name });
      } else if (!def.known.includes(name)) {
        problems.push({
          isValid: false,
          message: `Property "${name}" does not exist`,
          error: 'PROPERTY_DOESNT_EXIST',
          name,
        });
      }
    }
    if (creating) {
      for (const name of def.required) {
        const value = (props as Row)[name];
        if (value === undefined || value === null || value === '') {
          problems.push({ isValid: false, message: `${name} is required`, error: 'REQUIRED_PROPERTY', name });
        }
      }
    }
    if (problems.length === 0) return undefined;
    return error(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`, {
      errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
    });
  };

  const stringify = (props: Row): Record<string, string | null> =>
    Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));

  const crm = (request: EmulatorRequest): EmulatorResponse => {
    const match = objectPath.exec(request.url.pathname);
    const type = match?.[1];
    const rows = type ? store.get(type) : undefined;
    if (!match || !type || !rows) return error(404, 'OBJECT_NOT_FOUND', 'Resource not found');
    const def = OBJECTS[type] as ObjectType;
    const q = request.url.searchParams;
    const requested = q
      .get('properties')
      ?.split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const at = new Date(now()).toISOString();
    const body = request.body as Row | undefined;
    if (request.bodyError !== undefined)
      return error(400, 'VALIDATION_ERROR', `Invalid input JSON: ${request.bodyError}`);

    if (match[2]) {
      const id = match[2];
      const archived = q.get('archived') === 'true';
      const found = rows.find((r) => r.id === id && r.archived === archived);
      if (!found) return error(404, 'OBJECT_NOT_FOUND', 'resource not found');
      if (request.method === 'GET') return { status: 200, body: view(type, found, requested) };
      if (request.method === 'PATCH') {
        const problem = checkProperties(type, body?.properties, false);
        if (problem) return problem;
        const changes = stringify(body?.properties as Row);
        if (type === 'contacts' && changes.email && emailTaken(rows, changes.email, found)) {
          return error(
            409,
            'CONFLICT',
            `Contact already exists. Existing ID: ${emailTaken(rows, changes.email, found)}`,
          );
        }
        Object.assign(found.properties as Row, changes, { [def.modified]: at });
        found.updatedAt = at;
        return { status: 200, body: view(type, found, Object.keys(changes)) };
      }
      if (request.method === 'DELETE') {
        Object.assign(found, { archived: true, archivedAt: at, updatedAt: at });
        return { status: 204 };
      }
      return error(405, 'VALIDATION_ERROR', `Method ${request.method} not allowed`);
    }

    if (request.method === 'POST') {
      const problem = checkProperties(type, body?.properties, true);
      if (problem) return problem;
      const props = stringify(body?.properties as Row);
      if (type === 'contacts' && props.email) {
        const existing = emailTaken(rows, props.email, undefined);
        if (existing) return error(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing}`);
      }
      nextId += 1;
      const id = String(nextId);
      const record: Row = {
        id,
        properties: { ...props, createdate: at, hs_object_id: id, [def.modified]: at },
        createdAt: at,
        updatedAt: at,
        archived: false,
      };
      rows.push(record);
      return { status: 201, body: view(type, record, Object.keys(props)) };
    }
    if (request.method !== 'GET') return error(405, 'VALIDATION_ERROR', `Method ${request.method} not allowed`);

    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return error(400, 'VALIDATION_ERROR', 'limit must be an integer from 1 to 100');
    }
    const archived = q.get('archived') === 'true';
    const visible = rows.filter((r) => r.archived === archived).sort((a, b) => Number(a.id) - Number(b.id));
    const after = q.get('after');
    const start = after === null ? 0 : visible.findIndex((r) => Number(r.id) >= Number(after));
    const page = start < 0 ? [] : visible.slice(start, start + limit);
    const nextRow = start < 0 ? undefined : visible[start + limit];
    const out: Row = { results: page.map((r) => view(type, r, requested)) };
    if (nextRow) {
      const link = new URL(request.url);
      link.searchParams.set('after', nextRow.id as string);
      out.paging = { next: { after: nextRow.id, link: link.toString() } };
    }
    return { status: 200, body: out };
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const tokenAnswer = tokenRoute(request);
    if (tokenAnswer) return tokenAnswer;
    const auth = tokens.check(bearerToken(request));
    if (auth.state === 'expired') {
      const minutes = Math.floor((now() - auth.expiredAt) / 60_000);
      return error(
        401,
        'EXPIRED_AUTHENTICATION',
        `The OAuth token used to make this call expired ${minutes} minute(s) ago.`,
      );
    }
    if (auth.state !== 'valid') {
      return error(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
      );
    }
    let used = 0;
    if (control.rateLimitEnabled) {
      const decision = limiter.take();
      if (!decision.allowed) {
        counters.rateLimited += 1;
        return responses.rateLimited();
      }
      used = decision.used;
    }
    const response = crm(request);
    return { ...response, headers: { ...rateHeaders(used), ...response.headers } };
  }, control);
}

function emailTaken(rows: Row[], email: string, except: Row | undefined): string | undefined {
  const lower = email.toLowerCase();
  return rows.find(
    (r) => r !== except && !r.archived && String((r.properties as Row).email ?? '').toLowerCase() === lower,
  )?.id as string | undefined;
}
