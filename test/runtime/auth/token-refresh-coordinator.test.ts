/**
 * The `tokenRefresh` hook: OAuth2 renewals decided by a coordinator shared beyond one instance (the service's is a
 * Postgres lock; here an in-memory one). Real HTTP to loopback token and API servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthStrategy } from '../../../src/runtime/auth/create-auth.js';
import { CredentialStore } from '../../../src/runtime/auth/credential-store.js';
import { storedTokensUsable, tokenSetOf } from '../../../src/runtime/auth/token-refresh-coordinator.js';
import { HttpClient } from '../../../src/runtime/http/http-client.js';
import {
  AdapterError,
  AuthenticationError,
  type OAuthClient,
  type RetryConfig,
  type TokenRefreshCoordinator,
  type TokenRefreshRequest,
  type TokenSet,
} from '../../../src/runtime/index.js';
import { type Handler, json, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';
import { answer, form, sleep } from './oauth-test-kit.js';

const retry: RetryConfig = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, statusCodes: [] };
const NOW = 1_700_000_000_000;

const meta = makeMeta({
  auth: {
    kind: 'oauth2',
    authorizationUrl: 'https://auth.acme.test/authorize',
    tokenUrl: 'https://auth.acme.test/token',
    clientAuth: 'client_secret_post',
    refresh: { supported: true, rotatesRefreshToken: true, skewSeconds: 60 },
  },
});

const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * A coordinator over one shared "database" row: one renewal at a time (a queue standing in for the lock), stored
 * tokens reused when `usable`, renewed ones stored before they are answered.
 */
function memoryCoordinator(initial: Record<string, unknown>) {
  const state = { stored: { ...initial }, calls: 0, renewals: 0, requests: [] as TokenRefreshRequest[] };
  let queue: Promise<unknown> = Promise.resolve();
  const coordinator: TokenRefreshCoordinator = {
    coordinate(request) {
      state.calls++;
      state.requests.push(request);
      const turn = queue.then(async (): Promise<TokenSet> => {
        if (request.usable(state.stored)) return tokenSetOf(state.stored);
        state.renewals++;
        const tokens = await request.renew(state.stored.refreshToken as string);
        state.stored = { ...state.stored, ...tokens };
        return tokens;
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
  return { coordinator, state };
}

async function servers2(token: Handler, api: Handler) {
  const tokenServer = await startServer(token);
  const apiServer = await startServer(api);
  servers.push(tokenServer, apiServer);
  return { tokenServer, apiServer };
}

/** One adapter-like client (store, strategy, HTTP) over `credentials`, renewing through `tokenRefresh`. */
function instance(
  credentials: Record<string, unknown>,
  tokenUrl: string,
  apiUrl: string,
  tokenRefresh: TokenRefreshCoordinator | undefined,
  onTokens?: (tokens: TokenSet) => void,
) {
  const store = new CredentialStore(meta, credentials, {});
  const oauthClient: OAuthClient = { clientId: 'cid', clientSecret: 'cs_secret_1', tokenUrl };
  const auth = createAuthStrategy({
    meta,
    store,
    connectionConfig: {},
    oauthClient,
    tokenRefresh,
    onTokens,
    now: () => NOW,
  });
  const http = new HttpClient({ platformId: meta.id, baseUrl: apiUrl, retry, auth });
  clients.push(http);
  return { store, get: () => http.request({ method: 'GET', url: '/me' }) };
}

const accepting =
  (token: () => string): Handler =>
  (req, res) =>
    req.headers.authorization === `Bearer ${token()}` ? json(res, 200, { ok: true }) : json(res, 401, {});

describe('tokenRefresh: renewals shared beyond one instance', () => {
  it('two instances and 50 concurrent requests on an expired token make one token request', async () => {
    const held = { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1_000 };
    const { tokenServer, apiServer } = await servers2(
      async (_req, res) => {
        await sleep(40);
        answer(res, 200, { access_token: 'at_new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt_2' });
      },
      accepting(() => 'at_new'),
    );
    const { coordinator, state } = memoryCoordinator(held);
    const saved: TokenSet[] = [];
    const a = instance(held, `${tokenServer.url}/token`, apiServer.url, coordinator, (t) => saved.push(t));
    const b = instance(held, `${tokenServer.url}/token`, apiServer.url, coordinator, (t) => saved.push(t));

    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).get()));

    expect(tokenServer.requests).toHaveLength(1);
    expect(form(tokenServer.requests[0])).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt_1' });
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(state).toMatchObject({ calls: 2, renewals: 1 });
    expect(a.store.credential('refreshToken')).toBe('rt_2');
    expect(b.store.credential('refreshToken')).toBe('rt_2');
    // onTokens hears of tokens this instance obtained, not those it found renewed by another.
    expect(saved).toEqual([{ accessToken: 'at_new', refreshToken: 'rt_2', expiresAt: NOW + 3_600_000 }]);
  });

  it('uses tokens another process stored meanwhile, without a token request', async () => {
    const held = { accessToken: 'at_old', refreshToken: 'rt_1', expiresAt: NOW - 1_000 };
    const { tokenServer, apiServer } = await servers2(
      (_req, res) => answer(res, 500, {}),
      accepting(() => 'at_other'),
    );
    const { coordinator, state } = memoryCoordinator({
      accessToken: 'at_other',
      refreshToken: 'rt_other',
      expiresAt: NOW + 600_000,
      instanceUrl: 'https://x.example',
    });
    const a = instance(held, `${tokenServer.url}/token`, apiServer.url, coordinator);

    expect((await a.get()).status).toBe(200);
    expect(tokenServer.requests).toHaveLength(0);
    expect(state.renewals).toBe(0);
    expect(a.store.credentials).toMatchObject({ refreshToken: 'rt_other', instanceUrl: 'https://x.example' });
  });

  it('renews with the stored refresh token the coordinator passes (rotated since the instance read it)', async () => {
    const { tokenServer, apiServer } = await servers2(
      (_req, res) => answer(res, 200, { access_token: 'at_3', token_type: 'Bearer', expires_in: 3600 }),
      accepting(() => 'at_3'),
    );
    const { coordinator } = memoryCoordinator({ accessToken: 'at_2', refreshToken: 'rt_2', expiresAt: NOW - 1 });
    const a = instance(
      { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      `${tokenServer.url}/token`,
      apiServer.url,
      coordinator,
    );

    await a.get();

    expect(form(tokenServer.requests[0]).refresh_token).toBe('rt_2');
    expect(a.store.credential('refreshToken')).toBe('rt_2');
  });

  it('a refusal passed on by the coordinator is not retried: the next call fails without coordinating', async () => {
    const { tokenServer, apiServer } = await servers2(
      (_req, res) => answer(res, 400, { error: 'invalid_grant' }),
      accepting(() => 'never'),
    );
    const { coordinator, state } = memoryCoordinator({ accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 });
    const a = instance(
      { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      `${tokenServer.url}/token`,
      apiServer.url,
      coordinator,
    );

    await expect(a.get()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(a.get()).rejects.toBeInstanceOf(AuthenticationError);

    expect(tokenServer.requests).toHaveLength(1);
    expect(state.calls).toBe(1);
  });

  it('a coordinator that answers no access token is an AdapterError', async () => {
    const { tokenServer, apiServer } = await servers2(
      (_req, res) => answer(res, 500, {}),
      accepting(() => 'x'),
    );
    const a = instance(
      { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      `${tokenServer.url}/token`,
      apiServer.url,
      { coordinate: async () => ({ accessToken: '' }) },
    );
    await expect(a.get()).rejects.toBeInstanceOf(AdapterError);
  });

  it('the request names the platform, the grant and the held credentials', async () => {
    const { tokenServer, apiServer } = await servers2(
      (_req, res) => answer(res, 200, { access_token: 'at_2', token_type: 'Bearer', expires_in: 60 }),
      accepting(() => 'at_2'),
    );
    const { coordinator, state } = memoryCoordinator({ accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 });
    const a = instance(
      { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: NOW - 1 },
      `${tokenServer.url}/token`,
      apiServer.url,
      coordinator,
    );
    await a.get();
    const [request] = state.requests;
    expect(request).toMatchObject({ platformId: meta.id, grantType: 'refresh_token' });
    expect(request?.held).toMatchObject({ accessToken: 'at_1', refreshToken: 'rt_1' });
  });
});

describe('storedTokensUsable', () => {
  const held = { accessToken: 'at_1' };
  it.each([
    ['a different token, not expired', { accessToken: 'at_2', expiresAt: NOW + 1 }, true],
    ['a different token without expiry', { accessToken: 'at_2' }, true],
    ['the held token itself', { accessToken: 'at_1', expiresAt: NOW + 600_000 }, false],
    ['a different token, expired', { accessToken: 'at_2', expiresAt: NOW }, false],
    ['no access token', { refreshToken: 'rt' }, false],
    ['nothing stored', undefined, false],
  ] as const)('%s → %s', (_name, stored, want) => {
    expect(storedTokensUsable(stored, held, NOW)).toBe(want);
  });
});

describe('tokenSetOf', () => {
  it.each([
    [
      'OAuth fields and other strings as extra',
      { accessToken: 'a', refreshToken: 'r', expiresAt: 5, instanceUrl: 'https://i' },
      { accessToken: 'a', refreshToken: 'r', expiresAt: 5, extra: { instanceUrl: 'https://i' } },
    ],
    ['no refresh token, no expiry', { accessToken: 'a' }, { accessToken: 'a' }],
    ['an empty refresh token is left out', { accessToken: 'a', refreshToken: '' }, { accessToken: 'a' }],
  ] as const)('%s', (_name, credentials, want) => {
    expect(tokenSetOf(credentials)).toEqual(want);
  });
});
