/**
 * OAuth2 renewal end to end: an HttpClient with the OAuth2 strategy against a loopback API server and a loopback
 * token server (real HTTP through oauth4webapi; nothing mocked).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthStrategy } from '../../../src/runtime/auth/create-auth.js';
import { CredentialStore } from '../../../src/runtime/auth/credential-store.js';
import type { OAuth2Auth } from '../../../src/runtime/auth/oauth2-auth.js';
import { HttpClient } from '../../../src/runtime/http/http-client.js';
import {
  AdapterError,
  AuthenticationError,
  ConfigurationError,
  type OAuthClient,
  type PlatformMeta,
  type RetryConfig,
  TimeoutError,
  type TokenFetch,
  type TokenSet,
} from '../../../src/runtime/index.js';
import { type Handler, json, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';
import { answer, basicCredentials, captureLogs, errorText, form, sleep } from './oauth-test-kit.js';

const retry: RetryConfig = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, statusCodes: [] };
const NOW = 1_700_000_000_000;
const CLIENT_SECRET = 'cs_SECRET_value_9';

const refreshMeta = makeMeta({
  auth: {
    kind: 'oauth2',
    authorizationUrl: 'https://auth.acme.test/authorize',
    tokenUrl: 'https://auth.acme.test/token',
    clientAuth: 'client_secret_basic',
    refresh: { supported: true, rotatesRefreshToken: true, skewSeconds: 60 },
    tokenResponseFields: ['instance_url'],
  },
});

const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Setup {
  meta?: PlatformMeta;
  credentials: Record<string, unknown>;
  token: Handler;
  api?: Handler;
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  client?: Partial<OAuthClient>;
  fetch?: TokenFetch;
  timeoutMs?: number;
}

/** An API that accepts exactly `Bearer <accepted()>`. */
function apiAccepting(accepted: () => string): Handler {
  return (req, res) =>
    req.headers.authorization === `Bearer ${accepted()}`
      ? json(res, 200, { ok: true })
      : json(res, 401, { error: 'invalid_token' });
}

async function setup(options: Setup) {
  const meta = options.meta ?? refreshMeta;
  const tokenServer = await startServer(options.token);
  const api = await startServer(options.api ?? ((_req, res) => json(res, 200, { ok: true })));
  servers.push(tokenServer, api);
  const store = new CredentialStore(meta, options.credentials, {});
  const saved: TokenSet[] = [];
  const clock = { now: NOW };
  const { logger, lines } = captureLogs();
  const oauthClient: OAuthClient = {
    clientId: 'cid',
    clientSecret: CLIENT_SECRET,
    tokenUrl: `${tokenServer.url}/token`,
    ...options.client,
  };
  const auth = createAuthStrategy({
    meta,
    store,
    connectionConfig: {},
    oauthClient,
    onTokens: async (tokens) => {
      saved.push(tokens);
      await options.onTokens?.(tokens);
    },
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    logger,
    now: () => clock.now,
  });
  const http = new HttpClient({
    platformId: meta.id,
    baseUrl: api.url,
    retry,
    auth,
    logger,
    secrets: () => [...store.secretValues(), CLIENT_SECRET],
  });
  clients.push(http);
  const get = () => http.request({ method: 'GET', url: '/me' });
  return { http, get, store, saved, clock, tokenServer, api, auth, lines };
}

describe('OAuth2 renewal: single flight', () => {
  it('(a) 50 concurrent requests on an expired token make one refresh request, then all succeed', async () => {
    const { get, tokenServer, api, saved } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1_000 },
      token: async (_req, res) => {
        await sleep(50);
        answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt_2' });
      },
      api: apiAccepting(() => 'at_new'),
    });

    const responses = await Promise.all(Array.from({ length: 50 }, get));

    expect(tokenServer.requests).toHaveLength(1);
    expect(form(tokenServer.requests[0])).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt_1' });
    expect(basicCredentials(tokenServer.requests[0])).toEqual(['cid', CLIENT_SECRET]);
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(api.requests).toHaveLength(50);
    expect(new Set(api.requests.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer at_new']));
    expect(saved).toEqual([{ accessToken: 'at_new', refreshToken: 'rt_2', expiresAt: NOW + 3_600_000 }]);
  });

  it('(a) 50 concurrent 401s on a token that looked valid make one refresh request', async () => {
    const { get, tokenServer, api } = await setup({
      credentials: { accessToken: 'at_revoked', refreshToken: 'rt_1', expiresAt: NOW + 3_600_000 },
      token: async (_req, res) => {
        await sleep(30);
        answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 });
      },
      api: apiAccepting(() => 'at_new'),
    });

    const responses = await Promise.all(Array.from({ length: 50 }, get));

    expect(tokenServer.requests).toHaveLength(1);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const sentWith = api.requests.map((r) => r.headers.authorization);
    expect(sentWith.filter((a) => a === 'Bearer at_new')).toHaveLength(50);
    expect(sentWith.filter((a) => a === 'Bearer at_revoked').length).toBeLessThanOrEqual(50);
  });

  it('(b) a rotated refresh token reaches onTokens before any waiting request is sent, and is used next', async () => {
    const events: string[] = [];
    let issued = 1;
    const { get, tokenServer, clock, saved, store } = await setup({
      credentials: { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: async (req, res) => {
        issued++;
        events.push(`token:${form(req).refresh_token}`);
        await sleep(20);
        answer(res, 200, {
          access_token: `at_${issued}`,
          token_type: 'bearer',
          expires_in: 600,
          refresh_token: `rt_${issued}`,
        });
      },
      onTokens: async (tokens) => {
        events.push(`onTokens:start:${tokens.refreshToken}`);
        await sleep(40);
        events.push(`onTokens:end:${tokens.refreshToken}`);
      },
      api: (req, res) => {
        events.push(`api:${req.headers.authorization}`);
        apiAccepting(() => `at_${issued}`)(req, res);
      },
    });

    await Promise.all(Array.from({ length: 10 }, get));
    const firstApi = events.findIndex((e) => e.startsWith('api:'));
    expect(events.slice(0, 3)).toEqual(['token:rt_1', 'onTokens:start:rt_2', 'onTokens:end:rt_2']);
    expect(firstApi).toBe(3);
    expect(events.slice(3)).toEqual(Array(10).fill('api:Bearer at_2'));

    clock.now += 600_000; // at_2 is now expired: the next refresh must spend the rotated token
    events.length = 0;
    await Promise.all(Array.from({ length: 10 }, get));
    expect(tokenServer.requests).toHaveLength(2);
    expect(form(tokenServer.requests[1])).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt_2' });
    expect(events.slice(0, 3)).toEqual(['token:rt_2', 'onTokens:start:rt_3', 'onTokens:end:rt_3']);
    expect(events.slice(3)).toEqual(Array(10).fill('api:Bearer at_3'));
    expect(saved.map((t) => t.refreshToken)).toEqual(['rt_2', 'rt_3']);
    expect(store.credential('refreshToken')).toBe('rt_3');
  });

  it('(b) after a 401, the request is sent again only once onTokens has the rotated token', async () => {
    const events: string[] = [];
    const { get } = await setup({
      credentials: { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW + 3_600_000 },
      token: (_req, res) =>
        answer(res, 200, { access_token: 'at_2', token_type: 'Bearer', expires_in: 600, refresh_token: 'rt_2' }),
      onTokens: async (tokens) => {
        await sleep(40);
        events.push(`onTokens:${tokens.refreshToken}`);
      },
      api: (req, res) => {
        events.push(`api:${req.headers.authorization}`);
        apiAccepting(() => 'at_2')(req, res);
      },
    });

    await Promise.all(Array.from({ length: 5 }, get));
    const persisted = events.indexOf('onTokens:rt_2');
    expect(persisted).toBeGreaterThan(0);
    expect(events.slice(0, persisted).every((e) => e === 'api:Bearer at_1')).toBe(true);
    expect(events.slice(persisted + 1)).toEqual(Array(5).fill('api:Bearer at_2'));
  });

  it('(b) a request that starts while onTokens runs waits for it', async () => {
    const events: string[] = [];
    let late: Promise<unknown> | undefined;
    const { get } = await setup({
      credentials: { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: (_req, res) =>
        answer(res, 200, { access_token: 'at_2', token_type: 'Bearer', expires_in: 600, refresh_token: 'rt_2' }),
      onTokens: async () => {
        late = get(); // the store already holds at_2, which is not expiring: only the in-flight renewal holds it back
        await sleep(40);
        events.push('onTokens:end');
      },
      api: (req, res) => {
        events.push(`api:${req.headers.authorization}`);
        apiAccepting(() => 'at_2')(req, res);
      },
    });
    await get();
    await late;
    expect(events).toEqual(['onTokens:end', 'api:Bearer at_2', 'api:Bearer at_2']);
  });

  it('a caller that aborts stops waiting without cancelling the shared refresh', async () => {
    const { http, get, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: async (_req, res) => {
        await sleep(60);
        answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 });
      },
      api: apiAccepting(() => 'at_new'),
    });
    const controller = new AbortController();
    const aborted = http.request({ method: 'GET', url: '/me', signal: controller.signal });
    const others = Promise.all([get(), get()]);
    setTimeout(() => controller.abort(new Error('caller gave up')), 10);
    await expect(aborted).rejects.toThrow('caller gave up');
    expect((await others).map((r) => r.status)).toEqual([200, 200]);
    expect(tokenServer.requests).toHaveLength(1);
  });
});

describe('OAuth2 renewal: after a 401', () => {
  it('(c) a 401 on a token that looked valid triggers one refresh and one retry', async () => {
    const { get, tokenServer, api } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW + 3_600_000 },
      token: (_req, res) => answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 }),
      api: apiAccepting(() => 'at_new'),
    });
    const response = await get();
    expect(response.status).toBe(200);
    expect(tokenServer.requests).toHaveLength(1);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer at_old', 'Bearer at_new']);
  });

  it('(c) a second 401 surfaces as AuthenticationError, without a loop', async () => {
    const { get, tokenServer, api } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW + 3_600_000 },
      token: (_req, res) => answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 }),
      api: (_req, res) => json(res, 401, { error: 'invalid_token' }),
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect(tokenServer.requests).toHaveLength(1);
    expect(api.requests).toHaveLength(2);
  });

  it('without a way to renew, the 401 surfaces at once', async () => {
    const { get, tokenServer, api } = await setup({
      credentials: { accessToken: 'at_old' },
      token: (_req, res) => answer(res, 500, {}),
      api: (_req, res) => json(res, 401, {}),
    });
    await expect(get()).rejects.toBeInstanceOf(AuthenticationError);
    expect(tokenServer.requests).toHaveLength(0);
    expect(api.requests).toHaveLength(1);
  });
});

describe('OAuth2 renewal: failures keep secrets out', () => {
  it('(d) invalid_grant surfaces as AuthenticationError with no token or secret in message, JSON or logs', async () => {
    const { get, tokenServer, api, lines } = await setup({
      credentials: { accessToken: 'at_SECRET_old', refreshToken: 'rt_SECRET_1', expiresAt: NOW - 1 },
      token: (_req, res) =>
        answer(res, 400, {
          error: 'invalid_grant',
          error_description: 'refresh token rt_SECRET_1 was revoked (client cs_SECRET_value_9)',
        }),
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    const e = error as AuthenticationError;
    expect(e.status).toBe(400);
    expect(e.message).toContain('invalid_grant');
    expect(e.message).toContain('authorized again');
    const text = `${errorText(error)}\n${lines.join('\n')}`;
    for (const secret of ['at_SECRET_old', 'rt_SECRET_1', CLIENT_SECRET]) expect(text).not.toContain(secret);
    expect(api.requests).toHaveLength(0);

    // The refused refresh token is not sent again.
    await expect(get()).rejects.toBe(error);
    expect(tokenServer.requests).toHaveLength(1);
  });

  it('(d) invalid_grant after a 401 surfaces the same way', async () => {
    const { get, tokenServer } = await setup({
      credentials: { accessToken: 'at_SECRET_old', refreshToken: 'rt_SECRET_1', expiresAt: NOW + 3_600_000 },
      token: (_req, res) => answer(res, 400, { error: 'invalid_grant' }),
      api: (_req, res) => json(res, 401, {}),
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/refreshing the access token failed \(400 invalid_grant\)/);
    expect(errorText(error)).not.toMatch(/at_SECRET_old|rt_SECRET_1|cs_SECRET/);
    expect(tokenServer.requests).toHaveLength(1);
  });

  it('a 5xx from the token endpoint is a ServerError, and the next request tries again', async () => {
    let n = 0;
    const { get, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_SECRET_1', expiresAt: NOW - 1 },
      token: (_req, res) =>
        ++n === 1
          ? answer(res, 503, 'upstream down', 'text/plain')
          : answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 }),
      api: apiAccepting(() => 'at_new'),
    });
    const error = await get().catch((e: unknown) => e);
    expect((error as Error).name).toBe('ServerError');
    expect(errorText(error)).not.toContain('rt_SECRET_1');
    expect((await get()).status).toBe(200);
    expect(tokenServer.requests).toHaveLength(2);
  });

  it('a 200 that is not a token response is an AdapterError without its contents', async () => {
    const { get } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: (_req, res) => answer(res, 200, { access_token: 'at_SECRET_new', token_type: 'mac', expires_in: 60 }),
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toMatch(/not a usable token response/);
    expect(errorText(error)).not.toContain('at_SECRET_new');
  });

  it('a token endpoint that does not answer in time is a TimeoutError', async () => {
    const { get } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: async (_req, res) => {
        await sleep(500);
        answer(res, 200, {});
      },
      timeoutMs: 50,
    });
    await expect(get()).rejects.toBeInstanceOf(TimeoutError);
  });

  it('onTokens failing is reported; the renewed tokens stay in use', async () => {
    const { get, store } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: (_req, res) =>
        answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt_2' }),
      onTokens: () => {
        throw new Error('database unavailable');
      },
      api: apiAccepting(() => 'at_new'),
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toContain('onTokens failed to keep the renewed tokens: database unavailable');
    expect(store.credential('refreshToken')).toBe('rt_2');
    expect((await get()).status).toBe(200);
  });
});

describe('OAuth2 client credentials and transport', () => {
  const ccMeta = makeMeta({
    auth: {
      kind: 'oauth2',
      grantType: 'client_credentials',
      tokenUrl: 'https://auth.acme.test/oauth/token',
      scopes: ['read', 'write'],
      clientAuth: 'client_secret_post',
      refresh: { supported: false },
    },
  });

  it('(e) obtains a token with client_credentials when none is present (response without token_type)', async () => {
    const { get, tokenServer, api, saved } = await setup({
      meta: ccMeta,
      credentials: {},
      token: (_req, res) => answer(res, 200, { access_token: 'cc_at_1', expires_in: 3600 }),
      api: apiAccepting(() => 'cc_at_1'),
    });
    expect((await get()).status).toBe(200);
    expect(tokenServer.requests).toHaveLength(1);
    expect(form(tokenServer.requests[0])).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
      client_id: 'cid',
      client_secret: CLIENT_SECRET,
    });
    expect(tokenServer.requests[0]?.headers.authorization).toBeUndefined();
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer cc_at_1']);
    expect(saved).toEqual([{ accessToken: 'cc_at_1', expiresAt: NOW + 3_600_000 }]);
  });

  it('(e) renews a client_credentials token after a 401', async () => {
    let issued = 0;
    const { get, tokenServer } = await setup({
      meta: ccMeta,
      credentials: { accessToken: 'cc_old' },
      token: (_req, res) => answer(res, 200, { access_token: `cc_${++issued}`, token_type: 'Bearer' }),
      api: apiAccepting(() => `cc_${issued}`),
    });
    expect((await get()).status).toBe(200);
    expect(tokenServer.requests).toHaveLength(1);
  });

  it('routes token requests through the injected fetch (oauth4webapi customFetch)', async () => {
    const seen: Array<{ url: string; method: string; hasBody: boolean }> = [];
    const { get, tokenServer } = await setup({
      meta: ccMeta,
      credentials: {},
      token: (_req, res) => answer(res, 200, { access_token: 'cc_at_1', token_type: 'Bearer' }),
      fetch: (url, init) => {
        seen.push({ url, method: init.method, hasBody: init.body instanceof URLSearchParams });
        return fetch(url, init);
      },
    });
    await get();
    expect(seen).toEqual([{ url: `${tokenServer.url}/token`, method: 'POST', hasBody: true }]);
  });

  it('refuses plain http to a host that is not loopback, before sending anything', async () => {
    const seen: string[] = [];
    const { get } = await setup({
      meta: ccMeta,
      credentials: {},
      token: (_req, res) => answer(res, 200, {}),
      client: { tokenUrl: 'http://auth.example.com/token' },
      fetch: (url, init) => {
        seen.push(url);
        return fetch(url, init);
      },
    });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe('oauthClient.tokenUrl');
    expect(seen).toEqual([]);
  });
});

describe('OAuth2 token responses that are not strictly RFC 6749', () => {
  const meta = makeMeta({
    auth: {
      kind: 'oauth2',
      authorizationUrl: 'https://auth.acme.test/authorize',
      tokenUrl: 'https://auth.acme.test/token',
      refresh: { supported: true, defaultExpiresInSeconds: 7200 },
      tokenResponseFields: ['instance_url'],
    },
  });
  const cases: Array<[string, { given: { body: unknown; contentType?: string }; want: TokenSet }]> = [
    [
      'Shopify: no token_type',
      {
        given: { body: { access_token: 'shpat_1', scope: 'read_orders,read_products' } },
        want: { accessToken: 'shpat_1', refreshToken: 'rt_1', expiresAt: NOW + 7_200_000 },
      },
    ],
    [
      'Meta: lowercase bearer, expires_in as a string',
      {
        given: { body: { access_token: 'EAAB1', token_type: 'bearer', expires_in: '5183944' } },
        want: { accessToken: 'EAAB1', refreshToken: 'rt_1', expiresAt: NOW + 5_183_944_000 },
      },
    ],
    [
      'Salesforce: instance_url, signature, issued_at, no expires_in',
      {
        given: {
          body: {
            access_token: '00D!AQ1',
            token_type: 'Bearer',
            instance_url: 'https://na1.salesforce.com',
            id: 'https://login.salesforce.com/id/00D/005',
            issued_at: '1700000000000',
            signature: 'c2lnbmF0dXJl',
            scope: 'api refresh_token',
          },
        },
        want: {
          accessToken: '00D!AQ1',
          refreshToken: 'rt_1',
          expiresAt: NOW + 7_200_000,
          extra: { instanceUrl: 'https://na1.salesforce.com' },
        },
      },
    ],
    [
      'nulls for absent fields and a scope array',
      {
        given: {
          body: { access_token: 'at_n', token_type: null, expires_in: null, refresh_token: null, scope: ['a', 'b'] },
        },
        want: { accessToken: 'at_n', refreshToken: 'rt_1', expiresAt: NOW + 7_200_000 },
      },
    ],
    [
      'a rotated refresh token and an id_token (Google with the openid scope)',
      {
        given: {
          body: {
            access_token: 'ya29.a',
            token_type: 'Bearer',
            expires_in: 3599,
            refresh_token: 'rt_rotated',
            id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20ifQ.c2ln',
          },
        },
        want: { accessToken: 'ya29.a', refreshToken: 'rt_rotated', expiresAt: NOW + 3_599_000 },
      },
    ],
    [
      'a form-encoded answer',
      {
        given: { body: 'access_token=at_f&token_type=bearer&expires_in=60', contentType: 'text/plain' },
        want: { accessToken: 'at_f', refreshToken: 'rt_1', expiresAt: NOW + 60_000 },
      },
    ],
  ];
  it.each(cases)('%s', async (_name, { given, want }) => {
    const { auth, saved, store } = await setup({
      meta,
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: (_req, res) => answer(res, 200, given.body, given.contentType),
    });
    await (auth as OAuth2Auth).refresh();
    expect(saved).toEqual([want]);
    expect(store.credential('accessToken')).toBe(want.accessToken);
  });
});

describe('OAuth2 expiry', () => {
  it('does not refresh a token that is still fresh', async () => {
    const { get, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW + 3_600_000 },
      token: (_req, res) => answer(res, 500, {}),
    });
    await get();
    expect(tokenServer.requests).toHaveLength(0);
  });

  it('refreshes within the skew before expiry', async () => {
    const { get, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW + 30_000 },
      token: (_req, res) => answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600 }),
      api: apiAccepting(() => 'at_new'),
    });
    await get();
    expect(tokenServer.requests).toHaveLength(1);
  });

  it('uses a new token shorter-lived than the skew instead of refreshing on every request', async () => {
    const { get, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      token: (_req, res) => answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 30 }),
      api: apiAccepting(() => 'at_new'),
    });
    await get();
    await get();
    expect(tokenServer.requests).toHaveLength(1);
  });

  it('recover() skips the refresh when another caller already renewed the credentials', async () => {
    const { auth, tokenServer } = await setup({
      credentials: { accessToken: 'at_old', refreshToken: 'rt_1' },
      token: (_req, res) => answer(res, 200, { access_token: 'at_new', token_type: 'Bearer' }),
    });
    const a = { headers: {}, query: new URLSearchParams() };
    const b = { headers: {}, query: new URLSearchParams() };
    await auth.apply(a);
    await auth.apply(b);
    expect(await auth.recover?.(a)).toBe(true);
    expect(await auth.recover?.(b)).toBe(true);
    expect(tokenServer.requests).toHaveLength(1);
  });
});
