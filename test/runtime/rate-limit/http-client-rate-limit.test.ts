import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, type HttpClientOptions } from '../../../src/runtime/http/http-client.js';
import { BaseAdapter, MemoryRateLimitStore, type PlatformMeta, type RetryConfig } from '../../../src/runtime/index.js';
import type { RateLimiter } from '../../../src/runtime/rate-limit/rate-limiter.js';
import { StoreRateLimiter } from '../../../src/runtime/rate-limit/store-rate-limiter.js';
import type { HeaderMap } from '../../../src/runtime/retry/retry-after.js';
import { json, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';
import { quietClock } from './manual-clock.js';

const retry: RetryConfig = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 2,
  maxRetryAfterMs: 1000,
  statusCodes: [429, 503],
};

/** Records every call, allows everything. */
function spyLimiter() {
  const calls: Array<{ kind: 'acquire' } | { kind: 'observe'; status: number; headers: HeaderMap | undefined }> = [];
  const limiter: RateLimiter = {
    acquire: async () => {
      calls.push({ kind: 'acquire' });
    },
    observe: async (headers, status) => {
      calls.push({ kind: 'observe', status, headers });
    },
  };
  return { limiter, calls };
}

const servers: LoopbackServer[] = [];
const closables: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closables.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function client(server: LoopbackServer, options: Partial<HttpClientOptions>) {
  const c = new HttpClient({ platformId: 'acme', baseUrl: server.url, retry, sleep: async () => {}, ...options });
  closables.push(c);
  return c;
}

describe('HttpClient with a rate limiter', () => {
  it('acquires before every attempt (retries included) and observes every response', async () => {
    let n = 0;
    const server = await startServer((_req, res) =>
      ++n < 3 ? json(res, 503, {}, { 'x-ratelimit-remaining': String(10 - n) }) : json(res, 200, { ok: true }),
    );
    servers.push(server);
    const { limiter, calls } = spyLimiter();
    await (await client(server, { rateLimiter: limiter })).request({ method: 'GET', url: '/x' });
    expect(calls.map((c) => (c.kind === 'observe' ? c.status : c.kind))).toEqual([
      'acquire',
      503,
      'acquire',
      503,
      'acquire',
      200,
    ]);
    const first = calls[1];
    expect(first?.kind === 'observe' && first.headers?.['x-ratelimit-remaining']).toBe('9');
  });

  it('does not count unauthenticated requests to other origins (token endpoints)', async () => {
    const server = await startServer((_req, res) => json(res, 200, { access_token: 'x' }));
    const tokenServer = await startServer((_req, res) => json(res, 200, { access_token: 'x' }));
    servers.push(server, tokenServer);
    const { limiter, calls } = spyLimiter();
    await (await client(server, { rateLimiter: limiter })).request({
      method: 'POST',
      url: `${tokenServer.url}/token`,
      form: { grant_type: 'refresh_token' },
      authenticate: false,
    });
    expect(calls).toEqual([]);
  });

  it('is proactive: many concurrent requests against a bucket-enforcing server get no 429', async () => {
    // The server: a leaky bucket of 5 draining 50/s; over it answers 429. It keeps time on the test's clock, which
    // stands still while a request is on its way: it sees each request at exactly the instant the limiter let it
    // go, however loaded the machine. (How late arrivals eat into the margin is delivery-jitter.test.ts's subject.)
    const clock = quietClock(0);
    let level = 0;
    let at = 0;
    let rejected = 0;
    const arrivals: number[] = [];
    const server = await startServer((_req, res) => {
      const now = clock.now();
      arrivals.push(now);
      level = Math.max(level - ((now - at) / 1000) * 50, 0);
      at = now;
      if (level + 1 > 5) {
        rejected++;
        return json(res, 429, {});
      }
      level += 1;
      return json(res, 200, {}, { 'x-shopify-shop-api-call-limit': `${Math.ceil(level)}/5` });
    });
    servers.push(server);
    const config = {
      ...makeMeta().rateLimit,
      model: 'leaky-bucket',
      capacity: 5,
      leakPerSecond: 50,
    } as PlatformMeta['rateLimit'];
    const inner = new StoreRateLimiter({
      key: 'acme:t',
      config,
      store: new MemoryRateLimitStore({ now: clock.now }),
      now: clock.now,
      sleep: clock.sleep,
    });
    // A request is in flight from the moment the limiter lets it go until its answer is back.
    const limiter: RateLimiter = {
      acquire: async (cost, signal) => {
        await inner.acquire(cost, signal);
        clock.busy();
      },
      observe: (headers, status) => inner.observe(headers, status),
    };
    const http = await client(server, { rateLimiter: limiter, retry: { ...retry, maxAttempts: 1 } });
    await Promise.all(Array.from({ length: 30 }, () => http.request({ method: 'GET', url: '/x' }).finally(clock.done)));
    expect(rejected).toBe(0);
    // 3 at once (the bucket's 5 less the 30 ms default margin, 1.5 requests), the 4th when the margin allows, then
    // one every 20 ms: exactly the server's 50/s.
    expect(arrivals).toEqual([0, 0, 0, 10, ...Array.from({ length: 26 }, (_, i) => 30 + 20 * i)]);
  });
});

describe('BaseAdapter wiring', () => {
  class AcmeAdapter extends BaseAdapter<{ customers: { id: string } }, { token: string }, Record<string, never>> {
    static readonly meta: PlatformMeta = makeMeta();
    constructor(options: ConstructorParameters<typeof BaseAdapter>[1]) {
      super(AcmeAdapter.meta, options as never);
    }
  }

  it('every page of a listing goes through the adapter’s rate limiter', async () => {
    const server = await startServer((req, res) => {
      const after = req.query.get('starting_after');
      const page = after ? Number(after.slice(4)) : 0;
      const data = page < 4 ? [{ id: `cus_${page + 1}`, created: 1 }] : [];
      json(res, 200, { data, has_more: page < 3 });
    });
    servers.push(server);
    const { limiter, calls } = spyLimiter();
    const adapter = new AcmeAdapter({
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: server.url,
      rateLimiter: limiter,
    });
    closables.push(adapter);
    const ids: string[] = [];
    for await (const c of adapter.list('customers')) ids.push(c.id);
    expect(ids).toEqual(['cus_1', 'cus_2', 'cus_3', 'cus_4']);
    expect(calls.filter((c) => c.kind === 'acquire')).toHaveLength(server.requests.length);
    expect(server.requests.length).toBe(4);
  });

  it('rateLimitStore is where the adapter keeps its budget', async () => {
    const server = await startServer((_req, res) => json(res, 200, { data: [], has_more: false }));
    servers.push(server);
    // The store's clock stands still: the request's share of the budget cannot drain away before it is read.
    const store = new MemoryRateLimitStore({ now: () => 1_700_000_000_000 });
    const adapter = new AcmeAdapter({
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: server.url,
      tenantId: 't1',
      rateLimitKey: 'conn_1',
      rateLimitStore: store,
    });
    closables.push(adapter);
    await adapter.fetch('customers');
    // One request of a 100-per-second window: 1/99 of the window plus its 30 ms margin (to a µs: epoch ms are doubles).
    expect(await store.backlog('acme:conn_1')).toBeCloseTo(1030 / 99, 3);
  });
});
