/**
 * An emulator for any platform, built from nothing but its validated config (`PlatformMeta`): it authenticates as
 * the config's `auth` says, checks the platform's static headers, serves every entity's list endpoint (path, method,
 * static query and body) with seeded records paged exactly as the pagination config describes, serves get-by-id,
 * the writes each entity's `write` allows (see `write-responder.ts`), the `testConnection` request and, where the
 * platform subscribes webhooks through its API, those subscriptions (see `webhook-subscriptions-responder.ts`).
 * Tests change the records through its control (`insertRecord`, `updateRecord`, `deleteRecord`, `setRecords`), as
 * if someone had changed them on the platform, and see, drop and deliver to webhook subscriptions
 * (`webhookSubscriptions`, `dropWebhookSubscription`, `deliver`). It enforces the platform's rate limit as the
 * config's model describes it (see `../rate-limit-emulations.ts`), on its clock, unless told not to. It exercises an adapter end to end without a hand-written emulator; it knows only
 * what the config says, so platform quirks beyond the config are the hand-written emulators' business.
 */
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { getPath } from '../../runtime/dotted-path.js';
import { cursorInstant } from '../../runtime/incremental-filter.js';
import type { EntityConfig, PaginationConfig } from '../../runtime/platform-schema.js';
import type { Clock } from '../emulator-clock.js';
import { copyRecords, type EmulatorControl, type PlatformEmulator } from '../emulator-control.js';
import { resolveEmulatorOptions } from '../emulator-options.js';
import {
  type EmulatorRequest,
  type EmulatorResponse,
  type RunningEmulator,
  type StartEmulatorOptions,
  startEmulator,
} from '../emulator-server.js';
import { emulatedRateLimiter } from '../rate-limit-emulations.js';
import {
  AuthChecker,
  authHeaderOf,
  authRejection,
  type Credentials,
  emulatorCredentials,
  renderExpected,
  SERVICE_ACCOUNT_TOKEN_PATH,
} from './auth-checker.js';
import { pagingParametersOf, respondPage } from './pagination-responder.js';
import { basePathOf, compilePathTemplate, itemPathTemplate, matchPath, type PathMatcher } from './path-template.js';
import { RecordStore } from './record-store.js';
import { type OpenApiSchemas, type Row, setDeep } from './record-synthesizer.js';
import {
  createWebhookSubscriptionResponder,
  type EmulatedWebhookDelivery,
  type EmulatedWebhookSubscription,
  type WebhookDeliveryOptions,
} from './webhook-subscriptions-responder.js';
import { createWriteResponder, errorAnswer, recordAnswerBody } from './write-responder.js';
import { toXml } from './xml-serializer.js';

export interface ConfigDrivenEmulatorOptions {
  /** Records seeded per entity (default 25). */
  records?: number | undefined;
  /** Page size where the request names none (the platform decides); small values exercise paging (default 10). */
  serverPageSize?: number | undefined;
  /** The platform's trimmed OpenAPI description, for entities typed by `openapiSchema`. */
  openapi?: OpenApiSchemas | undefined;
  /** Connection config the emulated account has (default: each variable's `example`). */
  connectionConfig?: Readonly<Record<string, string>> | undefined;
  /**
   * Clock for signature dates, token checks, the rate limit and the cursor field of written records (default
   * `Date.now`); inject `manualClock().now` in tests.
   */
  now?: Clock | undefined;
  /**
   * `false` turns the platform's rate limit off (`control.rateLimitEnabled` switches it later). By default it is
   * enforced as the config's `rateLimit` says, as every emulator enforces its platform's: over it the emulator
   * answers the first of `rateLimit.statusCodes` (429 unless the config says otherwise) with a Retry-After.
   */
  rateLimit?: false | undefined;
  /**
   * How the platform answers: JSON (default), or XML for platforms whose API speaks it (Amazon S3, Azure Blob
   * Storage; the config's paths then name XML elements). The config cannot say which, so the caller does.
   */
  responseFormat?: 'json' | 'xml' | undefined;
  /** Called with every request and its answer (the sandbox command logs them). */
  onRequest?: ((request: EmulatorRequest, response: EmulatorResponse) => void) | undefined;
}

/** One list page served, for tests that count pages. */
export interface ServedPage {
  entity: string;
  /** Offset of the page's first record in the list. */
  offset: number;
  records: number;
}

export interface ConfigDrivenControl extends EmulatorControl {
  readonly meta: PlatformMeta;
  /** Credentials the emulator accepts, shaped like the adapter's credentials. */
  readonly credentials: Credentials;
  /** The same with the primary secret changed: the emulator refuses them. */
  readonly invalidCredentials: Credentials;
  /** The emulated account's connection config. */
  readonly connectionConfig: Readonly<Record<string, string>>;
  /** The base URL's path after the origin (`/admin/api/2026-10`; `''` for a bare host). */
  readonly basePath: string;
  /** Token endpoint path for service-account platforms (pass `${origin}${tokenPath}` as `oauthClient.tokenUrl`). */
  readonly tokenPath: string | undefined;
  /** Every list page served, in order. */
  readonly served: ServedPage[];
  /** Requests whose credentials were accepted and refused. */
  readonly auth: { accepted: number; refused: number; lastRefusal: string | undefined };
  /**
   * Adds a record as if made on the platform: a synthesized record with `fields` over it, at the end of the list,
   * its id the one `fields` carries or a new one shaped like the seeded ids, its cursor field the clock's now.
   * @throws RangeError for an unknown entity or an id already taken.
   * @example
   * const customer = control.insertRecord('customers', { email: 'ada@example.com' });
   */
  insertRecord(entity: string, fields?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Changes a record as if on the platform (objects merged key by key, the id kept), its cursor field set to the
   * clock's now so that `since` listings see it again. The record keeps its place in the list.
   * @throws RangeError for an unknown entity or id.
   * @example
   * control.updateRecord('customers', 'customers-0003', { name: 'Ada' });
   */
  updateRecord(entity: string, id: string | number, changes: Record<string, unknown>): Record<string, unknown>;
  /** Removes a record as if deleted on the platform (the config has no deleted marker); `false` when absent. */
  deleteRecord(entity: string, id: string | number): boolean;
  /** Replaces an entity's records (copies, served in this order). */
  setRecords(entity: string, rows: readonly Record<string, unknown>[]): void;
  /** The webhook subscriptions made through the platform's API (copies, with the secret each is signed with). */
  webhookSubscriptions(): EmulatedWebhookSubscription[];
  /** Removes a subscription as if the platform lost it (or someone deleted it there); `false` when absent. */
  dropWebhookSubscription(id: string): boolean;
  /**
   * Posts a delivery to a subscription's endpoint, signed as the platform's `webhooks.scheme` signs, with the
   * subscription's secret unless `secret` is given.
   * @throws RangeError for an unknown subscription; TypeError when no secret is known.
   * @example
   * const [hook] = control.webhookSubscriptions();
   * const { status } = await control.deliver(hook.id, { payload: { action: 'opened' }, event: 'issues' });
   */
  deliver(id: string, options?: WebhookDeliveryOptions): Promise<EmulatedWebhookDelivery>;
}

export type ConfigDrivenEmulator = PlatformEmulator<ConfigDrivenControl>;

interface ListRoute {
  entity: string;
  config: EntityConfig;
  pagination: PaginationConfig;
  matcher: PathMatcher;
  /** Static query values the request must carry (patterns; `{incremental}` matches anything). */
  query: ReadonlyArray<{ name: string; value: RegExp }>;
  /** Static JSON body the request must contain (subset match; paging parameters excluded). */
  body: Record<string, unknown> | undefined;
  /** Dotted body paths the paginator writes (excluded from the body match). */
  pagingBodyPaths: ReadonlySet<string>;
}

interface ItemRoute {
  entity: string;
  config: EntityConfig;
  matcher: PathMatcher;
}

const INCREMENTAL = '{incremental}';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A static value as a pattern: `{incremental}` is whatever the client put there (a clause, or nothing). */
function staticPattern(value: string): RegExp {
  return new RegExp(`^${value.split(INCREMENTAL).map(escapeRegExp).join('[\\s\\S]*')}$`);
}

/** Every connection config value is an example, unless the caller names the account's own. */
export function exampleConnectionConfig(meta: PlatformMeta): Record<string, string> {
  return Object.fromEntries(Object.entries(meta.connectionConfig).map(([name, v]) => [name, v.example]));
}

/** Query parameters the paginator (or the incremental filter) sets, which may replace a static value. */
function dynamicQueryNames(config: EntityConfig, pagination: PaginationConfig): Set<string> {
  const names = new Set(pagingParametersOf(pagination).query);
  if (config.incremental.kind === 'query-param') names.add(config.incremental.param);
  return names;
}

/** Whether `actual` contains `expected` (objects by subset, strings by static pattern), skipping paging paths. */
function bodyContains(expected: unknown, actual: unknown, skip: ReadonlySet<string>, at = ''): boolean {
  if (skip.has(at)) return true;
  if (typeof expected === 'string') return typeof actual === 'string' && staticPattern(expected).test(actual);
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((e, i) => bodyContains(e, actual[i], skip, at === '' ? String(i) : `${at}.${i}`))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected as Row).every(([k, v]) =>
      bodyContains(v, (actual as Row)[k], skip, at === '' ? k : `${at}.${k}`),
    );
  }
  return expected === actual;
}

/** A static query value of the cursor or token parameter: the first request's "from the start" value. */
function startValueOf(route: ListRoute): string | undefined {
  const name = pagingParametersOf(route.pagination).startQuery;
  return name === undefined ? undefined : route.config.query[name];
}

/** The `since` a list request filters by (query-param and header incremental entities), as epoch ms. */
function sinceOf(request: EmulatorRequest, config: EntityConfig): number | undefined {
  const inc = config.incremental;
  let raw: string | null | undefined;
  if (inc.kind === 'query-param') raw = request.url.searchParams.get(inc.param);
  else if (inc.kind === 'header') {
    const value = request.headers[inc.header.toLowerCase()];
    raw = Array.isArray(value) ? value[0] : value;
  } else return undefined;
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (inc.format === 'unix-seconds') return Number(raw) * 1000;
  if (inc.format === 'unix-millis') return Number(raw);
  return Date.parse(raw);
}

/**
 * How the platform refuses a request over its rate limit: the first of its `rateLimit.statusCodes`, a Retry-After
 * (whole seconds, under the config's own header name where it has one), and the body in its `errorBody` form where
 * the config declares rate-limit codes (Slack's `{ ok: false, error: 'ratelimited' }`).
 */
function rateLimited(meta: PlatformMeta, retryAfterMs: number): EmulatorResponse {
  const { statusCodes, headers } = meta.rateLimit;
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const message = 'Too many requests: the rate limit is exceeded';
  const eb = meta.errorBody;
  const code = eb?.codes.rateLimited[0];
  let body: Row = { error: { code: 'rate_limited', message } };
  if (eb && code !== undefined) {
    body = {};
    setDeep(body, eb.when.path, eb.when.equals ?? true);
    if (eb.codePath) setDeep(body, eb.codePath, code);
    if (getPath(body, eb.messagePath) === undefined) setDeep(body, eb.messagePath, message);
  }
  return {
    status: statusCodes[0] ?? 429,
    headers: { [(headers.retryAfter ?? 'retry-after').toLowerCase()]: retryAfter },
    body,
  };
}

/**
 * Builds the emulator for one platform's config.
 *
 * @example
 * const emulator = configDrivenEmulator(StripeAdapter.meta, { records: 25 });
 * const running = await startEmulator(emulator);
 * const stripe = await registry.create('stripe', { credentials: emulator.control.credentials, connectionConfig: {},
 *   baseUrl: `${running.origin}${emulator.control.basePath}` });
 */
export function configDrivenEmulator(
  meta: PlatformMeta,
  options: ConfigDrivenEmulatorOptions = {},
): ConfigDrivenEmulator {
  const { records: count, now, counters, rateLimitEnabled } = resolveEmulatorOptions(options);
  const limiter = emulatedRateLimiter(meta.rateLimit, now);
  const serverPageSize = options.serverPageSize ?? 10;
  const connectionConfig = { ...(options.connectionConfig ?? exampleConnectionConfig(meta)) };
  const { credentials, invalidCredentials } = emulatorCredentials(meta);
  const checker = new AuthChecker({ meta, credentials, connectionConfig, now });
  const basePath = basePathOf(meta, connectionConfig);
  const served: ServedPage[] = [];
  const authStats = { accepted: 0, refused: 0, lastRefusal: undefined as string | undefined };

  /**
   * A static query or body value as the platform needs it: the account's values where the config names connection
   * variables (`{channelId}`, `{boardId}`); `{incremental}` stays for the pattern.
   */
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value
        .split(INCREMENTAL)
        .map((part) => renderExpected(part, meta, {}, connectionConfig))
        .join(INCREMENTAL);
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };

  const store = new RecordStore(meta, { count, openapi: options.openapi, now });
  const listRoutes: ListRoute[] = [];
  const itemRoutes: ItemRoute[] = [];
  for (const [entity, config] of Object.entries(meta.entities)) {
    const pagination = config.pagination ?? meta.pagination;
    const dynamic = dynamicQueryNames(config, pagination);
    listRoutes.push({
      entity,
      config,
      pagination,
      matcher: compilePathTemplate(config.path, meta, connectionConfig),
      query: Object.entries(config.query)
        .filter(([name]) => !dynamic.has(name))
        .map(([name, value]) => ({ name, value: staticPattern(fill(value) as string) })),
      body: config.method === 'POST' && config.body ? (fill(config.body) as Record<string, unknown>) : undefined,
      pagingBodyPaths: new Set(pagingParametersOf(pagination).body),
    });
    if (config.getById) {
      itemRoutes.push({
        entity,
        config,
        matcher: compilePathTemplate(itemPathTemplate(config), meta, connectionConfig),
      });
    }
  }
  const testConnection = compilePathTemplate(meta.testConnection.path, meta, connectionConfig);

  /** Platform headers the config fixes (auth's own header excepted), as the platform expects them filled. */
  const authHeader = authHeaderOf(meta.auth);
  const requiredHeaders = Object.entries(meta.headers)
    .filter(([name]) => name.toLowerCase() !== authHeader?.toLowerCase())
    .map(([name, template]) => [name, renderExpected(template, meta, credentials, connectionConfig)] as const);

  const okFlag = (body: unknown): unknown => {
    // Platforms that flag success in the body (Slack `ok: true`) do so on every good answer.
    const when = meta.errorBody?.when;
    if (when && typeof when.equals === 'boolean' && body !== null && typeof body === 'object' && !Array.isArray(body)) {
      setDeep(body as Row, when.path, !when.equals);
    }
    return body;
  };
  const notFound = (request: EmulatorRequest, message?: string): EmulatorResponse =>
    errorAnswer(404, 'not_found', message ?? `No route for ${request.method} ${request.url.pathname}`);
  const writes = createWriteResponder({ meta, connectionConfig, store, notFound, okFlag });
  const hooks = createWebhookSubscriptionResponder({ meta, connectionConfig, now, okFlag });

  const responses: ConfigDrivenControl['responses'] = {
    rateLimited: () => rateLimited(meta, 1000),
    serverError: (status) => ({ status, body: { error: { code: 'server_error', message: 'Internal error' } } }),
    tokenExpired: () => authRejection(meta, 'expired credentials'),
  };

  const control: ConfigDrivenControl = {
    platform: meta.id,
    now,
    counters,
    rateLimitEnabled,
    resetRateLimits: () => limiter.reset(),
    collections: () => store.entities(),
    records: (collection) => copyRecords(store.rows(collection)),
    responses,
    meta,
    credentials,
    invalidCredentials,
    connectionConfig,
    basePath,
    tokenPath: checker.servesTokens ? SERVICE_ACCOUNT_TOKEN_PATH : undefined,
    served,
    auth: authStats,
    insertRecord: (entity, fields = {}) => store.insert(entity, structuredClone(fields)),
    updateRecord: (entity, id, changes) => {
      const updated = store.update(entity, String(id), structuredClone(changes));
      if (!updated) throw new RangeError(`${meta.id} ${entity}: no record with id ${JSON.stringify(String(id))}`);
      return updated;
    },
    deleteRecord: (entity, id) => store.delete(entity, String(id)),
    setRecords: (entity, rows) => store.replace(entity, rows),
    webhookSubscriptions: () => hooks.subscriptions(),
    dropWebhookSubscription: (id) => hooks.drop(id),
    deliver: (id, delivery) => hooks.deliver(id, delivery),
  };

  /** The list answer; `{ mismatch }` when a list path matched but its static query or body did not. */
  const list = (request: EmulatorRequest, relative: string): EmulatorResponse | { mismatch: string } | undefined => {
    let best: { route: ListRoute; score: number } | undefined;
    let mismatch: string | undefined;
    for (const route of listRoutes) {
      if (route.config.method !== request.method) continue;
      if (!matchPath(route.matcher, relative, request.url.searchParams)) continue;
      const wrong = route.query.find((q) => !q.value.test(request.url.searchParams.get(q.name) ?? ''));
      if (wrong) {
        mismatch = `query parameter ${wrong.name} does not have the value the ${route.entity} endpoint needs`;
        continue;
      }
      if (route.body !== undefined && !bodyContains(route.body, request.body, route.pagingBodyPaths)) {
        mismatch = `the JSON body is not the ${route.entity} request's`;
        continue;
      }
      const score = route.matcher.query.length + route.query.length + (route.body ? 1 : 0);
      if (!best || score > best.score) best = { route, score };
    }
    if (!best) return mismatch === undefined ? undefined : { mismatch };
    const { route } = best;
    const since = sinceOf(request, route.config);
    if (since !== undefined && Number.isNaN(since)) {
      return { status: 400, body: { error: { code: 'invalid_request', message: 'invalid incremental filter' } } };
    }
    const all = store.rows(route.entity);
    const cursorField = route.config.incremental.kind === 'none' ? undefined : route.config.incremental.cursorField;
    const records =
      since === undefined || cursorField === undefined
        ? all
        : all.filter((r) => (cursorInstant(r, cursorField) ?? 0) >= since);
    const outcome = respondPage({
      request,
      pagination: route.pagination,
      recordsPath: route.config.recordsPath,
      idField: route.config.idField,
      records,
      defaultPageSize: serverPageSize,
      relativeNextUrl: basePath !== '',
      startValue: startValueOf(route),
    });
    if (!outcome.ok) return outcome.response;
    served.push({ entity: route.entity, offset: outcome.offset, records: outcome.records.length });
    return { ...outcome.response, body: okFlag(structuredClone(outcome.response.body)) };
  };

  /** A get-by-id answer; `idInQuery` for the item routes that name the id in their query only. */
  const item = (request: EmulatorRequest, relative: string, idInQuery?: boolean): EmulatorResponse | undefined => {
    if (request.method !== 'GET') return undefined;
    let matchedId: string | undefined;
    // Several entities may share an item path (Graph API `/{id}` reads any object): the id decides.
    for (const route of itemRoutes) {
      if (idInQuery && !route.matcher.idInQuery) continue;
      const m = matchPath(route.matcher, relative, request.url.searchParams);
      if (!m || m.id === undefined) continue;
      matchedId = m.id;
      const record = store.find(route.entity, m.id);
      if (!record) continue;
      return { status: 200, body: okFlag(recordAnswerBody(route.config, record)) };
    }
    return matchedId === undefined ? undefined : notFound(request, `No record with id ${JSON.stringify(matchedId)}`);
  };

  const handle = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    counters.requests += 1;
    const path = request.url.pathname;
    if (checker.servesTokens && path === SERVICE_ACCOUNT_TOKEN_PATH && request.method === 'POST') {
      counters.tokenRequests += 1;
      const answer = await checker.token(request);
      if (answer.status !== 200) {
        authStats.refused += 1;
        authStats.lastRefusal = `token exchange: ${JSON.stringify(answer.body)}`;
      }
      return answer;
    }
    if (basePath !== '' && path !== basePath && !path.startsWith(`${basePath}/`)) return notFound(request);
    const relative = path.slice(basePath.length) || '/';

    const auth = await checker.check(request);
    if (!auth.ok) {
      authStats.refused += 1;
      authStats.lastRefusal = auth.reason;
      return authRejection(meta, auth.reason);
    }
    authStats.accepted += 1;
    if (control.rateLimitEnabled) {
      const decision = limiter.take();
      if (!decision.allowed) {
        counters.rateLimited += 1;
        return rateLimited(meta, decision.retryAfterMs);
      }
    }
    for (const [name, expected] of requiredHeaders) {
      const value = request.headers[name.toLowerCase()];
      const got = Array.isArray(value) ? value.join(', ') : value;
      if (got !== expected) {
        return {
          status: 400,
          body: {
            error: {
              code: 'invalid_header',
              message: `header ${name} must be ${JSON.stringify(expected)}, got ${JSON.stringify(got ?? null)}`,
            },
          },
        };
      }
    }

    const subscription = await hooks.respond(request, relative);
    if (subscription) return subscription;
    // An item path that names the id in its query (`/product?ID={id}`) may be its list's path too: the id decides.
    const byQuery = item(request, relative, true);
    if (byQuery) return byQuery;
    const listed = list(request, relative);
    if (listed && !('mismatch' in listed)) return listed;
    if (
      request.method === meta.testConnection.method &&
      matchPath(testConnection, relative, request.url.searchParams)
    ) {
      return { status: 200, body: okFlag({}) };
    }
    const written = writes(request, relative);
    if (written) return written;
    const found = item(request, relative);
    if (found) return found;
    if (listed) return { status: 400, body: { error: { code: 'invalid_request', message: listed.mismatch } } };
    return notFound(request);
  };

  const asXml = (response: EmulatorResponse): EmulatorResponse => {
    if (response.body === undefined) return response;
    const empty =
      typeof response.body === 'object' && response.body !== null && Object.keys(response.body).length === 0;
    if (empty && response.status < 300)
      return { status: response.status, headers: { ...response.headers }, rawBody: '' };
    const body =
      response.status < 300
        ? response.body
        : {
            Error: {
              Code: response.status === 401 ? 'AccessDenied' : 'InvalidRequest',
              Message: JSON.stringify(response.body),
            },
          };
    return {
      status: response.status,
      headers: { ...response.headers, 'content-type': 'application/xml' },
      rawBody: toXml(body),
    };
  };

  const handler = (async (request: EmulatorRequest) => {
    const answer = await handle(request);
    const isTokenEndpoint = request.url.pathname === SERVICE_ACCOUNT_TOKEN_PATH;
    const response = options.responseFormat === 'xml' && !isTokenEndpoint ? asXml(answer) : answer;
    options.onRequest?.(request, response);
    return response;
  }) as ConfigDrivenEmulator;
  handler.control = control;
  return handler;
}

/**
 * Options for `registry.create(meta.id, …)` (or the adapter's constructor): credentials, connection config, base URL
 * and, for service-account platforms, the token endpoint.
 */
export interface ConfigDrivenAdapterOptions {
  credentials: Record<string, unknown>;
  connectionConfig: Record<string, string>;
  baseUrl: string;
  oauthClient?: { clientId: string; tokenUrl: string };
}

/** A running config-driven emulator, with what an adapter needs to talk to it. */
export interface RunningConfigDrivenEmulator extends RunningEmulator<ConfigDrivenEmulator> {
  /** Origin plus the platform's base path. */
  baseUrl: string;
  adapterOptions(overrides?: { credentials?: Record<string, unknown> }): ConfigDrivenAdapterOptions;
}

/**
 * What an adapter needs to talk to a config-driven emulator served at `origin`.
 *
 * @example
 * const options = configDrivenAdapterOptions(emulator.control, running.origin);
 * const adapter = await getAdapterRegistry().create(meta.id, options);
 */
export function configDrivenAdapterOptions(
  control: ConfigDrivenControl,
  origin: string,
  overrides: { credentials?: Record<string, unknown> } = {},
): ConfigDrivenAdapterOptions {
  return {
    credentials: { ...(overrides.credentials ?? control.credentials) },
    connectionConfig: { ...control.connectionConfig },
    baseUrl: `${origin}${control.basePath}`,
    ...(control.tokenPath
      ? {
          oauthClient: {
            clientId: control.credentials.clientEmail ?? 'emulator',
            tokenUrl: `${origin}${control.tokenPath}`,
          },
        }
      : {}),
  };
}

/**
 * Starts the config-driven emulator for a platform on loopback.
 *
 * @example
 * const emulator = await startConfigDrivenEmulator(meta, { records: 25 });
 * const adapter = await getAdapterRegistry().create(meta.id, { ...emulator.adapterOptions(), retry: { maxAttempts: 1 } });
 * await adapter.testConnection(); // true
 * await emulator.close();
 */
export async function startConfigDrivenEmulator(
  meta: PlatformMeta,
  options: ConfigDrivenEmulatorOptions & StartEmulatorOptions = {},
): Promise<RunningConfigDrivenEmulator> {
  const emulator = configDrivenEmulator(meta, options);
  const running = await startEmulator(emulator, { port: options.port ?? 0 });
  const { control } = emulator;
  return Object.assign(running, {
    baseUrl: `${running.origin}${control.basePath}`,
    adapterOptions: (overrides: { credentials?: Record<string, unknown> } = {}) =>
      configDrivenAdapterOptions(control, running.origin, overrides),
  });
}
