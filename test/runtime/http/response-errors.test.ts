import { afterEach, describe, expect, it } from 'vitest';
import { encodeFormJsonValues } from '../../../src/runtime/form-encoder.js';
import { HttpClient, type HttpClientOptions } from '../../../src/runtime/http/http-client.js';
import {
  ApiError,
  AuthenticationError,
  ConnectionError,
  PermissionDeniedError,
  RateLimitError,
  type RetryConfig,
} from '../../../src/runtime/index.js';
import { type Handler, json, type LoopbackServer, startServer } from '../support/loopback-server.js';

const retry: RetryConfig = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 2,
  maxRetryAfterMs: 1000,
  statusCodes: [429, 503],
};

let server: LoopbackServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

async function setup(handler: Handler, options: Partial<HttpClientOptions> = {}) {
  server = await startServer(handler);
  client = new HttpClient({ platformId: 'acme', baseUrl: server.url, retry, sleep: async () => {}, ...options });
  return client;
}

// Slack's Web API answers HTTP 200 with { ok: false, error }; the Graph API answers 400 with { error: { code } }.
const slack: HttpClientOptions['errorBody'] = {
  when: { path: 'ok', equals: false },
  messagePath: 'error',
  codePath: 'error',
  codes: {
    authentication: ['invalid_auth', 'not_authed'],
    permission: ['missing_scope'],
    notFound: ['channel_not_found'],
    rateLimited: ['ratelimited'],
  },
};
const graph: HttpClientOptions['errorBody'] = {
  when: { path: 'error' },
  messagePath: 'error.message',
  codePath: 'error.code',
  codes: { authentication: ['190'], permission: ['10', '200'], notFound: [], rateLimited: ['4', '17', '613', '80004'] },
};

describe('errors a platform reports in the body', () => {
  it.each([
    [
      'a 2xx ok:false with an auth code is an AuthenticationError',
      slack,
      200,
      { ok: false, error: 'invalid_auth' },
      AuthenticationError,
      401,
    ],
    [
      'a 2xx ok:false with a scope code is a PermissionDeniedError',
      slack,
      200,
      { ok: false, error: 'missing_scope' },
      PermissionDeniedError,
      403,
    ],
    [
      'a 2xx ok:false with an unknown code is an ApiError',
      slack,
      200,
      { ok: false, error: 'is_archived' },
      ApiError,
      200,
    ],
    [
      'a 400 with Graph code 190 is an AuthenticationError',
      graph,
      400,
      { error: { code: 190, message: 'Invalid OAuth access token' } },
      AuthenticationError,
      401,
    ],
    [
      'a 400 with an unmapped Graph code keeps its status',
      graph,
      400,
      { error: { code: 100, message: 'Invalid parameter' } },
      ApiError,
      400,
    ],
  ] as const)('%s', async (_name, config, status, body, errorClass, wantStatus) => {
    const c = await setup((_req, res) => json(res, status, body), { errorBody: config });
    const error = await c.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as ApiError).status).toBe(wantStatus);
  });

  it('returns a 2xx with ok:true as is', async () => {
    const c = await setup((_req, res) => json(res, 200, { ok: true, channels: [] }), { errorBody: slack });
    expect((await c.request({ method: 'GET', url: '/x' })).body).toEqual({ ok: true, channels: [] });
  });

  it('retries a Graph throttling code (400, code 17) as a rate limit', async () => {
    let n = 0;
    const c = await setup(
      (_req, res) =>
        ++n === 1
          ? json(res, 400, { error: { code: 17, message: 'User request limit reached' } })
          : json(res, 200, { data: [] }),
      { errorBody: graph },
    );
    expect((await c.request({ method: 'GET', url: '/x' })).body).toEqual({ data: [] });
    expect(n).toBe(2);
  });

  it('surfaces a throttling code that persists as a RateLimitError', async () => {
    const c = await setup(
      (_req, res) => json(res, 400, { error: { code: 17, message: 'User request limit reached' } }),
      {
        errorBody: graph,
      },
    );
    await expect(c.request({ method: 'GET', url: '/x' })).rejects.toBeInstanceOf(RateLimitError);
  });
});

describe('unreadable responses', () => {
  it('retries a 2xx whose JSON is cut off, then succeeds', async () => {
    let n = 0;
    const c = await setup((_req, res) => {
      if (++n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":[{"id":1},');
      } else json(res, 200, { data: [{ id: 1 }] });
    });
    expect((await c.request({ method: 'GET', url: '/x' })).body).toEqual({ data: [{ id: 1 }] });
    expect(n).toBe(2);
  });

  it('fails with a ConnectionError when the JSON stays malformed, never an empty page', async () => {
    const c = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":');
    });
    const error = await c.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('EBADRESPONSE');
  });

  it('parses XML list results (S3) into elements with text values', async () => {
    const c = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Contents><Key>a.txt</Key><Size>0012</Size></Contents></ListBucketResult>',
      );
    });
    const body = (await c.request({ method: 'GET', url: '/b' })).body as Record<string, unknown>;
    expect(body.ListBucketResult).toEqual({ Name: 'b', Contents: { Key: 'a.txt', Size: '0012' } });
  });
});

describe('form bodies with JSON values (Graph API)', () => {
  it('sends objects and arrays as JSON text and scalars as they are', () => {
    expect(
      encodeFormJsonValues({
        name: 'Spring',
        special_ad_categories: [],
        targeting: { geo: ['US'] },
        n: 1,
        x: undefined,
      }),
    ).toBe('name=Spring&special_ad_categories=%5B%5D&targeting=%7B%22geo%22%3A%5B%22US%22%5D%7D&n=1');
  });
});

describe('retry delays in error bodies, where the config says they are', () => {
  const retryInfo = (delay: string) => ({
    error: {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay }],
    },
  });
  const quotaErrorDetails = (delay: string) => ({
    error: {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure',
          errors: [
            {
              errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
              details: { quotaErrorDetails: { retryDelay: delay } },
            },
          ],
        },
      ],
    },
  });
  const cases: Array<
    [string, { body: unknown; headers?: Record<string, string>; bodyDelayPaths?: string[]; want: number[] }]
  > = [
    [
      "Google's RetryInfo at the configured path is waited for",
      { body: retryInfo('0.5s'), bodyDelayPaths: ['error.details.*.retryDelay'], want: [500] },
    ],
    [
      "Google Ads' QuotaErrorDetails at the configured nested path is waited for",
      {
        body: quotaErrorDetails('1s'),
        bodyDelayPaths: ['error.details.*.retryDelay', 'error.details.*.errors.*.details.quotaErrorDetails.retryDelay'],
        want: [1000],
      },
    ],
    [
      'a custom path from config is read (a platform other than Google)',
      { body: { fault: { waitFor: '0.25s' } }, bodyDelayPaths: ['fault.waitFor'], want: [250] },
    ],
    ['without configured paths the body is not read: the backoff applies', { body: retryInfo('0.5s'), want: [0] }],
    [
      'a Retry-After header wins over the body',
      {
        body: retryInfo('0.5s'),
        headers: { 'retry-after': '0.1' },
        bodyDelayPaths: ['error.details.*.retryDelay'],
        want: [100],
      },
    ],
  ];

  it.each(cases)('%s', async (_name, { body, headers, bodyDelayPaths, want }) => {
    const waits: number[] = [];
    let n = 0;
    const c = await setup(
      (_req, res) => (++n === 1 ? json(res, 429, body, headers) : json(res, 200, { results: [] })),
      {
        retry: { ...retry, ...(bodyDelayPaths ? { bodyDelayPaths } : {}) },
        random: () => 0,
        sleep: async (ms: number) => {
          waits.push(ms);
        },
      },
    );
    expect((await c.request({ method: 'GET', url: '/x' })).body).toEqual({ results: [] });
    expect(waits).toEqual(want);
  });
});

describe('platform request ids, from the headers the config names', () => {
  const cases: Array<[string, { headers: Record<string, string>; requestIdHeaders?: string[]; want?: string }]> = [
    ['the standard Request-Id without config', { headers: { 'request-id': 'req_1' }, want: 'req_1' }],
    ['the standard X-Request-Id without config', { headers: { 'x-request-id': 'xr_1' }, want: 'xr_1' }],
    [
      "a vendor's header declared in its config",
      { headers: { 'x-github-request-id': 'ABCD:1234' }, requestIdHeaders: ['X-GitHub-Request-Id'], want: 'ABCD:1234' },
    ],
    [
      'the configured header wins over a standard one',
      {
        headers: { 'x-request-id': 'generic', 'x-amzn-requestid': 'amzn-1' },
        requestIdHeaders: ['x-amzn-RequestId'],
        want: 'amzn-1',
      },
    ],
    [
      "a vendor's header the config does not name is not read",
      { headers: { 'x-amzn-requestid': 'amzn-1' }, want: undefined },
    ],
  ];

  it.each(cases)('%s', async (_name, { headers, requestIdHeaders, want }) => {
    const c = await setup((_req, res) => json(res, 404, { message: 'gone' }, headers), { requestIdHeaders });
    const error = await c.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect((error as ApiError).requestId).toBe(want);
  });
});
