/** The authorization-code flow: URL, state, PKCE S256, code exchange per client authentication, revocation. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConfigurationError,
  createAuthorizationRequest,
  exchangeAuthorizationCode,
  type OAuthClientRegistration,
  type PlatformMeta,
  revokeToken,
  statesMatch,
} from '../../../src/runtime/index.js';
import { type Handler, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';
import { answer, basicCredentials, captureLogs, errorText, form } from './oauth-test-kit.js';

const NOW = 1_700_000_000_000;
const REDIRECT = 'https://engarde.example.com/platform-integrations/oauth/callback';
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

const sha256url = (s: string) => createHash('sha256').update(s).digest('base64url');

const shopConfig = {
  shop: {
    type: 'string',
    description: 'Shop subdomain',
    pattern: '^[a-z0-9][a-z0-9-]*$',
    example: 'acme',
    hostSuffix: '.myshopify.com',
  },
};

function oauthMeta(auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): PlatformMeta {
  return makeMeta({
    connectionConfig: shopConfig,
    baseUrl: 'https://{shop}.myshopify.com/admin/api/{apiVersion}',
    auth: {
      kind: 'oauth2',
      authorizationUrl: 'https://{shop}.myshopify.com/admin/oauth/authorize',
      tokenUrl: 'https://{shop}.myshopify.com/admin/oauth/access_token',
      scopes: ['read_orders', 'read_products'],
      scopeSeparator: ',',
      refresh: { supported: true, defaultExpiresInSeconds: 7200 },
      ...auth,
    },
    ...extra,
  });
}

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(handler: Handler): Promise<LoopbackServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

describe('createAuthorizationRequest', () => {
  it('(f) builds the URL with every parameter and a correct S256 challenge', async () => {
    const meta = oauthMeta({ authorizationParams: { 'grant_options[]': 'per-user', prompt: 'consent' } });
    const request = await createAuthorizationRequest({
      meta,
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'app id/1' },
      redirectUri: REDIRECT,
    });
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://acme.myshopify.com/admin/oauth/authorize');
    expect(request.state).toMatch(BASE64URL_32);
    expect(request.codeVerifier).toMatch(BASE64URL_32);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'grant_options[]': 'per-user',
      prompt: 'consent',
      response_type: 'code',
      client_id: 'app id/1',
      redirect_uri: REDIRECT,
      scope: 'read_orders,read_products',
      state: request.state,
      code_challenge: sha256url(request.codeVerifier ?? ''),
      code_challenge_method: 'S256',
    });
  });

  it('makes a new state and verifier every time', async () => {
    const init = {
      meta: oauthMeta(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'c' },
      redirectUri: REDIRECT,
    };
    const [a, b] = await Promise.all([createAuthorizationRequest(init), createAuthorizationRequest(init)]);
    expect(a.state).not.toBe(b.state);
    expect(a.codeVerifier).not.toBe(b.codeVerifier);
  });

  const cases: Array<
    [
      string,
      {
        given: { auth?: Record<string, unknown>; scopes?: string[]; state?: string };
        want: Record<string, string | null>;
      },
    ]
  > = [
    [
      'given scopes and state',
      { given: { scopes: ['write_orders'], state: 'st_1' }, want: { scope: 'write_orders', state: 'st_1' } },
    ],
    [
      'space-separated scopes',
      { given: { auth: { scopeSeparator: ' ' } }, want: { scope: 'read_orders read_products' } },
    ],
    ['no scopes: no scope parameter', { given: { scopes: [] }, want: { scope: null } }],
    [
      'pkce none: no challenge',
      { given: { auth: { pkce: 'none' } }, want: { code_challenge: null, code_challenge_method: null } },
    ],
    [
      'authorizationParams cannot replace the runtime parameters',
      {
        given: {
          auth: { authorizationParams: { state: 'fixed', response_type: 'token', access_type: 'offline' } },
          state: 'st_2',
        },
        want: { state: 'st_2', response_type: 'code', access_type: 'offline' },
      },
    ],
  ];
  it.each(cases)('%s', async (_name, { given, want }) => {
    const request = await createAuthorizationRequest({
      meta: oauthMeta(given.auth),
      connectionConfig: { shop: 'acme.myshopify.com' },
      client: { clientId: 'c' },
      redirectUri: REDIRECT,
      scopes: given.scopes,
      state: given.state,
    });
    const params = new URL(request.url).searchParams;
    for (const [name, value] of Object.entries(want)) expect([name, params.get(name)]).toEqual([name, value]);
    if (given.auth?.pkce === 'none') expect(request.codeVerifier).toBeUndefined();
  });

  it('uses the client registration’s authorization URL override', async () => {
    const request = await createAuthorizationRequest({
      meta: oauthMeta(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'c', authorizationUrl: 'http://127.0.0.1:9/authorize' },
      redirectUri: 'http://127.0.0.1:3000/callback',
    });
    expect(request.url.startsWith('http://127.0.0.1:9/authorize?response_type=code&')).toBe(true);
  });

  const refusals: Array<[string, Partial<Parameters<typeof createAuthorizationRequest>[0]>, string]> = [
    ['a shop that would change the host', { connectionConfig: { shop: 'x@evil.com' } }, 'connectionConfig.shop'],
    ['a missing shop', { connectionConfig: {} }, 'connectionConfig.shop'],
    ['a relative redirect URI', { redirectUri: '/callback' }, 'redirectUri'],
    ['no client id', { client: { clientId: '' } }, 'oauthClient.clientId'],
    [
      'an http override to another host',
      { client: { clientId: 'c', authorizationUrl: 'http://evil.test/a' } },
      'oauthClient.authorizationUrl',
    ],
    ['a platform without OAuth2', { meta: makeMeta({ auth: { kind: 'bearer' } }) }, 'auth.kind'],
  ];
  it.each(refusals)('refuses %s', async (_name, override, field) => {
    const error = await createAuthorizationRequest({
      meta: oauthMeta(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'c' },
      redirectUri: REDIRECT,
      ...override,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe(field);
  });
});

describe('exchangeAuthorizationCode', () => {
  const CODE = 'code_SECRET_abc';
  const SECRET = 'cs:SECRET/+ 1';

  async function tokenServer(body: unknown = { access_token: 'shpat_1', scope: 'read_orders,read_products' }) {
    const s = await server((_req, res) => answer(res, 200, body));
    const client: OAuthClientRegistration = { clientId: 'cid', clientSecret: SECRET, tokenUrl: `${s.url}/token` };
    return { s, client };
  }

  it('(g) client_secret_basic: code_verifier, redirect_uri and a Basic header, no secret in the form', async () => {
    const { s, client } = await tokenServer();
    const tokens = await exchangeAuthorizationCode({
      meta: oauthMeta({ clientAuth: 'client_secret_basic' }),
      connectionConfig: { shop: 'acme' },
      client,
      redirectUri: REDIRECT,
      code: CODE,
      codeVerifier: 'verifier_1',
      now: () => NOW,
    });
    expect(tokens).toEqual({ accessToken: 'shpat_1', expiresAt: NOW + 7_200_000 });
    const req = s.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(form(req)).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: REDIRECT,
      code_verifier: 'verifier_1',
    });
    expect(basicCredentials(req)).toEqual(['cid', SECRET]);
  });

  it('(g) client_secret_post: client_id and client_secret in the form, no Authorization header', async () => {
    const { s, client } = await tokenServer();
    await exchangeAuthorizationCode({
      meta: oauthMeta({ clientAuth: 'client_secret_post' }),
      connectionConfig: { shop: 'acme' },
      client,
      redirectUri: REDIRECT,
      code: CODE,
      codeVerifier: 'verifier_1',
    });
    expect(s.requests[0]?.headers.authorization).toBeUndefined();
    expect(form(s.requests[0])).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: REDIRECT,
      code_verifier: 'verifier_1',
      client_id: 'cid',
      client_secret: SECRET,
    });
  });

  it('(g) a public client (no secret) sends only its client_id with PKCE', async () => {
    const { s, client } = await tokenServer();
    await exchangeAuthorizationCode({
      meta: oauthMeta({ clientAuth: 'client_secret_basic' }),
      connectionConfig: { shop: 'acme' },
      client: { clientId: client.clientId, tokenUrl: client.tokenUrl },
      redirectUri: REDIRECT,
      code: CODE,
      codeVerifier: 'verifier_1',
    });
    expect(s.requests[0]?.headers.authorization).toBeUndefined();
    expect(form(s.requests[0])).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: REDIRECT,
      code_verifier: 'verifier_1',
      client_id: 'cid',
    });
  });

  it('without PKCE (pkce: none) sends no code_verifier', async () => {
    const { s, client } = await tokenServer();
    await exchangeAuthorizationCode({
      meta: oauthMeta({ pkce: 'none' }),
      connectionConfig: { shop: 'acme' },
      client,
      redirectUri: REDIRECT,
      code: CODE,
    });
    expect(form(s.requests[0])).not.toHaveProperty('code_verifier');
  });

  it('keeps tokenResponseFields camelCased (Salesforce instance_url)', async () => {
    const { client } = await tokenServer({
      access_token: '00D!AQ',
      refresh_token: '5Aep8',
      token_type: 'Bearer',
      instance_url: 'https://na1.salesforce.com',
      issued_at: '1700000000000',
      signature: 'c2ln',
    });
    const tokens = await exchangeAuthorizationCode({
      meta: oauthMeta({ tokenResponseFields: ['instance_url'] }),
      connectionConfig: { shop: 'acme' },
      client,
      redirectUri: REDIRECT,
      code: CODE,
      codeVerifier: 'v',
      now: () => NOW,
    });
    expect(tokens).toEqual({
      accessToken: '00D!AQ',
      refreshToken: '5Aep8',
      expiresAt: NOW + 7_200_000,
      extra: { instanceUrl: 'https://na1.salesforce.com' },
    });
  });

  it('goes end to end: the token server checks the verifier against the challenge from the URL', async () => {
    const challenges = new Map<string, string>();
    const s = await server((req, res) => {
      const f = form(req);
      const ok = challenges.get(f.code ?? '') === sha256url(f.code_verifier ?? '');
      return ok
        ? answer(res, 200, { access_token: 'at_pkce', token_type: 'Bearer', expires_in: 60 })
        : answer(res, 400, { error: 'invalid_grant' });
    });
    const meta = oauthMeta();
    const client = { clientId: 'cid', tokenUrl: `${s.url}/token` };
    const request = await createAuthorizationRequest({
      meta,
      connectionConfig: { shop: 'acme' },
      client,
      redirectUri: REDIRECT,
    });
    // The authorization server keeps the challenge with the code it issues, and sends state back.
    challenges.set('c1', new URL(request.url).searchParams.get('code_challenge') ?? '');
    const callback = { code: 'c1', state: new URL(request.url).searchParams.get('state') };
    expect(statesMatch(request.state, callback.state)).toBe(true);
    const init = { meta, connectionConfig: { shop: 'acme' }, client, redirectUri: REDIRECT, code: callback.code };
    const tokens = await exchangeAuthorizationCode({ ...init, codeVerifier: request.codeVerifier, now: () => NOW });
    expect(tokens.accessToken).toBe('at_pkce');
    await expect(exchangeAuthorizationCode({ ...init, codeVerifier: 'another_verifier' })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('a refused code is an AuthenticationError without the code, verifier or client secret', async () => {
    const s = await server((_req, res) =>
      answer(res, 400, { error: 'invalid_grant', error_description: `code ${CODE} already used` }),
    );
    const { logger, lines } = captureLogs();
    const error = await exchangeAuthorizationCode({
      meta: oauthMeta({ clientAuth: 'client_secret_post' }),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'cid', clientSecret: SECRET, tokenUrl: `${s.url}/token` },
      redirectUri: REDIRECT,
      code: CODE,
      codeVerifier: 'verifier_SECRET_1',
      logger,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toBe(
      'acme: exchanging the authorization code failed (400 invalid_grant); start the authorization again',
    );
    const text = `${errorText(error)}\n${lines.join('\n')}`;
    for (const secret of [CODE, 'verifier_SECRET_1', SECRET]) expect(text).not.toContain(secret);
  });

  it('requires the code verifier when the platform uses PKCE', async () => {
    const error = await exchangeAuthorizationCode({
      meta: oauthMeta(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'cid', tokenUrl: 'http://127.0.0.1:9/token' },
      redirectUri: REDIRECT,
      code: CODE,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe('codeVerifier');
  });
});

describe('revokeToken', () => {
  const revocable = (clientAuth = 'client_secret_basic') =>
    oauthMeta({ revocationUrl: 'https://{shop}.myshopify.com/admin/oauth/revoke', clientAuth });

  it('posts the token and hint with client authentication (RFC 7009)', async () => {
    const s = await server((_req, res) => answer(res, 200, ''));
    await revokeToken({
      meta: revocable(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'cid', clientSecret: 'cs_1', revocationUrl: `${s.url}/revoke` },
      token: 'rt_1',
      tokenTypeHint: 'refresh_token',
    });
    expect(s.requests[0]?.path).toBe('/revoke');
    expect(form(s.requests[0])).toEqual({ token_type_hint: 'refresh_token', token: 'rt_1' });
    expect(basicCredentials(s.requests[0])).toEqual(['cid', 'cs_1']);
  });

  it('a refusal is an error without the token', async () => {
    const s = await server((_req, res) => answer(res, 400, { error: 'unsupported_token_type' }));
    const error = await revokeToken({
      meta: revocable('client_secret_post'),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'cid', clientSecret: 'cs_SECRET_2', revocationUrl: `${s.url}/revoke` },
      token: 'rt_SECRET_1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('revoking the token failed (400 unsupported_token_type)');
    expect(errorText(error)).not.toMatch(/rt_SECRET_1|cs_SECRET_2/);
  });

  it('refuses a platform without a revocation URL', async () => {
    const error = await revokeToken({
      meta: oauthMeta(),
      connectionConfig: { shop: 'acme' },
      client: { clientId: 'cid' },
      token: 'rt_1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe('auth.revocationUrl');
  });
});

describe('statesMatch', () => {
  const cases: Array<[string, { given: [string | undefined | null, string | undefined | null]; want: boolean }]> = [
    ['equal', { given: ['abc_DEF-123', 'abc_DEF-123'], want: true }],
    ['different', { given: ['abc_DEF-123', 'abc_DEF-124'], want: false }],
    ['a prefix', { given: ['abc_DEF-123', 'abc_DEF'], want: false }],
    ['case differs', { given: ['abc', 'ABC'], want: false }],
    ['missing received', { given: ['abc', undefined], want: false }],
    ['null expected', { given: [null, 'abc'], want: false }],
    ['both empty', { given: ['', ''], want: false }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(statesMatch(...given)).toBe(want);
  });
});
