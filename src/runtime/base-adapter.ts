/**
 * The hand-written core every generated adapter extends. Generated classes add one-line typed methods
 * (`listCustomers`, `getCustomer`, …) over the generic operations here.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { AdapterOptions, FetchParams, ListParams, PlatformMeta } from './adapter-types.js';
import type { AuthStrategy } from './auth/auth-strategy.js';
import { createAuthStrategy } from './auth/create-auth.js';
import { CredentialStore } from './auth/credential-store.js';
import { OAuth2Auth } from './auth/oauth2-auth.js';
import { PlatformHeaders } from './auth/platform-headers.js';
import { fillConnectionPlaceholders, hostVariables, resolveBaseUrl, resolvePath } from './base-url.js';
import { getPath } from './dotted-path.js';
import {
  AdapterError,
  ApiError,
  AuthenticationError,
  ConfigurationError,
  PaginationError,
  PermissionDeniedError,
} from './errors.js';
import { encodeForm, encodeFormJsonValues } from './form-encoder.js';
import { guardedFetch } from './http/guarded-fetch.js';
import { type AttemptEvent, HttpClient, type HttpRequest } from './http/http-client.js';
import { PrivateNetworkGuard } from './http/private-network-guard.js';
import { XmlBody } from './http/xml-body.js';
import { applyIncremental, cursorInstant } from './incremental-filter.js';
import { normalizeRecord } from './normalize/normalize-record.js';
import type { StandardEntityType, StandardRecord } from './normalize/standard-entities.js';
import { createPaginator } from './pagination/create-paginator.js';
import type { Page, PageRequest, PageResponse, PaginationContext } from './pagination/paginator.js';
import type { EntityConfig, PaginationConfig } from './platform-schema.js';
import { createRateLimiter } from './rate-limit/create-rate-limiter.js';
import type { SleepFunction } from './retry/abortable-sleep.js';
import {
  type ApiWebhookRegistration,
  subscribeWebhook,
  type WebhookSubscription,
  type WebhookSubscriptionInput,
} from './webhooks/webhook-subscriptions.js';

/** Runtime knobs beyond the generated `AdapterOptions` (logging, and determinism for tests). */
export interface RuntimeOptions {
  /** Structured logs (pino); credentials are never logged. Default: silent. */
  logger?: Logger | undefined;
  /** Waits between retries; tests inject an instant one. */
  sleep?: SleepFunction | undefined;
  /** Jitter source in [0, 1). */
  random?: (() => number) | undefined;
  /** Clock, epoch ms (token expiry). */
  now?: (() => number) | undefined;
  /** Told about every HTTP attempt (status, latency, retry, rate limited) for metrics; see `AttemptEvent`. */
  onAttempt?: ((attempt: AttemptEvent) => void) | undefined;
}

/** Options of a single write. */
export interface WriteOptions {
  /**
   * Sent in the platform's idempotency header (`retry.idempotencyHeader`, e.g. Stripe's `Idempotency-Key`) instead of
   * a fresh key per call: the same key on a repeated write (a job retried after a crash) makes the platform answer
   * the first write again rather than write twice. Ignored where the platform takes no idempotency key.
   */
  idempotencyKey?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A page of records with the requests to re-read it and to read on after it (see `BaseAdapter.pages`). */
export interface RecordPage<T> {
  /** 1-based within this iteration. */
  number: number;
  records: T[];
  /** The request that fetched this page. */
  request: PageRequest;
  /** The request for the page after it; `undefined` at the end. Plain JSON: store it to resume later. */
  next: PageRequest | undefined;
}

export type BaseAdapterOptions<C, K> = AdapterOptions<C, K> & RuntimeOptions;

type WriteOperation = EntityConfig['write'][number];

/** A caller's list filters as query fields, nested objects in brackets (`created[gte]`), arrays repeated by index. */
function queryFields(query: object | undefined): Record<string, string> {
  if (!query) return {};
  return Object.fromEntries(new URLSearchParams(encodeForm(query as Record<string, unknown>)));
}

/**
 * @example
 * class StripeAdapter extends BaseAdapter<StripeEntities, StripeCredentials, StripeConnectionConfig> {
 *   static readonly meta: PlatformMeta = { ... };
 *   constructor(options: AdapterOptions<StripeCredentials, StripeConnectionConfig>) { super(StripeAdapter.meta, options); }
 *   listCustomers(params?: ListParams): AsyncIterable<StripeCustomer> { return this.list('customers', params); }
 * }
 * await using stripe = new StripeAdapter({ credentials: { apiKey }, connectionConfig: {} });
 * for await (const customer of stripe.listCustomers({ since })) console.log(customer.id);
 */
export abstract class BaseAdapter<
  E extends object = Record<string, unknown>,
  C = Record<string, unknown>,
  K = Record<string, string>,
  /** Standard entity type of each entity that has one (generated per platform). */
  S extends { [N in keyof E]?: StandardEntityType } = { [N in keyof E]?: StandardEntityType },
> implements AsyncDisposable
{
  readonly meta: PlatformMeta;
  /** The resolved base URL (the override, or the platform's template filled from the connection config). */
  readonly baseUrl: string;
  protected readonly http: HttpClient;
  protected readonly log: Logger;
  protected readonly auth: AuthStrategy;
  readonly #connectionConfig: Readonly<Record<string, unknown>>;
  readonly #now: () => number;
  readonly #clientSecret: string | undefined;
  readonly #paginationLimits: { maxEmptyPages?: number | undefined; maxPages?: number | undefined };

  /**
   * @throws ConfigurationError when the connection config cannot make a base URL (missing or malformed variable).
   *   Missing credentials surface on the first request (and make `testConnection()` answer `false`).
   */
  constructor(meta: PlatformMeta, options: BaseAdapterOptions<C, K>) {
    this.meta = meta;
    this.#now = options.now ?? Date.now;
    this.#connectionConfig = { ...((options.connectionConfig ?? {}) as Record<string, unknown>) };
    this.log = (options.logger ?? pino({ level: 'silent' })).child({
      platform: meta.id,
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    });
    this.baseUrl = resolveBaseUrl(meta, this.#connectionConfig, options.baseUrl);
    this.#paginationLimits = options.pagination ?? {};
    // A host built from connection config is a tenant's choice: it must not reach private networks. A base URL
    // (or OAuth token URL) the developer gave is trusted.
    const hostGuard = options.baseUrl === undefined ? tenantHostGuard(meta, meta.baseUrl, options) : undefined;
    const tokenHostGuard =
      meta.auth.kind === 'oauth2' && !options.oauthClient?.tokenUrl
        ? tenantHostGuard(meta, meta.auth.tokenUrl, options)
        : undefined;

    const store = new CredentialStore(meta, options.credentials, this.#connectionConfig);
    this.auth = createAuthStrategy({
      meta,
      store,
      connectionConfig: this.#connectionConfig,
      oauthClient: options.oauthClient,
      onTokens: options.onTokens,
      tokenRefresh: options.tokenRefresh,
      now: options.now,
      timeoutMs: options.timeoutMs,
      logger: this.log,
      ...(tokenHostGuard ? { fetch: guardedFetch(tokenHostGuard, options.maxResponseBytes) } : {}),
    });
    const platformHeaders = new PlatformHeaders(meta.headers, store);
    const clientSecret = options.oauthClient?.clientSecret;
    this.#clientSecret = clientSecret;
    const rateLimiter = createRateLimiter({
      platformId: meta.id,
      config: meta.rateLimit,
      tenantId: options.tenantId,
      connectionConfig: this.#connectionConfig,
      rateLimiter: options.rateLimiter,
      store: options.rateLimitStore,
      key: options.rateLimitKey,
      logger: this.log,
      sleep: options.sleep,
      now: options.now,
    });
    this.http = new HttpClient({
      platformId: meta.id,
      baseUrl: this.baseUrl,
      retry: { ...meta.retry, ...definedOnly(options.retry ?? {}) },
      timeoutMs: options.timeoutMs,
      maxConcurrency: options.maxConcurrency,
      auth: this.auth,
      platformHeaders,
      logger: this.log,
      sleep: options.sleep,
      random: options.random,
      secrets: () => (clientSecret ? [...store.secretValues(), clientSecret] : store.secretValues()),
      sensitiveNames: platformHeaders.sensitiveNames,
      rateLimit: {
        statusCodes: meta.rateLimit.statusCodes,
        remainingHeader: meta.rateLimit.headers.remaining,
        retryAfterHeader: meta.rateLimit.headers.retryAfter,
      },
      rateLimiter,
      errorBody: meta.errorBody,
      requestIdHeaders: meta.requestIdHeaders,
      hostGuard,
      maxResponseBytes: options.maxResponseBytes,
      onAttempt: options.onAttempt,
    });
  }

  /**
   * Sends the platform's cheap authenticated request. `true` when it succeeds; `false` when the credentials are
   * refused (401/403) or missing, and also for any other failure (which is logged). Never throws.
   *
   * @example
   * if (!(await adapter.testConnection())) console.log('reconnect the account');
   */
  async testConnection(): Promise<boolean> {
    return (await this.probe()).ok;
  }

  /**
   * The same request as `testConnection`, saying why it failed and how long it took: for health checks and for
   * refusing credentials with the platform's own reason. Never throws.
   *
   * @example
   * const result = await adapter.probe();
   * if (!result.ok) console.log(result.error.message); // redacted: never a credential
   */
  async probe(): Promise<{ ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: Error }> {
    const started = performance.now();
    try {
      const { method, path, body } = this.meta.testConnection;
      await this.http.request({
        method,
        url: resolvePath(path, this.meta, this.#connectionConfig),
        ...(body === undefined ? {} : { json: fillConnectionPlaceholders(body, this.meta, this.#connectionConfig) }),
        idempotent: true,
      });
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const authFailure =
        error instanceof AuthenticationError ||
        error instanceof PermissionDeniedError ||
        error instanceof ConfigurationError;
      const summary =
        error instanceof AdapterError
          ? error.toJSON()
          : { name: (error as Error)?.name, message: String((error as Error)?.message ?? error) };
      if (authFailure) this.log.info({ error: summary }, 'testConnection: credentials refused or missing');
      else this.log.warn({ error: summary }, 'testConnection failed');
      const typed = error instanceof Error ? error : new AdapterError(String(error), { platformId: this.meta.id });
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: typed };
    }
  }

  /**
   * One page of an entity, the request that fetched it, and the request for the page after it, so a listing can
   * stop and resume later (an API's opaque cursor holds `next`, or `request` to re-read a page it stopped inside).
   * `from` is such a request from an earlier call; without it, the first page.
   *
   * @example
   * let page = await adapter.page('orders', { pageSize: 100 });
   * while (page.next) page = await adapter.page('orders', { from: page.next });
   */
  async page<N extends keyof E & string>(
    entity: N,
    params: Omit<ListParams, 'limit'> & { from?: PageRequest | undefined } = {},
  ): Promise<{ records: Array<E[N]>; request: PageRequest | undefined; next: PageRequest | undefined }> {
    const config = this.entityConfig(entity);
    const pages = this.#pages(entity, config, params, params.from);
    try {
      const first = await pages.next();
      if (first.done) return { records: [], request: undefined, next: undefined };
      const { records, request, next } = first.value;
      return { records: records as Array<E[N]>, request, next };
    } finally {
      await pages.return?.();
    }
  }

  /**
   * The pages of an entity, lazily, each with the request that fetched it and the request for the page after it (a
   * cursor, a page token, a next link or an offset, as the platform pages): a sync stores `next` with the page's
   * records and, after a crash, resumes with `from: next` — for every pagination kind. Loop guards (a repeated
   * cursor, endless empty pages) apply across the whole iteration.
   *
   * @example
   * for await (const page of adapter.pages('orders', { since, from: checkpoint })) {
   *   await store(page.records, page.next); // in one transaction
   * }
   */
  pages<N extends keyof E & string>(
    entity: N,
    params: Omit<ListParams, 'limit'> & { from?: PageRequest | undefined } = {},
  ): AsyncIterable<RecordPage<E[N]>> {
    const config = this.entityConfig(entity);
    return {
      [Symbol.asyncIterator]: () => {
        const pages = this.#pages(entity, config, params, params.from);
        let number = 0;
        return {
          next: async () => {
            const page = await pages.next();
            if (page.done) return { value: undefined, done: true };
            const { records, request, next } = page.value;
            return { value: { number: ++number, records: records as Array<E[N]>, request, next }, done: false };
          },
          return: async () => {
            await pages.return?.();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  /**
   * Every record of an entity, page by page, fetched lazily as the iteration advances.
   *
   * - `since` filters server-side per the entity's `incremental` config (ignored where it has none).
   * - `pageSize` is clamped to the platform's `maxLimit` (default: its `defaultLimit`).
   * - `limit` stops after that many records without requesting further pages.
   *
   * @throws AdapterError (synchronously) for an unknown entity.
   * @example
   * for await (const order of adapter.list('orders', { since: new Date('2024-01-01'), limit: 500 })) { … }
   */
  list<N extends keyof E & string>(entity: N, params: ListParams = {}): AsyncIterable<E[N]> {
    const config = this.entityConfig(entity);
    return { [Symbol.asyncIterator]: () => this.#records(entity, config, params) as AsyncIterator<E[N]> };
  }

  /**
   * The records of an entity as an array (the seed's `fetch_<entity>`): from `dateFrom` (server-side where the
   * entity supports it, and client-side on its cursor field), before `dateTo` (client-side), at most `limit`.
   *
   * @example
   * const recent = await adapter.fetch('customers', { limit: 100, dateFrom: new Date('2024-05-01') });
   */
  async fetch<N extends keyof E & string>(entity: N, params: FetchParams = {}): Promise<Array<E[N]>> {
    const config = this.entityConfig(entity);
    const out: Array<E[N]> = [];
    if (params.limit !== undefined && params.limit <= 0) return out;
    const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
    const from = params.dateFrom?.getTime();
    const to = params.dateTo?.getTime();
    const records = this.#records(entity, config, {
      since: params.dateFrom,
      pageSize: params.pageSize,
      signal: params.signal,
      ...(params.query ? { query: params.query } : {}),
    });
    for await (const record of { [Symbol.asyncIterator]: () => records }) {
      if (cursorField && (from !== undefined || to !== undefined)) {
        const at = cursorInstant(record, cursorField);
        if (at !== undefined && ((from !== undefined && at < from) || (to !== undefined && at >= to))) continue;
      }
      out.push(record as E[N]);
      if (params.limit !== undefined && out.length >= params.limit) break;
    }
    return out;
  }

  /**
   * One record by id (`itemPath`, default `<path>/{id}`; the id is percent-encoded), with the entity's `itemQuery`.
   * @throws NotFoundError when it does not exist.
   * @throws AdapterError when the entity cannot be read by id (`getById: false`).
   */
  async get<N extends keyof E & string>(entity: N, id: string): Promise<E[N]> {
    const config = this.entityConfig(entity);
    if (!config.getById) {
      throw new AdapterError(`${this.meta.id}: entity "${entity}" cannot be read by id; list it instead`, {
        platformId: this.meta.id,
      });
    }
    const response = await this.http.request({
      method: 'GET',
      url: this.#itemPath(entity, config, id),
      query: fillConnectionPlaceholders(config.itemQuery, this.meta, this.#connectionConfig),
    });
    return getPath(response.body, config.itemRecordPath) as E[N];
  }

  /**
   * Creates a record (POST to `createPath`, default the entity path), encoded per `writeBody`.
   * @throws AdapterError when the entity does not allow `create`.
   * @example
   * await stripe.create('customers', { email: 'a@b.c', metadata: { plan: 'pro' } }); // metadata[plan]=pro
   */
  async create<N extends keyof E & string>(
    entity: N,
    body: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<E[N]> {
    const config = this.#writable(entity, 'create');
    const response = await this.http.request({
      method: 'POST',
      url: resolvePath(config.createPath ?? config.path, this.meta, this.#connectionConfig),
      ...this.#writeBody(config, body),
      ...this.#writeOptions(options),
    });
    return getPath(response.body, config.itemRecordPath) as E[N];
  }

  /**
   * Updates a record with the entity's `updateMethod` (default PATCH).
   * @throws AdapterError when the entity does not allow `update`.
   */
  async update<N extends keyof E & string>(
    entity: N,
    id: string,
    body: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<E[N]> {
    const config = this.#writable(entity, 'update');
    const response = await this.http.request({
      method: config.updateMethod,
      url: this.#itemPath(entity, config, id),
      ...this.#writeBody(config, body),
      ...this.#writeOptions(options),
    });
    return getPath(response.body, config.itemRecordPath) as E[N];
  }

  /**
   * Deletes a record.
   * @throws AdapterError when the entity does not allow `delete`.
   */
  async delete<N extends keyof E & string>(entity: N, id: string, options: WriteOptions = {}): Promise<void> {
    const config = this.#writable(entity, 'delete');
    await this.http.request({
      method: 'DELETE',
      url: this.#itemPath(entity, config, id),
      ...this.#writeOptions(options),
    });
  }

  /**
   * Subscribes `endpointUrl` to the platform's webhooks for `events` through its API, as the config's
   * `webhooks.registration` declares (one subscription, or one per event where the platform takes one at a time).
   * @returns the platform's subscription ids and the signing secret (from its answer, generated and sent, or the OAuth
   *   app's client secret), `undefined` when the user copies it from the platform.
   * @throws AdapterError when the platform has no registration API; the platform's typed errors otherwise.
   * @example
   * const { ids, secret } = await stripe.subscribeWebhook({ endpointUrl, events: ['customer.updated'] });
   */
  async subscribeWebhook(input: WebhookSubscriptionInput): Promise<WebhookSubscription> {
    const registration = this.#webhookRegistration();
    // Connection variables in the body (Asana's project, Airtable's base) first; the webhook's own values after.
    const body = fillConnectionPlaceholders(registration.body, this.meta, this.#connectionConfig);
    return subscribeWebhook(
      { ...registration, body },
      { ...input, clientSecret: this.#clientSecret },
      async ({ method, body, encoding }) =>
        this.http.request({
          method,
          url: resolvePath(registration.path, this.meta, this.#connectionConfig),
          ...(encoding === 'form' ? { form: body as Record<string, unknown> } : { json: body }),
        }),
      (id) => this.unsubscribeWebhook(id),
    );
  }

  /**
   * Whether the platform still has the subscription (`itemPath` answers); `false` on 404 or 410.
   * @throws the platform's typed errors for anything else.
   */
  hasWebhookSubscription(id: string): Promise<boolean> {
    return this.#webhookSubscriptionRequest('GET', id);
  }

  /**
   * Deletes a subscription at the platform. A subscription already gone (404, 410) counts as deleted.
   * @returns whether it existed.
   */
  unsubscribeWebhook(id: string): Promise<boolean> {
    return this.#webhookSubscriptionRequest('DELETE', id);
  }

  /**
   * A raw record as its standard entity (`Customer`, `Order`, …), mapped and converted as the entity's config
   * declares; the raw record is kept as `raw`.
   *
   * @example
   * adapter.normalize('customers', raw); // { type: 'Customer', platform: 'stripe', id: 'cus_1', email: …, raw }
   */
  normalize<N extends keyof E & keyof S & string>(
    entity: N,
    raw: E[N] | Record<string, unknown>,
  ): StandardRecord<S[N] extends StandardEntityType ? S[N] : StandardEntityType> {
    return normalizeRecord(this.meta.id, entity, this.entityConfig(entity), raw) as StandardRecord<
      S[N] extends StandardEntityType ? S[N] : StandardEntityType
    >;
  }

  /**
   * Renews OAuth2 tokens ahead of time: when the access token expires within `withinMs` (default 10 minutes) and the
   * adapter can renew (a refresh token or client credentials, and an OAuth client), it renews now, through the same
   * single-flight (and `tokenRefresh` coordination) as a request would. Other auth kinds have nothing to renew.
   *
   * @returns whether tokens were renewed.
   * @throws AuthenticationError when the token endpoint refuses (e.g. `invalid_grant`).
   * @example
   * if (await adapter.renewCredentials({ withinMs: 10 * 60_000 })) console.log('renewed');
   */
  async renewCredentials(options: { withinMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const auth = this.auth;
    if (!(auth instanceof OAuth2Auth) || !auth.canRefresh()) return false;
    const expiresAt = auth.expiresAt();
    const now = this.#now();
    if (expiresAt !== undefined && expiresAt - now > (options.withinMs ?? 10 * 60_000)) return false;
    await auth.refresh(options.signal);
    return true;
  }

  /** Frees connections. The adapter cannot be used afterwards. */
  async close(): Promise<void> {
    await this.http.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * An entity's config.
   * @throws AdapterError naming the entity and listing the known ones.
   */
  protected entityConfig(entity: string): EntityConfig {
    if (!Object.hasOwn(this.meta.entities, entity)) {
      const known = Object.keys(this.meta.entities).sort().join(', ');
      throw new AdapterError(`${this.meta.id}: unknown entity "${entity}"; known entities: ${known}`, {
        platformId: this.meta.id,
      });
    }
    return this.meta.entities[entity] as EntityConfig;
  }

  /** The pagination that applies to an entity (its own, else the platform's). */
  protected paginationFor(config: EntityConfig): PaginationConfig {
    return config.pagination ?? this.meta.pagination;
  }

  /**
   * The records of every page, in order, fetching a page only when the previous one is used up. A plain iterator
   * over the current page rather than an async generator: per record it costs half as much (measured), which shows
   * on listings of tens of thousands of records.
   */
  #records(entity: string, config: EntityConfig, params: ListParams): AsyncIterator<unknown> {
    const limit = params.limit;
    let pages: AsyncIterator<Page> | undefined;
    let buffer: readonly unknown[] = [];
    let index = 0;
    let count = 0;
    let finished = limit !== undefined && limit <= 0;
    const end = { value: undefined, done: true } as const;
    const finish = async () => {
      finished = true;
      await pages?.return?.();
      return end;
    };
    return {
      next: async () => {
        while (!finished) {
          if (limit !== undefined && count >= limit) return finish();
          if (index < buffer.length) {
            count++;
            return { value: buffer[index++], done: false };
          }
          pages ??= this.#pages(entity, config, params);
          const page = await pages.next();
          if (page.done) {
            finished = true;
            break;
          }
          buffer = page.value.records;
          index = 0;
        }
        return end;
      },
      return: finish,
    };
  }

  /** The entity's pages, through the paginator its config names. */
  #pages(entity: string, config: EntityConfig, params: ListParams, from?: PageRequest): AsyncIterator<Page> {
    if (params.since && config.incremental.kind === 'none') {
      this.log.debug({ entity }, 'list: entity has no incremental filter; since is ignored');
    }
    const pagination = this.paginationFor(config);
    const parts = applyIncremental(config, params.since);
    const query = {
      ...queryFields(params.query),
      ...fillConnectionPlaceholders(parts.query, this.meta, this.#connectionConfig),
    };
    const body = fillConnectionPlaceholders(parts.body, this.meta, this.#connectionConfig);
    const first: PageRequest = {
      method: config.method,
      url: resolvePath(config.path, this.meta, this.#connectionConfig),
      query,
      body: config.method === 'POST' ? (body ?? {}) : body,
    };
    const context: PaginationContext = {
      fetchPage: (request) => this.#fetchPage(request, params.signal, parts.headers),
      recordsOf: (pageBody) => this.#recordsOf(entity, config, pageBody),
      idField: config.idField,
      pageSize: pageSizeFor(pagination, params.pageSize, params.limit),
      baseUrl: this.baseUrl,
      platformId: this.meta.id,
      entity,
      maxEmptyPages:
        this.#paginationLimits.maxEmptyPages ?? ('maxEmptyPages' in pagination ? pagination.maxEmptyPages : undefined),
      maxPages: this.#paginationLimits.maxPages,
    };
    return createPaginator(pagination).pages(from ?? first, context);
  }

  /** One page; `headers` are the incremental filter's (a `header` kind with a `since`), sent on every page. */
  async #fetchPage(
    request: PageRequest,
    signal: AbortSignal | undefined,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<PageResponse> {
    const filtered = Object.keys(headers).length > 0;
    const req: HttpRequest = {
      method: request.method,
      url: request.url,
      query: request.query,
      idempotent: true,
      signal,
      ...(filtered ? { headers } : {}),
    };
    if (request.method === 'POST' || request.body !== undefined) req.json = request.body ?? {};
    try {
      const response = await this.http.request(req);
      return { status: response.status, headers: response.headers, body: response.body, url: response.url };
    } catch (error) {
      // 304 Not Modified to an If-Modified-Since filter: nothing changed since then, an empty page that ends it.
      if (filtered && error instanceof ApiError && error.status === 304) {
        return { status: 304, headers: error.headers, body: undefined, url: request.url };
      }
      throw error;
    }
  }

  #recordsOf(entity: string, config: EntityConfig, body: unknown): unknown[] {
    if (body === undefined) return []; // an empty 2xx (204) ends some platforms' listings
    if (body === null || typeof body !== 'object') {
      // Text where a page of records should be: never read it as an empty page (that would end a listing early).
      throw new PaginationError(`${this.meta.id} ${entity}: the page is not JSON or XML (got ${typeof body})`, {
        platformId: this.meta.id,
        entity,
      });
    }
    const records = getPath(body, config.recordsPath);
    if (records === undefined || records === null) return [];
    // XML has no lists: a page with one record has the element itself.
    if (body instanceof XmlBody && !Array.isArray(records) && typeof records === 'object') return [records];
    if (!Array.isArray(records)) {
      throw new PaginationError(
        `${this.meta.id} ${entity}: expected an array of records at "${config.recordsPath}", got ${typeof records}`,
        { platformId: this.meta.id, entity },
      );
    }
    return records;
  }

  #itemPath(entity: string, config: EntityConfig, id: string): string {
    if (typeof id !== 'string' || id === '') {
      throw new AdapterError(`${this.meta.id} ${entity}: id must be a non-empty string`, { platformId: this.meta.id });
    }
    // The default item path goes before any query string the list path carries (`/transfers?profile={p}`).
    const [listPath, listQuery] = config.path.split('?', 2) as [string, string | undefined];
    const itemPath = config.itemPath ?? `${listPath}/{id}${listQuery === undefined ? '' : `?${listQuery}`}`;
    return resolvePath(itemPath, this.meta, this.#connectionConfig, { id });
  }

  #writable(entity: string, operation: WriteOperation): EntityConfig {
    const config = this.entityConfig(entity);
    if (!config.write.includes(operation)) {
      const allowed = config.write.length > 0 ? `it allows: ${config.write.join(', ')}` : 'it is read-only';
      throw new AdapterError(`${this.meta.id}: "${operation}" is not supported for entity "${entity}"; ${allowed}`, {
        platformId: this.meta.id,
      });
    }
    return config;
  }

  /** A request on one subscription (`itemPath`): `true` when it answered, `false` when it is gone (404, 410). */
  async #webhookSubscriptionRequest(method: 'GET' | 'DELETE', id: string): Promise<boolean> {
    const registration = this.#webhookRegistration();
    try {
      await this.http.request({
        method,
        url: resolvePath(registration.itemPath, this.meta, this.#connectionConfig, { webhookId: id }),
      });
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 410)) return false;
      throw error;
    }
  }

  #webhookRegistration(): ApiWebhookRegistration {
    const webhooks = this.meta.webhooks;
    if (webhooks.scheme === 'none' || webhooks.registration.kind !== 'api') {
      throw new AdapterError(
        `${this.meta.id}: webhooks cannot be subscribed through the API (${webhooks.scheme === 'none' ? webhooks.reason : 'they are set up in the dashboard'})`,
        { platformId: this.meta.id },
      );
    }
    return webhooks.registration;
  }

  /** The caller's idempotency key in the platform's header (where it has one), and the abort signal. */
  #writeOptions(options: WriteOptions): Pick<HttpRequest, 'headers' | 'signal'> {
    const header = this.meta.retry.idempotencyHeader;
    return {
      ...(header && options.idempotencyKey ? { headers: { [header]: options.idempotencyKey } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  #writeBody(config: EntityConfig, body: Record<string, unknown>): Pick<HttpRequest, 'json' | 'form'> {
    const wrapped = config.writeBody.wrapIn ? { [config.writeBody.wrapIn]: body } : body;
    switch (config.writeBody.encoding) {
      case 'form':
        return { form: wrapped };
      case 'form-json-values':
        return { form: encodeFormJsonValues(wrapped) };
      case 'json':
        return { json: wrapped };
    }
  }
}

/** The private-network guard for a URL template whose host comes from connection config; none for a fixed host. */
function tenantHostGuard(
  meta: PlatformMeta,
  template: string,
  options: { allowPrivateNetwork?: boolean | readonly string[] | undefined },
): PrivateNetworkGuard | undefined {
  const [variable] = hostVariables(template);
  if (variable === undefined) return undefined;
  return new PrivateNetworkGuard({
    platformId: meta.id,
    field: `connectionConfig.${variable}`,
    allow: options.allowPrivateNetwork,
  });
}

/** The entries of an object whose value is not `undefined` (so a partial override cannot unset a default). */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Records per page to ask for: the caller's size (or the platform default), clamped to `maxLimit` and `limit`. */
function pageSizeFor(
  pagination: PaginationConfig,
  requested: number | undefined,
  limit: number | undefined,
): number | undefined {
  if (pagination.kind === 'none' || !pagination.limitParam) return undefined;
  let size = requested ?? pagination.defaultLimit;
  if (size === undefined && limit !== undefined) size = pagination.maxLimit ?? limit;
  if (size === undefined) return undefined;
  size = Math.max(1, Math.floor(size));
  if (pagination.maxLimit !== undefined) size = Math.min(size, pagination.maxLimit);
  if (limit !== undefined && limit > 0) size = Math.min(size, limit);
  return size;
}
