import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../../src/runtime/errors.js';
import {
  AdapterError,
  ApiError,
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  NotFoundError,
  PaginationError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/runtime/index.js';

describe('errorFromResponse', () => {
  const table: Array<[number, Function, string]> = [
    [400, ApiError, 'ApiError'],
    [401, AuthenticationError, 'AuthenticationError'],
    [403, PermissionDeniedError, 'PermissionDeniedError'],
    [404, NotFoundError, 'NotFoundError'],
    [409, ApiError, 'ApiError'],
    [429, RateLimitError, 'RateLimitError'],
    [500, ServerError, 'ServerError'],
    [503, ServerError, 'ServerError'],
  ];
  it.each(table)('maps status %i to its class', (status, ErrorClass, name) => {
    const error = errorFromResponse({ platformId: 'acme', status, body: { error: { message: 'nope' } } });
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error.name).toBe(name);
    expect(error.status).toBe(status);
    expect(error.platformId).toBe('acme');
    expect(error.message).toContain('nope');
  });

  it('reads retryAfterMs of a 429 from retry-after seconds', () => {
    const error = errorFromResponse({ platformId: 'acme', status: 429, headers: { 'retry-after': '3' } });
    expect((error as RateLimitError).retryAfterMs).toBe(3000);
  });

  it('maps a platform rate-limit status to RateLimitError only when the response says so', () => {
    const limited = errorFromResponse({
      platformId: 'gh',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0' },
      rateLimitStatuses: [403, 429],
      remainingHeader: 'X-RateLimit-Remaining',
    });
    const denied = errorFromResponse({
      platformId: 'gh',
      status: 403,
      headers: { 'x-ratelimit-remaining': '12' },
      rateLimitStatuses: [403, 429],
      remainingHeader: 'X-RateLimit-Remaining',
    });
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(denied).toBeInstanceOf(PermissionDeniedError);
  });

  it('keeps the platform request id and carries the cause', () => {
    const cause = new Error('root');
    const error = errorFromResponse({ platformId: 'acme', status: 500, requestId: 'req_42', cause });
    expect(error.requestId).toBe('req_42');
    expect(error.message).toContain('req_42');
    expect(error.cause).toBe(cause);
  });

  it('never shows a secret in its message, headers, body or JSON', () => {
    const secret = 'sk_live_SUPERSECRET123';
    const error = errorFromResponse({
      platformId: 'acme',
      status: 401,
      method: 'GET',
      url: `https://user:pw@api.acme.test/v1/me?api_key=${secret}&access_token=tok_abcdef&after=c2`,
      headers: { authorization: `Bearer ${secret}`, 'set-cookie': 'sid=abc', 'x-echo': `key ${secret}` },
      body: { error: { message: `Invalid API key provided: ${secret}` }, access_token: 'tok_abcdef' },
      redaction: { secrets: [secret, 'tok_abcdef'] },
    });
    const everything = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('tok_abcdef');
    expect(everything).not.toContain('user:pw');
    expect(everything).not.toContain('sid=abc');
    expect(error.url).toContain('after=c2');
    expect(error.headers.authorization).toBe('[REDACTED]');
  });
});

describe('other errors', () => {
  it.each([
    [
      'ConnectionError',
      new ConnectionError({ platformId: 'acme', message: 'connection failed', code: 'ECONNREFUSED' }),
    ],
    ['TimeoutError', new TimeoutError({ platformId: 'acme', message: 'no answer', timeoutMs: 5 })],
    ['PaginationError', new PaginationError('loop', { platformId: 'acme', entity: 'customers' })],
    ['ConfigurationError', new ConfigurationError('missing', { field: 'credentials.apiKey' })],
  ] as const)('%s sets its name and is an AdapterError', (name, error) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toBeInstanceOf(Error);
  });

  it('TimeoutError is a ConnectionError with code ETIMEDOUT', () => {
    const error = new TimeoutError({ platformId: 'acme', message: 'no answer' });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe('ETIMEDOUT');
  });

  it('ConnectionError redacts the URL it keeps', () => {
    const error = new ConnectionError({
      platformId: 'acme',
      message: 'refused',
      method: 'GET',
      url: 'https://a.test/x?api_key=k_123456',
    });
    expect(JSON.stringify(error)).not.toContain('k_123456');
    expect(error.message).not.toContain('k_123456');
  });
});
