/**
 * Typed errors of the runtime.
 *
 * ```
 * AdapterError
 * ├── ApiError { platformId, status, headers, body, requestId }
 * │   ├── AuthenticationError 401   ├── PermissionDeniedError 403   ├── NotFoundError 404
 * │   ├── RateLimitError 429 { retryAfterMs }                        └── ServerError ≥ 500
 * ├── ConnectionError ── TimeoutError
 * ├── ResponseBodyError { reason: too-large | too-deep | unparseable }
 * ├── PaginationError
 * └── ConfigurationError { field } ── PrivateNetworkError { host, address, range }
 * ```
 *
 * Every error sets `name`, carries `cause` when there is one, and keeps only redacted headers, URLs and bodies:
 * credentials never reach a message, `toJSON()` or a log line.
 */
import { type HeaderMap, headerValue, parseRetryAfterMs } from './retry/retry-after.js';
import { type RedactionOptions, redactHeaders, redactString, redactUrl, redactValue } from './secret-redaction.js';

export interface AdapterErrorOptions {
  cause?: unknown;
  platformId?: string;
}

/** The root of every error the runtime throws on purpose. */
export class AdapterError extends Error {
  override readonly name: string = 'AdapterError';
  readonly platformId: string | undefined;

  constructor(message: string, options: AdapterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.platformId = options.platformId;
  }

  /** A plain, secret-free description (no stack, no cause). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, platformId: this.platformId };
  }
}

export interface ApiErrorInit {
  platformId: string;
  status: number;
  headers?: HeaderMap | undefined;
  body?: unknown;
  /** The platform's own request id (from `request-id`, `x-request-id`, …). */
  requestId?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  /** Replaces the generated message. */
  message?: string | undefined;
  cause?: unknown;
  /** Names and secret values to remove from everything the error keeps. */
  redaction?: RedactionOptions | undefined;
}

const MAX_DETAIL = 300;

/** A short human-readable reason from a typical API error body. */
export function describeErrorBody(body: unknown): string | undefined {
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  let text: string | undefined;
  if (typeof body === 'string') {
    text = pick(body);
  } else if (Array.isArray(body)) {
    text = describeErrorBody(body[0]);
  } else if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const error = b.error;
    const nested = error !== null && typeof error === 'object' ? (error as Record<string, unknown>) : undefined;
    const errors = Array.isArray(b.errors) ? b.errors : undefined;
    text =
      pick(nested?.message) ??
      pick(b.message) ??
      pick(b.error_description) ??
      pick(b.errorMessage) ??
      pick(b.detail) ??
      pick(b.title) ??
      pick(error) ??
      (errors ? describeErrorBody(errors[0]) : undefined) ??
      pick(b.errors);
  }
  if (text === undefined) return undefined;
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL)}…` : oneLine;
}

/** The platform answered with a status that is not a success. */
export class ApiError extends AdapterError {
  override readonly name: string = 'ApiError';
  override readonly platformId: string;
  readonly status: number;
  /** Response headers, with credential-bearing ones redacted. */
  readonly headers: Record<string, string | string[]>;
  /** Response body (parsed JSON or text), with secret values redacted. */
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  /** The request URL, redacted. */
  readonly url: string | undefined;

  constructor(init: ApiErrorInit) {
    const r = init.redaction ?? {};
    const url = init.url === undefined ? undefined : redactUrl(init.url, r);
    const detail = describeErrorBody(init.body);
    const generated =
      `${init.platformId} answered ${init.status}` +
      (init.method && url ? ` to ${init.method} ${url}` : '') +
      (detail ? `: ${detail}` : '') +
      (init.requestId ? ` (request id ${init.requestId})` : '');
    super(redactString(init.message ?? generated, r.secrets), { cause: init.cause, platformId: init.platformId });
    this.platformId = init.platformId;
    this.status = init.status;
    this.headers = redactHeaders(init.headers, r);
    this.body = redactValue(init.body, r);
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = url;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      method: this.method,
      url: this.url,
      requestId: this.requestId,
      headers: this.headers,
      body: this.body,
    };
  }
}

/** 401: the credentials were refused (expired, revoked, wrong). */
export class AuthenticationError extends ApiError {
  override readonly name: string = 'AuthenticationError';
}

/** 403: the credentials are valid but lack a scope or permission. */
export class PermissionDeniedError extends ApiError {
  override readonly name: string = 'PermissionDeniedError';
}

/** 404. */
export class NotFoundError extends ApiError {
  override readonly name: string = 'NotFoundError';
}

/** 429 (or a platform's own rate-limit status): `retryAfterMs` is the wait the platform asked for, when it said. */
export class RateLimitError extends ApiError {
  override readonly name: string = 'RateLimitError';
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit & { retryAfterMs?: number | undefined }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs ?? parseRetryAfterMs(init.headers);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** 5xx: the platform failed. */
export class ServerError extends ApiError {
  override readonly name: string = 'ServerError';
}

export interface ConnectionErrorInit {
  platformId: string;
  message: string;
  method?: string | undefined;
  url?: string | undefined;
  /** The system error code, e.g. `ECONNREFUSED`. */
  code?: string | undefined;
  cause?: unknown;
  redaction?: RedactionOptions | undefined;
}

/** No usable answer: refused, reset, DNS failure, TLS failure. */
export class ConnectionError extends AdapterError {
  override readonly name: string = 'ConnectionError';
  override readonly platformId: string;
  readonly code: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(init: ConnectionErrorInit) {
    const r = init.redaction ?? {};
    const url = init.url === undefined ? undefined : redactUrl(init.url, r);
    const where = init.method && url ? ` (${init.method} ${url})` : '';
    super(redactString(`${init.platformId}: ${init.message}${where}`, r.secrets), {
      cause: init.cause,
      platformId: init.platformId,
    });
    this.platformId = init.platformId;
    this.code = init.code;
    this.method = init.method;
    this.url = url;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code, method: this.method, url: this.url };
  }
}

/** The platform did not answer within the timeout. */
export class TimeoutError extends ConnectionError {
  override readonly name: string = 'TimeoutError';
  readonly timeoutMs: number | undefined;

  constructor(init: ConnectionErrorInit & { timeoutMs?: number | undefined }) {
    super({ code: 'ETIMEDOUT', ...init });
    this.timeoutMs = init.timeoutMs;
  }
}

/** Pages that cannot be followed: a repeated cursor, a loop, a next link to another host, a malformed page. */
export class PaginationError extends AdapterError {
  override readonly name: string = 'PaginationError';
  readonly entity: string | undefined;

  constructor(message: string, options: AdapterErrorOptions & { entity?: string | undefined } = {}) {
    super(message, options);
    this.entity = options.entity;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), entity: this.entity };
  }
}

/**
 * Bad connection config or credentials. `field` names what is wrong (`credentials.apiKey`,
 * `connectionConfig.shop`); the message never repeats a credential's value.
 */
export class ConfigurationError extends AdapterError {
  override readonly name: string = 'ConfigurationError';
  readonly field: string;

  constructor(message: string, options: AdapterErrorOptions & { field: string }) {
    super(message, options);
    this.field = options.field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

/**
 * A host from connection config that is (or resolves to) a loopback, private, link-local, metadata or other
 * non-public address, refused before any byte is sent. `field` names the connection field the host came from.
 */
export class PrivateNetworkError extends ConfigurationError {
  override readonly name: string = 'PrivateNetworkError';
  readonly host: string;
  /** The refused address, when the host is a name that resolved to it. */
  readonly address: string | undefined;
  /** What the address is: `loopback`, `private`, `linkLocal`, `metadata`, … (ipaddr.js range names). */
  readonly range: string;

  constructor(
    message: string,
    options: AdapterErrorOptions & { field: string; host: string; address: string | undefined; range: string },
  ) {
    super(message, options);
    this.host = options.host;
    this.address = options.address;
    this.range = options.range;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), host: this.host, address: this.address, range: this.range };
  }
}

export type ResponseBodyProblem = 'too-large' | 'too-deep' | 'unparseable';

export interface ResponseBodyErrorInit {
  platformId: string;
  reason: ResponseBodyProblem;
  message: string;
  status?: number | undefined;
  method?: string | undefined;
  url?: string | undefined;
  /** The cap that was exceeded (bytes for `too-large`, nesting levels for `too-deep`). */
  limit?: number | undefined;
  cause?: unknown;
  redaction?: RedactionOptions | undefined;
}

/**
 * A response body the runtime will not read or hand on: larger than the adapter's `maxResponseBytes` (refused while
 * streaming, so it is never held whole), nested deeper than any real API nests, or not parseable as the format it
 * claims (an XML element named `__proto__`).
 */
export class ResponseBodyError extends AdapterError {
  override readonly name: string = 'ResponseBodyError';
  override readonly platformId: string;
  readonly reason: ResponseBodyProblem;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly limit: number | undefined;

  constructor(init: ResponseBodyErrorInit) {
    const r = init.redaction ?? {};
    const url = init.url === undefined ? undefined : redactUrl(init.url, r);
    const where = init.method && url ? ` (${init.method} ${url}${init.status ? `, ${init.status}` : ''})` : '';
    super(redactString(`${init.platformId}: ${init.message}${where}`, r.secrets), {
      cause: init.cause,
      platformId: init.platformId,
    });
    this.platformId = init.platformId;
    this.reason = init.reason;
    this.status = init.status;
    this.method = init.method;
    this.url = url;
    this.limit = init.limit;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      reason: this.reason,
      status: this.status,
      method: this.method,
      url: this.url,
      limit: this.limit,
    };
  }
}

export type ApiErrorClass = new (init: ApiErrorInit) => ApiError;

/** Status → error class; statuses not listed map to `ServerError` (≥ 500) or `ApiError`. */
export const API_ERROR_BY_STATUS: Readonly<Record<number, ApiErrorClass>> = Object.freeze({
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  429: RateLimitError,
});

/** The error class for a status. */
export function apiErrorClassFor(status: number): ApiErrorClass {
  return API_ERROR_BY_STATUS[status] ?? (status >= 500 ? ServerError : ApiError);
}

export interface ErrorFromResponseInit extends ApiErrorInit {
  /** Other statuses the platform uses for rate limiting (e.g. 403 with a Retry-After); see `rateLimit.statusCodes`. */
  rateLimitStatuses?: readonly number[] | undefined;
  /** Header whose `0` marks an exhausted budget (e.g. `X-RateLimit-Remaining`). */
  remainingHeader?: string | undefined;
  /** A platform-specific wait header, in seconds. */
  retryAfterHeader?: string | undefined;
}

/**
 * The typed error for a non-success response.
 *
 * A status in `rateLimitStatuses` other than 429 becomes a `RateLimitError` only when the response also says so
 * (a retry-after, or a remaining budget of 0): a 403 is otherwise a permission problem.
 *
 * @example
 * const error = errorFromResponse({ platformId: 'stripe', status: 429, headers: { 'retry-after': '2' }, body: {} });
 * error instanceof RateLimitError; // true
 * (error as RateLimitError).retryAfterMs; // 2000
 */
export function errorFromResponse(init: ErrorFromResponseInit): ApiError {
  const { rateLimitStatuses, remainingHeader, retryAfterHeader, ...rest } = init;
  const retryAfterMs = parseRetryAfterMs(init.headers, { header: retryAfterHeader });
  if (init.status !== 429 && rateLimitStatuses?.includes(init.status)) {
    const remaining = remainingHeader ? headerValue(init.headers, remainingHeader) : undefined;
    if (retryAfterMs !== undefined || remaining?.trim() === '0') return new RateLimitError({ ...rest, retryAfterMs });
  }
  if (init.status === 429) return new RateLimitError({ ...rest, retryAfterMs });
  const ErrorClass = apiErrorClassFor(init.status);
  return new ErrorClass(rest);
}
