/**
 * The one way an adapter talks HTTP: a got 14 instance per adapter with keep-alive agents, a timeout, a cap on
 * requests in flight, credentials applied per attempt, our own retry loop (got's is off), typed errors for every
 * non-success status, and pino logs in which no credential appears.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import got, { type Got, RequestError, type Response } from 'got';
import { type Logger, pino } from 'pino';
import type { AuthStrategy, AuthTarget, RequestDecorator } from '../auth/auth-strategy.js';
import {
  AdapterError,
  type ApiError,
  ConnectionError,
  errorFromResponse,
  PrivateNetworkError,
  ResponseBodyError,
  TimeoutError,
} from '../errors.js';
import { encodeForm } from '../form-encoder.js';
import type { RetryConfig } from '../platform-schema.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { abortableSleep, type SleepFunction } from '../retry/abortable-sleep.js';
import { bodyRetryDelayMs } from '../retry/body-retry-delay.js';
import { headerValue } from '../retry/retry-after.js';
import { decideRetry, isIdempotentMethod, type RetryInput } from '../retry/retry-policy.js';
import { type RedactionOptions, redactString, redactUrl, sentSecrets } from '../secret-redaction.js';
import { detectBodyError, type ErrorBodyConfig } from './body-error.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';
import type { PrivateNetworkGuard } from './private-network-guard.js';
import { capResponseSize } from './response-size-cap.js';
import { parseXmlBody } from './xml-body.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export type QueryValues = Readonly<Record<string, string | number | boolean | undefined>>;

export interface HttpRequest {
  method: HttpMethod;
  /** A path relative to the base URL (`/v1/customers`), or an absolute URL (next-page links, token endpoints). */
  url: string;
  /** Added to (and replacing same-named parameters of) the URL's query. */
  query?: QueryValues | URLSearchParams | undefined;
  /** A JSON body. */
  json?: unknown;
  /** A form body: an object (encoded with Stripe-style brackets) or an already encoded string. */
  form?: Readonly<Record<string, unknown>> | string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  signal?: AbortSignal | undefined;
  /** Marks a POST that only reads (search endpoints) as safe to retry. */
  idempotent?: boolean | undefined;
  /**
   * `false` sends neither credentials nor platform headers, and allows another origin (token endpoints).
   * Default `true`: authenticated requests only ever go to the base URL's origin.
   */
  authenticate?: boolean | undefined;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON; the text when the body is not JSON; `undefined` when empty. */
  body: T;
  /** The requested URL without credentials added by auth (what paginators resolve relative links against). */
  url: string;
  /** Our id for the request, in every log line about it. */
  requestId: string;
  /** The platform's id for it (`request-id`, `x-request-id`, …), when it sent one. */
  platformRequestId: string | undefined;
  /** Attempts made, including the successful one. */
  attempts: number;
}

/**
 * The standard response headers that carry a platform's request id, looked for after the platform's own
 * (`requestIdHeaders` in its config).
 */
export const STANDARD_REQUEST_ID_HEADERS: readonly string[] = ['request-id', 'x-request-id'];

export interface HttpClientOptions {
  platformId: string;
  /** Absolute base URL without a trailing slash; authenticated requests stay on its origin. */
  baseUrl: string;
  retry: RetryConfig;
  /** Per-attempt timeout, ms. Default 30 000. */
  timeoutMs?: number | undefined;
  /** Requests in flight at once. Default 100. */
  maxConcurrency?: number | undefined;
  auth?: AuthStrategy | undefined;
  /** The platform's static headers (applied before auth). */
  platformHeaders?: RequestDecorator | undefined;
  /** Used as given (bind `platform` yourself; the base adapter does). Default: a silent pino logger. */
  logger?: Logger | undefined;
  /** Waits between attempts; injected in tests. */
  sleep?: SleepFunction | undefined;
  /** Jitter source in [0, 1); injected in tests. */
  random?: (() => number) | undefined;
  /** Current secret values (credentials, client secret) to scrub from errors and logs. */
  secrets?: (() => readonly string[]) | undefined;
  /** More header/query names whose values are secret. */
  sensitiveNames?: readonly string[] | undefined;
  /** From the platform's `rateLimit`: statuses, and headers that mark a rate-limit answer. */
  rateLimit?:
    | { statusCodes?: readonly number[]; remainingHeader?: string | undefined; retryAfterHeader?: string | undefined }
    | undefined;
  /** The platform's own request-id headers (`requestIdHeaders` in its config), looked for before the standard ones. */
  requestIdHeaders?: readonly string[] | undefined;
  userAgent?: string | undefined;
  /**
   * Budget for requests to the base URL's origin: every attempt (first tries, retries, pages) waits in
   * `acquire` before it is sent, and every response is passed to `observe`. Unauthenticated requests
   * (token endpoints) are not counted. Default: none.
   */
  rateLimiter?: RateLimiter | undefined;
  /** How the platform reports errors in response bodies (`errorBody` in its config). */
  errorBody?: ErrorBodyConfig | undefined;
  /**
   * Refuses private-network addresses for a host that came from connection config: IP literals before the
   * request, resolved addresses inside the socket's DNS lookup. Default: none (the base URL is trusted).
   */
  hostGuard?: PrivateNetworkGuard | undefined;
  /**
   * The largest response body read, in bytes (after decompression); a larger one is refused while it streams in,
   * with a `ResponseBodyError`. Default 25 MiB.
   */
  maxResponseBytes?: number | undefined;
  /**
   * Told about every attempt once its outcome is known (metrics: the sync engine counts requests, retries, 429s and
   * latency per run). Must not throw; an exception is logged and ignored.
   */
  onAttempt?: ((attempt: AttemptEvent) => void) | undefined;
}

/** One attempt as {@link HttpClientOptions.onAttempt} sees it: never a URL, header or body. */
export interface AttemptEvent {
  method: HttpMethod;
  /** The response status; `undefined` when the attempt failed on the network (reset, timeout). */
  status: number | undefined;
  /** 1 for the first attempt of a request, 2 for its first retry… */
  attempt: number;
  durationMs: number;
  /** Answered as rate limited (429 or one of the platform's rate-limit statuses). */
  rateLimited: boolean;
}

type Outcome =
  | { kind: 'response'; response: Response<string> }
  | { kind: 'error'; error: RequestError }
  | { kind: 'too-large'; status: number | undefined };

/** One request across its attempts. */
interface Sending {
  req: HttpRequest;
  requestId: string;
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  authenticate: boolean;
  /** Credentials renewal after a 401 was asked for (it is, at most once a request). */
  recovered: boolean;
}

type LogFields = Record<string, unknown>;

/** What one attempt came to. */
type AttemptResult<T> =
  | { kind: 'ok'; response: HttpResponse<T> }
  | { kind: 'renewed' }
  | {
      kind: 'failed';
      /** Thrown when the request is not tried again. */
      error: Error;
      /** What the retry policy is told about the failure. */
      retry: Pick<RetryInput, 'status' | 'error' | 'headers' | 'retryAfterHeader'>;
      /** The warning logged before a retry, with its fields (the attempt and delay are added). */
      message: string;
      log: LogFields;
      /** Whether the warning names the policy's reason. */
      withReason?: boolean;
      /** Fields of a debug line logged when giving up, if one is. */
      gaveUp?: LogFields;
    };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONCURRENCY = 100;
/** Default cap on a response body: 25 MiB, far above any page of records, far below what would hurt a worker. */
export const DEFAULT_MAX_RESPONSE_BYTES = 25 * 1024 * 1024;

/**
 * @example
 * const client = new HttpClient({ platformId: 'stripe', baseUrl: 'https://api.stripe.com/v1', retry, auth });
 * const { body } = await client.request({ method: 'GET', url: '/customers', query: { limit: 10 } });
 * await client.close();
 */
export class HttpClient {
  readonly platformId: string;
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #options: HttpClientOptions;
  readonly #got: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #limiter: ConcurrencyLimiter;
  readonly #log: Logger;
  readonly #sleep: SleepFunction;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  #closed = false;

  constructor(options: HttpClientOptions) {
    this.platformId = options.platformId;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#origin = new URL(this.baseUrl).origin;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#limiter = new ConcurrencyLimiter(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
    this.#log = options.logger ?? pino({ level: 'silent' }).child({ platform: options.platformId });
    this.#sleep = options.sleep ?? abortableSleep;
    this.#agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    this.#got = got.extend({
      agent: this.#agents,
      timeout: { request: this.#timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      ...(options.hostGuard ? { dnsLookup: options.hostGuard.lookup } : {}),
      responseType: 'text',
      // Only same-origin redirects: a redirect elsewhere must not carry credentials (and becomes an ApiError).
      followRedirect: (response) => {
        const location = headerValue(response.headers, 'location');
        if (!location) return false;
        try {
          return new URL(location, response.url).origin === new URL(response.url).origin;
        } catch {
          return false;
        }
      },
      headers: { 'user-agent': options.userAgent ?? 'engarde-runtime', accept: 'application/json' },
    });
  }

  /** Names and values to scrub from anything printed. */
  get redaction(): RedactionOptions {
    return {
      names: [...(this.#options.sensitiveNames ?? []), ...(this.#options.auth?.sensitiveNames ?? [])],
      secrets: this.#options.secrets?.() ?? [],
    };
  }

  /** The absolute URL for a path or URL, with `query` merged in. */
  resolveUrl(path: string, query?: HttpRequest['query']): URL {
    let url: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) url = new URL(path);
    else if (path.startsWith('/')) url = new URL(this.baseUrl + path);
    else
      throw new AdapterError(`${this.platformId}: request path must start with "/" or be absolute`, {
        platformId: this.platformId,
      });
    if (query) {
      const entries = query instanceof URLSearchParams ? [...query.entries()] : Object.entries(query);
      for (const [k, v] of entries) if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  /**
   * Sends a request, retrying per the platform's policy; resolves with a 2xx response.
   *
   * @throws ApiError subclass for a non-2xx answer, `ConnectionError` / `TimeoutError` when none came,
   *   `ConfigurationError` for missing credentials, the signal's reason when aborted.
   */
  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    if (this.#closed)
      throw new AdapterError(`${this.platformId}: the adapter is closed`, { platformId: this.platformId });
    const requestId = randomUUID();
    const method = req.method.toUpperCase() as HttpMethod;
    const authenticate = req.authenticate !== false;
    const url = this.resolveUrl(req.url, req.query);
    if (authenticate && url.origin !== this.#origin) {
      throw new AdapterError(
        `${this.platformId}: refusing to send credentials to ${url.origin}, which is not the base URL's origin`,
        { platformId: this.platformId },
      );
    }
    // A host from connection config that is an IP literal or a metadata name is refused here; a name is checked
    // again on every address it resolves to when the socket connects (see PrivateNetworkGuard).
    this.#options.hostGuard?.checkHostname(url.hostname);

    const headers: Record<string, string> = { ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    } else if (req.form !== undefined) {
      body = typeof req.form === 'string' ? req.form : encodeForm(req.form);
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }

    const idempotencyHeader = this.#options.retry.idempotencyHeader;
    const idempotent = req.idempotent ?? isIdempotentMethod(method);
    let hasIdempotencyKey = false;
    if (idempotencyHeader && !idempotent && authenticate) {
      const existing = Object.keys(headers).find((h) => h.toLowerCase() === idempotencyHeader.toLowerCase());
      if (existing === undefined) headers[idempotencyHeader] = randomUUID();
      hasIdempotencyKey = true;
    }

    const sending: Sending = { req, requestId, method, url, headers, body, authenticate, recovered: false };
    let attempt = 0;
    for (;;) {
      attempt++;
      const result = await this.#attempt<T>(sending, attempt);
      if (result.kind === 'ok') return result.response;
      if (result.kind === 'renewed') {
        // Credentials were renewed after a 401: the same attempt again (once per request), without waiting.
        attempt--;
        continue;
      }

      // The one place that decides whether to try again, says so, and waits.
      const decision = decideRetry({
        ...result.retry,
        attempt,
        method,
        hasIdempotencyKey,
        idempotent,
        config: this.#options.retry,
        random: this.#options.random,
      });
      if (!decision.retry) {
        if (result.gaveUp) this.#log.debug({ ...result.gaveUp, attempt }, 'http request failed');
        throw result.error;
      }
      this.#log.warn(
        {
          ...result.log,
          attempt,
          delayMs: decision.delayMs,
          ...(result.withReason ? { reason: decision.reason } : {}),
        },
        result.message,
      );
      await this.#sleep(decision.delayMs, req.signal);
    }
  }

  /**
   * One attempt, as an outcome: a 2xx response, credentials renewed after a 401 (`renewed`, offered once per
   * request), or a failure with what the retry policy needs to know about it. Errors that are never retried (an
   * oversized body, an unreadable 2xx, the host guard's refusal, an abort) are thrown here.
   */
  async #attempt<T>(sending: Sending, attempt: number): Promise<AttemptResult<T>> {
    const { req, requestId, method, url, body, authenticate } = sending;
    const target: AuthTarget = {
      headers: { ...sending.headers },
      query: new URLSearchParams(url.search),
      method,
      url,
      ...(body === undefined ? {} : { body }),
    };
    if (authenticate) {
      await this.#options.platformHeaders?.apply(target, req.signal);
      // One value per header name, whatever its case: a platform's own `Content-Type` replaces the JSON default
      // rather than travelling beside it (a signature must cover exactly what is sent).
      target.headers = foldHeaderCase(target.headers);
      await this.#options.auth?.apply(target, req.signal);
    }
    const wire = new URL(url);
    if (target.query.toString() !== url.searchParams.toString()) wire.search = target.query.toString();

    // Redacting the URL for logs costs more than the request's own bookkeeping: only when something logs it.
    const debug = this.#log.isLevelEnabled('debug');
    const logUrl = debug || this.#log.isLevelEnabled('warn') ? redactUrl(url.toString(), this.redaction) : '';
    const rateLimiter = authenticate ? this.#options.rateLimiter : undefined;
    await rateLimiter?.acquire(1, req.signal);
    if (debug) this.#log.debug({ requestId, method, url: logUrl, attempt }, 'http request');
    const started = performance.now();
    const outcome = await this.#limiter.run(
      () => this.#send(wire, method, target.headers, body, req.signal),
      req.signal,
    );
    const durationMs = Math.round(performance.now() - started);

    if (outcome.kind === 'too-large') {
      throw new ResponseBodyError({
        platformId: this.platformId,
        reason: 'too-large',
        message: `the response body is larger than ${this.#maxResponseBytes} bytes (maxResponseBytes); it was not read`,
        status: outcome.status,
        method,
        url: url.toString(),
        limit: this.#maxResponseBytes,
        redaction: this.#redactionFor(target),
      });
    }
    if (outcome.kind === 'error') {
      if (req.signal?.aborted) throw req.signal.reason;
      // The host guard's refusal arrives as got's error for a failed DNS lookup: it is final, never retried.
      if (outcome.error.cause instanceof PrivateNetworkError) throw outcome.error.cause;
      this.#report({ method, status: undefined, attempt, durationMs, rateLimited: false });
      const error = this.#connectionError(outcome.error, method, url.toString(), target);
      return {
        kind: 'failed',
        error,
        retry: { error: error instanceof TimeoutError ? 'timeout' : 'connection' },
        message: 'http retry',
        log: { requestId, method, url: logUrl, code: error.code },
        gaveUp: { requestId, method, url: logUrl, code: error.code, durationMs },
      };
    }

    const { response } = outcome;
    const responseHeaders = response.headers as Record<string, string | string[] | undefined>;
    if (this.#options.onAttempt) {
      const statusCode = response.statusCode;
      const rateLimited = statusCode === 429 || (this.#options.rateLimit?.statusCodes ?? []).includes(statusCode);
      this.#report({ method, status: statusCode, attempt, durationMs, rateLimited });
    }
    if (rateLimiter) await this.#observe(rateLimiter, responseHeaders, response.statusCode, requestId);
    const platformRequestId = this.#platformRequestId(responseHeaders);
    const parsed = parseBody(response.body, responseHeaders, method, response.statusCode);
    if (debug) {
      this.#log.debug(
        { requestId, platformRequestId, method, url: logUrl, attempt, status: response.statusCode, durationMs },
        'http response',
      );
    }
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    if (ok && parsed instanceof UnreadableBody) {
      throw new ResponseBodyError({
        platformId: this.platformId,
        reason: parsed.reason,
        message: parsed.message,
        status: response.statusCode,
        method,
        url: url.toString(),
        limit: parsed.reason === 'too-deep' ? MAX_JSON_DEPTH : undefined,
        redaction: this.#redactionFor(target),
      });
    }
    if (ok && parsed instanceof MalformedJson) {
      // A 2xx that claims JSON but does not parse was cut or garbled on the way: retry it like a dropped
      // connection, never hand on a page of nothing (which would end a listing early without an error).
      const error = new ConnectionError({
        platformId: this.platformId,
        code: 'EBADRESPONSE',
        method,
        url: url.toString(),
        message: `${this.platformId}: the response to ${method} ${redactUrl(url.toString(), this.redaction)} is not valid JSON`,
        redaction: this.#redactionFor(target),
      });
      return {
        kind: 'failed',
        error,
        retry: { error: 'connection' },
        message: 'http retry (malformed JSON)',
        log: { requestId, method, url: logUrl },
      };
    }
    // The status the response stands for: platforms that report errors in the body (Slack `ok: false` on a
    // 200, Graph API codes on a 400) say which error it is there.
    const bodyError = detectBodyError(this.#options.errorBody, parsed, ok);
    const status = bodyError?.status ?? response.statusCode;
    if (ok && !bodyError) {
      return {
        kind: 'ok',
        response: {
          status: response.statusCode,
          headers: responseHeaders,
          body: parsed as T,
          url: url.toString(),
          requestId,
          platformRequestId,
          attempts: attempt,
        },
      };
    }

    if (status === 401 && authenticate && !sending.recovered && this.#options.auth?.recover) {
      sending.recovered = true;
      if (await this.#options.auth.recover(target, req.signal)) {
        this.#log.info({ requestId, method, url: logUrl }, 'http credentials renewed after 401');
        return { kind: 'renewed' };
      }
    }

    const error = this.#apiError(
      status,
      responseHeaders,
      parsed instanceof MalformedJson ? parsed.text : parsed instanceof UnreadableBody ? parsed.note : parsed,
      platformRequestId,
      method,
      url.toString(),
      target,
    );
    return {
      kind: 'failed',
      error,
      retry: {
        status,
        headers: this.#withBodyRetryDelay(responseHeaders, parsed),
        retryAfterHeader: this.#options.rateLimit?.retryAfterHeader,
      },
      message: 'http retry',
      log: { requestId, platformRequestId, method, url: logUrl, status: response.statusCode },
      withReason: true,
    };
  }

  #report(event: AttemptEvent): void {
    try {
      this.#options.onAttempt?.(event);
    } catch (error) {
      this.#log.warn({ error: String((error as Error)?.message ?? error) }, 'onAttempt listener failed');
    }
  }

  /** Frees the keep-alive sockets; later requests fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** Reports a response to the rate limiter; a failing store is logged, never fails the request. */
  async #observe(
    rateLimiter: RateLimiter,
    headers: Record<string, string | string[] | undefined>,
    status: number,
    requestId: string,
  ): Promise<void> {
    try {
      await rateLimiter.observe(headers, status);
    } catch (error) {
      this.#log.warn(
        { requestId, status, error: String((error as Error)?.message ?? error) },
        'rate limit observe failed',
      );
    }
  }

  /**
   * One attempt. The body is read only up to `maxResponseBytes` (after decompression): a larger declared
   * `Content-Length`, or more bytes as they stream in, cancels the request without reading further.
   */
  async #send(
    url: URL,
    method: HttpMethod,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Outcome> {
    const pending = this.#got(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(signal ? { signal } : {}),
    });
    const cap = capResponseSize(pending, this.#maxResponseBytes);
    try {
      const response = await pending;
      if (cap.exceeded) return { kind: 'too-large', status: cap.exceeded.status };
      return { kind: 'response', response: response as Response<string> };
    } catch (error) {
      if (cap.exceeded) return { kind: 'too-large', status: cap.exceeded.status };
      if (error instanceof RequestError) return { kind: 'error', error };
      throw error;
    }
  }

  /**
   * What to scrub from an error about one attempt: the client's names and secret values, and every credential
   * the attempt carried as sent (derived values such as a Basic header, an obtained token or a signature), so a
   * server that echoes request headers into its error body cannot leak them.
   */
  #redactionFor(target: AuthTarget): RedactionOptions {
    const base = this.redaction;
    const names = base.names as string[];
    return { names, secrets: [...(base.secrets ?? []), ...sentSecrets(target.headers, target.query, names)] };
  }

  #platformRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
    for (const name of [...(this.#options.requestIdHeaders ?? []), ...STANDARD_REQUEST_ID_HEADERS]) {
      const value = headerValue(headers, name);
      if (value) return value;
    }
    return undefined;
  }

  /**
   * The headers, with the wait an error body states (where the platform's `retry.bodyDelayPaths` say) added as
   * `retry-after-ms` when no header says how long to wait: the retry policy reads it from there.
   */
  #withBodyRetryDelay(
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
  ): Record<string, string | string[] | undefined> {
    const paths = this.#options.retry.bodyDelayPaths;
    if (
      !paths ||
      headerValue(headers, 'retry-after') !== undefined ||
      headerValue(headers, 'retry-after-ms') !== undefined
    ) {
      return headers;
    }
    const delayMs = bodyRetryDelayMs(body, paths);
    return delayMs === undefined ? headers : { ...headers, 'retry-after-ms': String(delayMs) };
  }

  #apiError(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
    requestId: string | undefined,
    method: string,
    url: string,
    target: AuthTarget,
  ): ApiError {
    return errorFromResponse({
      platformId: this.platformId,
      status,
      headers,
      body,
      requestId,
      method,
      url,
      redaction: this.#redactionFor(target),
      rateLimitStatuses: this.#options.rateLimit?.statusCodes,
      remainingHeader: this.#options.rateLimit?.remainingHeader,
      retryAfterHeader: this.#options.rateLimit?.retryAfterHeader,
    });
  }

  /** A `ConnectionError`/`TimeoutError` whose cause is a plain copy of got's error (got's keeps request headers). */
  #connectionError(error: RequestError, method: string, url: string, target: AuthTarget): ConnectionError {
    const redaction = this.#redactionFor(target);
    const cause = Object.assign(new Error(redactString(error.message, redaction.secrets)), {
      name: error.name,
      code: error.code,
    });
    const common = { platformId: this.platformId, method, url, code: error.code, cause, redaction };
    if (error.name === 'TimeoutError' || error.code === 'ETIMEDOUT') {
      return new TimeoutError({
        ...common,
        message: `no answer within ${this.#timeoutMs} ms`,
        timeoutMs: this.#timeoutMs,
      });
    }
    return new ConnectionError({ ...common, message: `connection failed (${error.code}: ${error.message})` });
  }
}

/**
 * The body as a value: parsed JSON or XML, the text, `undefined` when empty; `MalformedJson` for a body that claims
 * JSON and does not parse, `UnreadableBody` for one the runtime refuses to hand on (nested deeper than
 * `MAX_JSON_DEPTH`, where serializing or walking it would overflow the stack; XML the parser refuses).
 */
function parseBody(
  text: string,
  headers: Record<string, string | string[] | undefined>,
  method: string,
  status: number,
): unknown {
  if (method === 'HEAD' || status === 204 || text === '') return undefined;
  const type = headerValue(headers, 'content-type') ?? '';
  const trimmed = text.trimStart();
  if (/[/+]xml\b/i.test(type)) {
    try {
      return parseXmlBody(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 200) : 'unreadable';
      return new UnreadableBody('unparseable', `the XML response body cannot be read safely (${reason})`);
    }
  }
  const declaredJson = /[/+]json\b/i.test(type);
  if (declaredJson || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return declaredJson ? new MalformedJson(text) : text;
    }
    if (exceedsJsonDepth(value, MAX_JSON_DEPTH)) {
      return new UnreadableBody('too-deep', `the JSON response body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    return value;
  }
  return text;
}

/** Headers with one entry per case-insensitive name; a later entry replaces an earlier one. */
function foldHeaderCase(headers: Record<string, string>): Record<string, string> {
  const byLowerName = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(headers)) byLowerName.set(name.toLowerCase(), [name, value]);
  if (byLowerName.size === Object.keys(headers).length) return headers;
  return Object.fromEntries(byLowerName.values());
}

/** A body that says it is JSON and is not; its text is kept for error reports. */
class MalformedJson {
  constructor(readonly text: string) {}
}

/** A body the runtime will not hand on; an error status keeps `note` in place of it. */
class UnreadableBody {
  readonly note: string;
  constructor(
    readonly reason: 'too-deep' | 'unparseable',
    readonly message: string,
  ) {
    this.note = `[response body not kept: ${message.replace(/^the /, '')}]`;
  }
}
