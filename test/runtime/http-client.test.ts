import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthStrategy } from '../../src/runtime/auth/create-auth.js';
import { CredentialStore } from '../../src/runtime/auth/credential-store.js';
import { HttpClient, type HttpClientOptions } from '../../src/runtime/http/http-client.js';
import {
  AdapterError,
  ApiError,
  ConnectionError,
  NotFoundError,
  RateLimitError,
  type RetryConfig,
  ServerError,
  TimeoutError,
} from '../../src/runtime/index.js';
import { type Handler, json, type LoopbackServer, startServer } from './support/loopback-server.js';
import { makeMeta } from './support/test-meta.js';

const retry: RetryConfig = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 2,
  maxRetryAfterMs: 1000,
  statusCodes: [429, 500, 502, 503],
};
const instant = async () => {};

let server: LoopbackServer | undefined;
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, options: Partial<HttpClientOptions> = {}) {
  server = await startServer(handler);
  const client = new HttpClient({ platformId: 'acme', baseUrl: `${server.url}/v1`, retry, sleep: instant, ...options });
  clients.push(client);
  return { client, server };
}

describe('HttpClient', () => {
  it('joins the path to the base URL, sends the query and parses JSON', async () => {
    const { client, server } = await setup((req, res) => json(res, 200, { ok: true, path: req.path }));
    const response = await client.request({ method: 'GET', url: '/customers', query: { limit: 2, skip: undefined } });
    expect(response.body).toEqual({ ok: true, path: '/v1/customers' });
    expect(server.requests[0]?.url).toBe('/v1/customers?limit=2');
    expect(response.attempts).toBe(1);
  });

  it('retries a GET on 503 and succeeds', async () => {
    let n = 0;
    const { client, server } = await setup((_req, res) =>
      ++n < 3 ? json(res, 503, { error: 'busy' }) : json(res, 200, { n }),
    );
    const response = await client.request({ method: 'GET', url: '/x' });
    expect(response.body).toEqual({ n: 3 });
    expect(response.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after maxAttempts with a ServerError', async () => {
    const { client, server } = await setup((_req, res) => json(res, 502, { message: 'bad gateway' }));
    await expect(client.request({ method: 'GET', url: '/x' })).rejects.toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(3);
  });

  it('waits what retry-after asks, through the injected sleep', async () => {
    const waits: number[] = [];
    let n = 0;
    const { client } = await setup(
      (_req, res) => (++n === 1 ? json(res, 429, {}, { 'retry-after': '0.2' }) : json(res, 200, {})),
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    await client.request({ method: 'GET', url: '/x' });
    expect(waits).toEqual([200]);
  });

  it('throws RateLimitError with retryAfterMs when the wait is too long', async () => {
    const { client, server } = await setup((_req, res) => json(res, 429, {}, { 'retry-after': '30' }));
    const error = await client.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(30_000);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a POST when the platform has no idempotency header', async () => {
    const { client, server } = await setup((_req, res) => json(res, 503, {}));
    await expect(client.request({ method: 'POST', url: '/x', json: {} })).rejects.toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a POST with one idempotency key across attempts when the platform has the header', async () => {
    let n = 0;
    const { client, server } = await setup((_req, res) => (++n < 3 ? json(res, 500, {}) : json(res, 200, {})), {
      retry: { ...retry, idempotencyHeader: 'Idempotency-Key' },
    });
    await client.request({ method: 'POST', url: '/x', form: { a: 1 } });
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps 404 to NotFoundError with the platform request id', async () => {
    const { client } = await setup((_req, res) =>
      json(res, 404, { error: { message: 'No such customer' } }, { 'request-id': 'req_9' }),
    );
    const error = await client.request({ method: 'GET', url: '/customers/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as ApiError).requestId).toBe('req_9');
    expect((error as Error).message).toContain('No such customer');
  });

  it('maps a refused connection to ConnectionError after retrying', async () => {
    const { client, server } = await setup((_req, res) => json(res, 200, {}));
    await server.close();
    const error = await client.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('ECONNREFUSED');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('maps a slow answer to TimeoutError', async () => {
    const { client } = await setup((_req, res) => void setTimeout(() => json(res, 200, {}), 300), {
      timeoutMs: 50,
      retry: { ...retry, maxAttempts: 1 },
    });
    await expect(client.request({ method: 'GET', url: '/slow' })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('keeps no more than maxConcurrency requests in flight', async () => {
    // The server answers nothing until two requests are in flight (or the last has come): a client that keeps two
    // in flight always reaches that peak, however slow the machine; one that sends more shows them meanwhile.
    let inFlight = 0;
    let peak = 0;
    let arrived = 0;
    const held: Array<() => void> = [];
    const { client } = await setup(
      async (_req, res) => {
        arrived++;
        peak = Math.max(peak, ++inFlight);
        await new Promise<void>((release) => {
          held.push(release);
          if (held.length >= 2 || arrived === 6) {
            const batch = held.splice(0);
            setTimeout(() => {
              for (const go of batch) go();
            }, 15);
          }
        });
        inFlight--;
        json(res, 200, {});
      },
      { maxConcurrency: 2 },
    );
    await Promise.all(Array.from({ length: 6 }, () => client.request({ method: 'GET', url: '/x' })));
    expect(peak).toBe(2);
  });

  it('refuses to send credentials to another origin', async () => {
    const { client, server } = await setup((_req, res) => json(res, 200, {}));
    await expect(client.request({ method: 'GET', url: 'http://127.0.0.2:9/steal' })).rejects.toBeInstanceOf(
      AdapterError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('logs requests without any credential', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write: (chunk, _e, cb) => {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const meta = makeMeta({ auth: { kind: 'api_key', in: 'query', name: 'key' } });
    const store = new CredentialStore(meta, { apiKey: 'k_SECRET_123' }, {});
    const auth = createAuthStrategy({ meta, store, connectionConfig: {}, postToken: async () => ({}) });
    let n = 0;
    const { client, server } = await setup(
      (_req, res) =>
        ++n === 1 ? json(res, 500, { echo: 'k_SECRET_123' }) : json(res, 401, { message: 'bad key k_SECRET_123' }),
      {
        auth,
        logger,
        secrets: () => store.secretValues(),
      },
    );
    const error = await client.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(server.requests[0]?.query.get('key')).toBe('k_SECRET_123');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('k_SECRET_123');
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('k_SECRET_123');
  });

  it('renews OAuth2 tokens after a 401 and sends the request again', async () => {
    const meta = makeMeta({
      auth: {
        kind: 'oauth2',
        grantType: 'client_credentials',
        tokenUrl: 'https://auth.acme.test/token',
        refresh: { supported: true },
      },
    });
    server = await startServer((req, res) => {
      if (req.path === '/token') return json(res, 200, { access_token: 'fresh', expires_in: 60 });
      return req.headers.authorization === 'Bearer fresh' ? json(res, 200, { ok: 1 }) : json(res, 401, {});
    });
    const store = new CredentialStore(meta, { accessToken: 'stale' }, {});
    const client: HttpClient = new HttpClient({
      platformId: 'acme',
      baseUrl: server.url,
      retry,
      sleep: instant,
      auth: createAuthStrategy({
        meta,
        store,
        connectionConfig: {},
        oauthClient: { clientId: 'cid', clientSecret: 'cs', tokenUrl: `${server.url}/token` },
        postToken: async (req) =>
          (
            await client.request({
              method: 'POST',
              url: req.url,
              form: req.form,
              headers: req.headers,
              authenticate: false,
            })
          ).body,
      }),
    });
    clients.push(client);
    const response = await client.request({ method: 'GET', url: '/me' });
    expect(response.body).toEqual({ ok: 1 });
    expect(server.requests.map((r) => r.path)).toEqual(['/me', '/token', '/me']);
    expect(server.requests[1]?.body).toBe('grant_type=client_credentials&client_id=cid&client_secret=cs');
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });
});

describe('HttpClient edges', () => {
  it('stops waiting between retries when the signal aborts', async () => {
    const controller = new AbortController();
    const { client, server } = await setup((_req, res) => json(res, 503, {}), {
      // The client's own sleep, for an hour of backoff: only the abort can end it before the test times out.
      sleep: undefined,
      retry: { ...retry, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
      // Drawn just before the backoff sleep starts: abort once it has (not on a timer that a busy machine could
      // fire before the first request is even sent).
      random: () => {
        setImmediate(() => controller.abort(new Error('stop')));
        return 0.99;
      },
    });
    await expect(client.request({ method: 'GET', url: '/x', signal: controller.signal })).rejects.toThrow('stop');
    expect(server.requests).toHaveLength(1);
  });

  it('follows a same-origin redirect but not one to another origin', async () => {
    const { client } = await setup((req, res) => {
      if (req.path === '/v1/moved') {
        res.writeHead(301, { location: '/v1/here' });
        return res.end();
      }
      if (req.path === '/v1/away') {
        res.writeHead(302, { location: 'http://127.0.0.2:9/steal' });
        return res.end();
      }
      return json(res, 200, { at: req.path });
    });
    expect((await client.request({ method: 'GET', url: '/moved' })).body).toEqual({ at: '/v1/here' });
    const error = await client.request({ method: 'GET', url: '/away' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(302);
  });
});
