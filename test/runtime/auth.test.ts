import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  type AuthTarget,
  ConfigurationError,
  CredentialStore,
  createAuthStrategy,
  OAuth2Auth,
  PlatformHeaders,
  type PlatformMeta,
  type TokenEndpointRequest,
  type TokenSet,
} from '../../src/runtime/index.js';
import { makeMeta } from './support/test-meta.js';

function target(): AuthTarget {
  return { headers: {}, query: new URLSearchParams() };
}

async function applied(
  meta: PlatformMeta,
  credentials: Record<string, unknown>,
  connectionConfig: Record<string, string> = {},
) {
  const store = new CredentialStore(meta, credentials, connectionConfig);
  const t = target();
  await new PlatformHeaders(meta.headers, store).apply(t);
  await createAuthStrategy({ meta, store, connectionConfig, postToken: async () => ({}) }).apply(t);
  return t;
}

const basic64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('auth variants', () => {
  const cases: Array<
    [
      string,
      Record<string, unknown>,
      Record<string, unknown>,
      { headers?: Record<string, string>; query?: Record<string, string> },
    ]
  > = [
    [
      'bearer: default Authorization header',
      { kind: 'bearer' },
      { token: 't_1' },
      { headers: { Authorization: 'Bearer t_1' } },
    ],
    [
      'bearer: custom header form',
      { kind: 'bearer', header: { name: 'X-Token', value: 'Token {token}' } },
      { token: 't_1' },
      { headers: { 'X-Token': 'Token t_1' } },
    ],
    [
      'api key in a header with a template',
      { kind: 'api_key', in: 'header', name: 'Authorization', value: 'Bearer {apiKey}' },
      { apiKey: 'k_1' },
      { headers: { Authorization: 'Bearer k_1' } },
    ],
    [
      'api key in the query',
      { kind: 'api_key', in: 'query', name: 'api_key' },
      { apiKey: 'k_1' },
      { query: { api_key: 'k_1' } },
    ],
    [
      'basic: username and password',
      { kind: 'basic', usernameField: 'email', passwordField: 'password' },
      { email: 'a@b.c', password: 'pw' },
      { headers: { Authorization: basic64('a@b.c:pw') } },
    ],
    [
      'basic: Stripe-style key as username, empty password',
      { kind: 'basic', usernameField: 'apiKey' },
      { apiKey: 'sk_test_1' },
      { headers: { Authorization: basic64('sk_test_1:') } },
    ],
    [
      'oauth2: default Bearer header',
      {
        kind: 'oauth2',
        grantType: 'client_credentials',
        tokenUrl: 'https://auth.acme.test/token',
        refresh: { supported: false },
      },
      { accessToken: 'at_1' },
      { headers: { Authorization: 'Bearer at_1' } },
    ],
    [
      'oauth2: Shopify-style header',
      {
        kind: 'oauth2',
        authorizationUrl: 'https://acme.test/authorize',
        tokenUrl: 'https://acme.test/token',
        refresh: { supported: false },
        header: { name: 'X-Shopify-Access-Token', value: '{accessToken}' },
      },
      { accessToken: 'shpat_1' },
      { headers: { 'X-Shopify-Access-Token': 'shpat_1' } },
    ],
  ];
  it.each(cases)('%s', async (_name, auth, credentials, want) => {
    const t = await applied(makeMeta({ auth }), credentials);
    expect(t.headers).toEqual(want.headers ?? {});
    expect(Object.fromEntries(t.query)).toEqual(want.query ?? {});
  });

  it('fills platform headers from credentials and connection config', async () => {
    const meta = makeMeta({
      auth: {
        kind: 'bearer',
        extraCredentials: {
          developerToken: { description: 'dev token' },
          loginCustomerId: { description: 'mcc', optional: true, secret: false },
        },
      },
      connectionConfig: { accountId: { type: 'string', description: 'a', pattern: '^[0-9]+$', example: '1' } },
      headers: {
        'developer-token': '{developerToken}',
        'login-customer-id': '{loginCustomerId}',
        'x-account': '{accountId}',
      },
    });
    const t = await applied(meta, { token: 't', developerToken: 'dt_1' }, { accountId: '42' });
    expect(t.headers).toEqual({ 'developer-token': 'dt_1', 'x-account': '42', Authorization: 'Bearer t' });
  });

  it('names a missing credential field without any value', async () => {
    const meta = makeMeta({ auth: { kind: 'api_key', in: 'header', name: 'X-Api-Key' } });
    const error = await applied(meta, { other: 'secret_value_1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe('credentials.apiKey');
    expect((error as Error).message).toContain('credentials.apiKey');
    expect((error as Error).message).not.toContain('secret_value_1');
  });

  it('rejects a credential with a line break (header injection)', async () => {
    const error = await applied(makeMeta({ auth: { kind: 'bearer' } }), { token: 'a\r\nX-Evil: 1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain('X-Evil');
  });
});

describe('OAuth2 refresh', () => {
  const meta = makeMeta({
    auth: {
      kind: 'oauth2',
      authorizationUrl: 'https://auth.acme.test/authorize',
      tokenUrl: 'https://auth.acme.test/token',
      clientAuth: 'client_secret_basic',
      refresh: { supported: true, rotatesRefreshToken: true, skewSeconds: 60 },
      tokenResponseFields: ['instance_url'],
    },
  });
  const now = 1_700_000_000_000;

  function setup(credentials: Record<string, unknown>, answer: (req: TokenEndpointRequest) => Promise<unknown>) {
    const store = new CredentialStore(meta, credentials, {});
    const calls: TokenEndpointRequest[] = [];
    const saved: TokenSet[] = [];
    const auth = new OAuth2Auth({
      config: meta.auth as Extract<PlatformMeta['auth'], { kind: 'oauth2' }>,
      store,
      tokenUrl: () => 'https://auth.acme.test/token',
      client: { clientId: 'cid', clientSecret: 'csecret' },
      onTokens: (t) => {
        saved.push(t);
      },
      postToken: async (req) => {
        calls.push(req);
        return answer(req);
      },
      now: () => now,
    });
    return { auth, store, calls, saved };
  }

  it('refreshes an expiring token once for concurrent callers and reports the new tokens', async () => {
    const { auth, calls, saved } = setup(
      { accessToken: 'old', refreshToken: 'r1', expiresAt: now + 10_000 },
      async () => {
        await new Promise((r) => setTimeout(r, 10));
        return { access_token: 'new', refresh_token: 'r2', expires_in: 3600, instance_url: 'https://na1.test' };
      },
    );
    const targets = Array.from({ length: 5 }, target);
    await Promise.all(targets.map((t) => auth.apply(t)));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1' });
    expect(calls[0]?.headers.Authorization).toBe(basic64('cid:csecret'));
    expect(targets.map((t) => t.headers.Authorization)).toEqual(Array(5).fill('Bearer new'));
    expect(saved).toEqual([
      {
        accessToken: 'new',
        refreshToken: 'r2',
        expiresAt: now + 3_600_000,
        extra: { instanceUrl: 'https://na1.test' },
      },
    ]);
  });

  it('does not refresh a token that is still fresh', async () => {
    const { auth, calls } = setup(
      { accessToken: 'old', refreshToken: 'r1', expiresAt: now + 3_600_000 },
      async () => ({}),
    );
    const t = target();
    await auth.apply(t);
    expect(calls).toHaveLength(0);
    expect(t.headers.Authorization).toBe('Bearer old');
  });

  it('uses a fresh token shorter-lived than the skew instead of refreshing on every request', async () => {
    const { auth, calls } = setup({ accessToken: 'old', refreshToken: 'r1', expiresAt: now - 1 }, async () => ({
      access_token: 'new',
      expires_in: 30,
    }));
    await auth.apply(target());
    await auth.apply(target());
    expect(calls).toHaveLength(1);
  });

  it('recovers from a 401 by refreshing, and skips the refresh when another caller already did', async () => {
    const { auth, calls } = setup({ accessToken: 'old', refreshToken: 'r1' }, async () => ({ access_token: 'new' }));
    const a = target();
    const b = target();
    await auth.apply(a);
    await auth.apply(b);
    expect(await auth.recover(a)).toBe(true);
    expect(await auth.recover(b)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('turns a refused refresh into an AuthenticationError without the refresh token', async () => {
    const { auth } = setup({ accessToken: 'old', refreshToken: 'r_secret_1' }, async () => {
      const { errorFromResponse } = await import('../../src/runtime/index.js');
      throw errorFromResponse({ platformId: 'acme', status: 400, body: { error: 'invalid_grant' } });
    });
    const error = await auth.recover(target()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('invalid_grant');
    expect(JSON.stringify(error)).not.toContain('r_secret_1');
  });
});
