/**
 * The OAuth connect flow end to end against a real authorization server on loopback (npm `oidc-provider`: PKCE
 * required, refresh-token rotation, RFC 9207 `iss`), with Zoom of the catalogue pointed at it through
 * ENGARDE_PLATFORM_OVERRIDES: initiate, consent, callback; replayed, forged and expired states; `iss` mismatch;
 * denial; refresh (rotated token stored before use); refresh across two processes; invalid_grant; revocation on
 * disconnect. Every secret stays out of every response and log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJson } from '../../src/db/crypto/envelope-cipher.js';
import { oauthVerifierContext } from '../../src/db/crypto/seal-context.js';
import {
  type ConnectionRow,
  getConnection,
  loadCredentials,
  saveCredentials,
} from '../../src/db/repositories/connection-repository.js';
import type { Database } from '../../src/db/schema.js';
import { AuthenticationError, PrivateNetworkError } from '../../src/runtime/errors.js';
import {
  adapterForConnection,
  oauthEndpointFetch,
  oauthRegistrationFor,
} from '../../src/service/connection-adapters.js';
import { revokeConnectionTokens } from '../../src/service/oauth/token-revocation.js';
import type { ServiceContext } from '../../src/service/service-context.js';
import type { PlatformOverride } from '../../src/service/settings.js';
import { startTestAuthorizationServer, type TestAuthorizationServer } from '../support/oidc-test-provider.js';
import { startTestService, TEST_KEY_RING, type TestService } from '../support/service.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const REDIRECT_URI = `${PUBLIC_URL}/platform-integrations/oauth/callback`;
const CLIENT_ID = 'engarde-test-client';
const CLIENT_SECRET = `cs_${randomBytes(24).toString('hex')}`;
/** oidc-provider's consent covers only OpenID requests (`openid`); its refresh tokens are issued to every grant. */
const SCOPES = ['openid', 'offline_access'];
const STATE_SHAPE = /^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/;
const CONTENDER = path.resolve(import.meta.dirname, '../support/refresh-contender-process.ts');

let as: TestAuthorizationServer;
let service: TestService;
let overrides: Record<string, PlatformOverride>;
let tenant: { tenantId: string; apiKey: string };
let clockOffsetMs = 0;
const logs: string[] = [];
/** Every response the API gave (body and headers), to look for secrets in at the end. */
const answered: string[] = [];
/** Codes, tokens and verifiers seen during the run. */
const secrets = new Set<string>([CLIENT_SECRET]);

beforeAll(async () => {
  as = await startTestAuthorizationServer({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
  });
  overrides = {
    zoom: {
      baseUrl: as.apiUrl,
      oauth: {
        authorizationUrl: as.authorizationUrl,
        tokenUrl: as.tokenUrl,
        revocationUrl: as.revocationUrl,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        issuer: as.issuer,
      },
    },
    // OAuth apps without endpoint overrides: the platforms' own templated hosts.
    shopify: { oauth: { clientId: 'shopify-client', clientSecret: 'shopify-client-secret-value' } },
    gitlab: { oauth: { clientId: 'gitlab-client', clientSecret: 'gitlab-client-secret-value' } },
  };
  secrets.add('shopify-client-secret-value').add('gitlab-client-secret-value');
  service = await startTestService({
    logs,
    overrides,
    env: { ENGARDE_PUBLIC_URL: PUBLIC_URL, ENGARDE_API_RATE_LIMIT: '100000' },
    now: () => new Date(Date.now() + clockOffsetMs),
  });
  tenant = await service.tenant('Acme');
});

afterAll(async () => {
  await service?.close();
  await as?.close();
});

async function inject(options: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await service.app.inject(options);
  answered.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
  return res;
}

function initiate(body: Record<string, unknown>, apiKey = tenant.apiKey) {
  return inject({
    method: 'POST',
    url: '/platform-integrations/oauth/initiate',
    headers: service.auth(apiKey),
    payload: body,
  });
}

/** The callback, as the browser comes back: the query of the authorization server's redirect. */
function callback(back: URL, method: 'GET' | 'POST' = 'GET') {
  if (method === 'POST') {
    return inject({
      method: 'POST',
      url: '/platform-integrations/oauth/callback',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: back.searchParams.toString(),
    });
  }
  return inject({ method: 'GET', url: `/platform-integrations/oauth/callback${back.search}` });
}

/** Initiate and consent: the redirect back to EnGarde, not yet delivered. */
async function authorize(body: Record<string, unknown> = {}, consent: { deny?: boolean } = {}) {
  const started = await initiate({ platform: 'zoom', scopes: SCOPES, ...body });
  expect(started.statusCode).toBe(200);
  const { authorization_url: authorizationUrl, state } = started.json() as { authorization_url: string; state: string };
  const back = await as.consent(authorizationUrl, consent);
  const code = back.searchParams.get('code');
  if (code) secrets.add(code);
  return { authorizationUrl, state, back };
}

/** A new connection through the whole flow; its tokens are remembered as secrets. */
async function connect(body: Record<string, unknown> = {}): Promise<ConnectionRow> {
  const { back } = await authorize(body);
  const res = await callback(back);
  expect(res.statusCode, res.body).toBe(201);
  const id = (res.json() as { connection: { connection_id: string } }).connection.connection_id;
  await rememberTokens(id);
  return (await getConnection(service.ctx.db, tenant.tenantId, id)) as ConnectionRow;
}

async function credentialsOf(connectionId: string, tenantId = tenant.tenantId) {
  return (await loadCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, connectionId)) ?? {};
}

async function rememberTokens(connectionId: string): Promise<Record<string, unknown>> {
  const credentials = await credentialsOf(connectionId);
  for (const name of ['accessToken', 'refreshToken']) {
    const value = credentials[name];
    if (typeof value === 'string') secrets.add(value);
  }
  return credentials;
}

/** Makes the stored access token look expired to the service (the authorization server still honours it). */
async function expireStoredToken(connectionId: string): Promise<void> {
  const credentials = await credentialsOf(connectionId);
  await saveCredentials(service.ctx.db, service.ctx.settings.keyRing, tenant.tenantId, connectionId, {
    ...credentials,
    expiresAt: Date.now() - 1_000,
  });
}

/** A connection whose access token the authorization server has really let expire (issued with a 1 s lifetime). */
async function connectWithExpiredToken(): Promise<ConnectionRow> {
  as.accessTokenTtl = 1;
  const row = await connect();
  as.accessTokenTtl = 600;
  const { accessToken } = await credentialsOf(row.connectionId);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect((await as.introspect(accessToken as string)).active).toBe(false);
  return row;
}

async function usersThrough(ctx: ServiceContext, row: ConnectionRow): Promise<unknown[]> {
  const adapter = await adapterForConnection(ctx, row);
  try {
    return await adapter.fetch('users', { limit: 1 });
  } finally {
    await adapter.close();
  }
}

async function auditActions(connectionOrPlatform?: string): Promise<string[]> {
  let query = service.ctx.db
    .selectFrom('audit_log')
    .select(['action', 'target_id'])
    .where('tenant_id', '=', tenant.tenantId)
    .orderBy('audit_id');
  if (connectionOrPlatform) query = query.where('target_id', '=', connectionOrPlatform);
  return (await query.execute()).map((r) => r.action);
}

async function connectionCount(): Promise<number> {
  const row = await service.ctx.db
    .selectFrom('platform_connections')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenant.tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('OAuth connect: initiate, consent, callback', () => {
  it('initiate answers an authorization URL with PKCE S256 and a state stored only as its hash', async () => {
    const res = await initiate({ platform: 'zoom', scopes: SCOPES, label: 'Main account' });

    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as { authorization_url: string; state: string };
    expect(Object.keys(body).sort()).toEqual(['authorization_url', 'state']);
    expect(body.state).toMatch(STATE_SHAPE);
    expect(body.state.startsWith(tenant.tenantId.replace(/-/g, ''))).toBe(true);
    const url = new URL(body.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe(as.authorizationUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      state: body.state,
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const rows = await service.ctx.db
      .selectFrom('platform_oauth_states')
      .selectAll()
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    const row = rows.find((r) => r.state_hash.equals(createHash('sha256').update(body.state).digest()));
    expect(row).toMatchObject({ platform: 'zoom', label: 'Main account', scopes: SCOPES, consumed_at: null });
    expect(row?.expires_at.getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(row?.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    expect(JSON.stringify(rows)).not.toContain(body.state);
    expect(JSON.stringify(rows)).not.toContain(body.state.split('.')[1]);
  });

  it('consent and callback create the connection (201 JSON, no token) and audit both steps', async () => {
    const { back, state } = await authorize({ label: 'Sales' });
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('iss')).toBe(as.issuer);

    const res = await callback(back);

    expect(res.statusCode).toBe(201);
    const { connection } = res.json() as { connection: Record<string, unknown> };
    expect(Object.keys(connection).sort()).toEqual(
      ['connection_id', 'created_at', 'health', 'label', 'last_sync_at', 'platform', 'scopes', 'status'].sort(),
    );
    expect(connection).toMatchObject({ platform: 'zoom', label: 'Sales', status: 'active', scopes: SCOPES });
    const id = connection.connection_id as string;
    const credentials = await rememberTokens(id);
    expect(credentials).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresAt: expect.any(Number),
    });
    for (const value of [credentials.accessToken, credentials.refreshToken]) expect(res.body).not.toContain(value);
    const row = (await getConnection(service.ctx.db, tenant.tenantId, id)) as ConnectionRow;
    expect(await usersThrough(service.ctx, row)).toEqual([expect.objectContaining({ id: 'user-1' })]);
    expect(await auditActions(id)).toEqual(['oauth.connected']);
    expect(await auditActions('zoom')).toContain('oauth.initiated');
  });

  it('a GET callback with redirect_after redirects there with the connection id', async () => {
    const { back } = await authorize({ redirect_after: '/connected?from=oauth' });

    const res = await callback(back);

    expect(res.statusCode).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${PUBLIC_URL}/connected`);
    expect(location.searchParams.get('from')).toBe('oauth');
    const id = location.searchParams.get('connection_id') as string;
    expect(await getConnection(service.ctx.db, tenant.tenantId, id)).toMatchObject({ platform: 'zoom' });
    await rememberTokens(id);
  });

  it('a POST callback (form body) answers JSON even with redirect_after', async () => {
    const { back } = await authorize({ redirect_after: `${PUBLIC_URL}/done` });
    const res = await callback(back, 'POST');
    expect(res.statusCode).toBe(201);
    await rememberTokens((res.json() as { connection: { connection_id: string } }).connection.connection_id);
  });

  it('a user who declines gets 400 access_denied, or a redirect with ?error=access_denied; no connection', async () => {
    const before = await connectionCount();
    const plain = await authorize({}, { deny: true });
    expect(plain.back.searchParams.get('error')).toBe('access_denied');
    const res = await callback(plain.back);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, error: 'access_denied' });

    const redirected = await authorize({ redirect_after: '/connected' }, { deny: true });
    const res2 = await callback(redirected.back);
    expect(res2.statusCode).toBe(302);
    expect(res2.headers.location).toBe(`${PUBLIC_URL}/connected?error=access_denied`);
    expect(await connectionCount()).toBe(before);
  });
});

describe('OAuth callback: states that must not connect', () => {
  it('a replayed state answers 400 state_used and makes no second connection', async () => {
    const { back } = await authorize();
    const first = await callback(back);
    expect(first.statusCode).toBe(201);
    await rememberTokens((first.json() as { connection: { connection_id: string } }).connection.connection_id);
    const before = await connectionCount();

    const replays = await Promise.all([callback(back), callback(back), callback(back, 'POST')]);

    for (const res of replays) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'state_used' });
    }
    expect(await connectionCount()).toBe(before);
  });

  it('concurrent callbacks with one state make exactly one connection', async () => {
    const { back } = await authorize();
    const before = await connectionCount();
    const results = await Promise.all(Array.from({ length: 5 }, () => callback(back)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 400, 400, 400, 400]);
    expect(await connectionCount()).toBe(before + 1);
    const made = results.find((r) => r.statusCode === 201) as LightMyRequestResponse;
    await rememberTokens((made.json() as { connection: { connection_id: string } }).connection.connection_id);
  });

  const tenantHex = () => tenant.tenantId.replace(/-/g, '');
  it.each([
    ['no state', () => ''],
    ['a state that is not EnGarde-shaped', () => 'abc'],
    ['a well-shaped state never issued', () => `${tenantHex()}.${randomBytes(32).toString('base64url')}`],
    ['another tenant id with random bits', () => `${'0'.repeat(32)}.${randomBytes(32).toString('base64url')}`],
    ['an issued state with one character changed', () => 'tamper'],
  ])('a forged state (%s) answers 400 invalid_state, never a connection', async (_name, forge) => {
    const { back, state } = await authorize({ redirect_after: '/connected' });
    const before = await connectionCount();
    let forged = forge();
    if (forged === 'tamper') forged = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
    const query = new URLSearchParams(back.search);
    if (forged === '') query.delete('state');
    else query.set('state', forged);

    const res = await inject({ method: 'GET', url: `/platform-integrations/oauth/callback?${query}` });

    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_state' });
    expect(await connectionCount()).toBe(before);
    // The real state still works afterwards: a forgery does not burn it.
    const real = await callback(back);
    expect(real.statusCode).toBe(302);
    await rememberTokens(new URL(real.headers.location as string).searchParams.get('connection_id') as string);
  });

  it('an expired state (more than 10 minutes) answers 400 state_expired', async () => {
    const { back } = await authorize();
    const before = await connectionCount();
    clockOffsetMs = 10 * 60_000 + 1_000;
    try {
      const res = await callback(back);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'state_expired' });
    } finally {
      clockOffsetMs = 0;
    }
    expect(await connectionCount()).toBe(before);
  });

  it.each([
    ['another issuer', (q: URLSearchParams) => q.set('iss', 'http://127.0.0.1:1')],
    ['no iss at all', (q: URLSearchParams) => q.delete('iss')],
  ])('an authorization response with %s is refused (400 iss_mismatch) and its state is spent', async (_name, edit) => {
    const { back } = await authorize();
    const before = await connectionCount();
    const query = new URLSearchParams(back.search);
    edit(query);

    const res = await inject({ method: 'GET', url: `/platform-integrations/oauth/callback?${query}` });

    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'iss_mismatch' });
    expect((await callback(back)).json()).toMatchObject({ error: 'state_used' });
    expect(await connectionCount()).toBe(before);
    expect(as.grants.authorization_code ?? 0).toBeGreaterThan(0);
  });

  it('a code the authorization server refuses answers 400 token_exchange_failed, not 5xx', async () => {
    const { back } = await authorize();
    const query = new URLSearchParams(back.search);
    query.set('code', 'not-a-real-code');
    const res = await inject({ method: 'GET', url: `/platform-integrations/oauth/callback?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'token_exchange_failed' });
  });

  it.each([
    ['a repeated parameter', 'state=a&state=b'],
    ['an overlong state', `state=${'a'.repeat(600)}`],
  ])('a malformed callback (%s) answers 400', async (_name, query) => {
    const res = await inject({ method: 'GET', url: `/platform-integrations/oauth/callback?${query}` });
    expect(res.statusCode).toBe(400);
  });
});

describe('OAuth initiate: what it refuses', () => {
  it.each([
    ['an unknown platform', { platform: 'nope' }, 404, undefined],
    ['a platform without OAuth', { platform: 'stripe' }, 422, '/platform'],
    ['an OAuth platform without user consent (client_credentials)', { platform: 'criteo' }, 422, '/platform'],
    ['an OAuth platform without an OAuth app configured', { platform: 'dropbox' }, 409, undefined],
    [
      'an unknown connection setting',
      { platform: 'zoom', connection_config: { shop: 'x' } },
      422,
      '/connection_config/shop',
    ],
    [
      'a Shopify shop that is not a subdomain',
      { platform: 'shopify', connection_config: { shop: 'x@evil.com' } },
      422,
      '/connection_config/shop',
    ],
    [
      'a Shopify shop with a path',
      { platform: 'shopify', connection_config: { shop: 'acme/../evil' } },
      422,
      '/connection_config/shop',
    ],
    [
      'a GitLab host on a private network',
      { platform: 'gitlab', connection_config: { host: '10.0.0.1' } },
      422,
      '/connection_config/host',
    ],
    [
      'a GitLab host on loopback',
      { platform: 'gitlab', connection_config: { host: '127.0.0.1' } },
      422,
      '/connection_config/host',
    ],
    [
      'a GitLab host at the metadata address',
      { platform: 'gitlab', connection_config: { host: '169.254.169.254' } },
      422,
      '/connection_config/host',
    ],
    [
      'a GitLab metadata host name',
      { platform: 'gitlab', connection_config: { host: 'metadata.google.internal' } },
      422,
      '/connection_config/host',
    ],
    [
      'redirect_after on another origin',
      { platform: 'zoom', redirect_after: 'https://evil.example/x' },
      422,
      '/redirect_after',
    ],
    [
      'redirect_after protocol-relative',
      { platform: 'zoom', redirect_after: '//evil.example/x' },
      422,
      '/redirect_after',
    ],
    [
      'redirect_after with a backslash',
      { platform: 'zoom', redirect_after: '/\\evil.example' },
      422,
      '/redirect_after',
    ],
    [
      'redirect_after as javascript:',
      { platform: 'zoom', redirect_after: 'javascript:alert(1)' },
      422,
      '/redirect_after',
    ],
    [
      'redirect_after on another port',
      { platform: 'zoom', redirect_after: 'http://127.0.0.1:4000/x' },
      422,
      '/redirect_after',
    ],
    ['a scope with a space', { platform: 'zoom', scopes: ['a b'] }, 400, undefined],
    ['an unknown body field', { platform: 'zoom', tenant_id: 'x' }, 400, undefined],
  ])('%s → %s', async (_name, body, status, pointer) => {
    const before = await service.ctx.db
      .selectFrom('platform_oauth_states')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await initiate(body);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    if (pointer)
      expect((res.json() as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([pointer]);
    const after = await service.ctx.db
      .selectFrom('platform_oauth_states')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('the 409 for a missing OAuth app tells the operator what to configure', async () => {
    const res = await initiate({ platform: 'dropbox' });
    expect((res.json() as { detail: string }).detail).toContain('ENGARDE_PLATFORM_OVERRIDES');
    expect((res.json() as { detail: string }).detail).toContain(REDIRECT_URI);
  });

  it("a templated host (Shopify's {shop}) fills the platform's own authorization URL", async () => {
    const res = await initiate({ platform: 'shopify', connection_config: { shop: 'acme-store' } });
    expect(res.statusCode).toBe(200);
    const url = new URL((res.json() as { authorization_url: string }).authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe('https://acme-store.myshopify.com/admin/oauth/authorize');
  });

  it('a private-network refusal names the setting the operator can change', async () => {
    const res = await initiate({ platform: 'gitlab', connection_config: { host: '10.0.0.1' } });
    expect((res.json() as { detail: string }).detail).toContain('ENGARDE_ALLOW_PRIVATE_NETWORK');
  });

  it('a token request to a host the tenant chose goes through the private-network guard; an operator override does not', async () => {
    const gitlab = await service.ctx.registry.meta('gitlab');
    const guarded = oauthEndpointFetch(service.ctx, gitlab, 'tokenUrl', oauthRegistrationFor(service.ctx, 'gitlab'));
    expect(guarded).toBeTypeOf('function');
    await expect(
      guarded?.('https://10.0.0.1/oauth/token', { method: 'POST', headers: {}, body: new URLSearchParams() } as never),
    ).rejects.toBeInstanceOf(PrivateNetworkError);
    const zoom = await service.ctx.registry.meta('zoom');
    expect(
      oauthEndpointFetch(service.ctx, zoom, 'tokenUrl', oauthRegistrationFor(service.ctx, 'zoom')),
    ).toBeUndefined();
  });

  it('the OpenAPI description lists the initiate and callback routes', async () => {
    const res = await inject({ method: 'GET', url: '/openapi.json' });
    const paths = (res.json() as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths['/platform-integrations/oauth/initiate'] ?? {})).toEqual(['post']);
    expect(Object.keys(paths['/platform-integrations/oauth/callback'] ?? {}).sort()).toEqual(['get', 'post']);
  });

  it('needs a tenant API key', async () => {
    const res = await inject({
      method: 'POST',
      url: '/platform-integrations/oauth/initiate',
      payload: { platform: 'zoom' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('OAuth tokens after the connection', () => {
  it('an expired access token is refreshed once; the rotated refresh token is stored before it is used', async () => {
    const row = await connectWithExpiredToken();
    const old = await credentialsOf(row.connectionId);
    const grantsBefore = as.grants.refresh_token ?? 0;

    const adapter = await adapterForConnection(service.ctx, row);
    try {
      expect(await adapter.fetch('users', { limit: 1 })).toHaveLength(1);
      expect(await adapter.fetch('users', { limit: 1 })).toHaveLength(1);
    } finally {
      await adapter.close();
    }

    expect((as.grants.refresh_token ?? 0) - grantsBefore).toBe(1);
    const now = await rememberTokens(row.connectionId);
    expect(now.accessToken).not.toBe(old.accessToken);
    expect(now.refreshToken).not.toBe(old.refreshToken);
    expect(now.expiresAt as number).toBeGreaterThan(Date.now() + 500_000);
    // Renewed before the request: the expired token was never sent, the new one was accepted.
    expect(as.api.refused).not.toContain(old.accessToken);
    expect(as.api.accepted).toContain(now.accessToken);
    expect(await auditActions(row.connectionId)).toEqual(['oauth.connected', 'credentials.refreshed']);
    // The provider rotated the refresh token: the old one is refused, so only the stored one could still work.
    expect(await as.refreshDirectly(old.refreshToken as string)).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('two processes and 50 concurrent requests on an expired token make exactly one refresh grant', async () => {
    const row = await connectWithExpiredToken();
    const old = await credentialsOf(row.connectionId);
    const grantsBefore = as.grants.refresh_token ?? 0;
    const dir = mkdtempSync(path.join(tmpdir(), 'engarde-oauth-'));
    const overridesFile = path.join(dir, 'overrides.json');
    writeFileSync(overridesFile, JSON.stringify(overrides));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CONTENDER], {
      env: {
        ...process.env,
        DATABASE_URL: service.database.url,
        ENGARDE_ENCRYPTION_KEYS: TEST_KEY_RING,
        ENGARDE_PLATFORM_OVERRIDES: overridesFile,
        ENGARDE_PUBLIC_URL: PUBLIC_URL,
        ENGARDE_DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        TENANT_ID: tenant.tenantId,
        CONNECTION_ID: row.connectionId,
        CALLS: '25',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const ready = await lines.next();
    expect(ready.value, stderr).toBe('ready');

    // This process: two service contexts with their own pools, 13 + 12 adapters, all holding the expired token.
    const second = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: service.database.pool({ max: 5 }) }),
    });
    const ctxB: ServiceContext = { ...service.ctx, db: second };
    const adapters = await Promise.all(
      Array.from({ length: 25 }, (_, i) => adapterForConnection(i % 2 === 0 ? service.ctx : ctxB, row)),
    );
    // A slow token endpoint: whichever process renews, the other is certainly waiting on the lock meanwhile.
    as.tokenDelayMs = 300;
    let here: PromiseSettledResult<unknown>[];
    let there: { ok: number; failures: string[] };
    try {
      child.stdin?.write('go\n');
      here = await Promise.allSettled(adapters.map((adapter) => adapter.fetch('users', { limit: 1 })));
      there = JSON.parse(((await lines.next()).value as string | undefined) ?? '{}') as typeof there;
      await exited;
    } finally {
      as.tokenDelayMs = 0;
      child.kill();
      await Promise.all(adapters.map((adapter) => adapter.close()));
      await second.destroy();
    }

    expect(here.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(there).toEqual({ ok: 25, failures: [] });
    expect((as.grants.refresh_token ?? 0) - grantsBefore).toBe(1);
    const now = await rememberTokens(row.connectionId);
    expect(now.refreshToken).not.toBe(old.refreshToken);
    expect((await auditActions(row.connectionId)).filter((a) => a === 'credentials.refreshed')).toHaveLength(1);
  }, 60_000);

  it('a refused refresh (invalid_grant) marks the connection needs_reauth and is not retried', async () => {
    const row = await connect();
    const { refreshToken } = await credentialsOf(row.connectionId);
    // The user revoked the app at the platform: its refresh token no longer works.
    expect((await as.introspect(refreshToken as string)).active).toBe(true);
    await revokeAtProvider(refreshToken as string);
    await expireStoredToken(row.connectionId);
    const grantsBefore = as.grants.refresh_token ?? 0;

    await expect(usersThrough(service.ctx, row)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(usersThrough(service.ctx, row)).rejects.toBeInstanceOf(AuthenticationError);

    expect((as.grants.refresh_token ?? 0) - grantsBefore).toBe(1);
    expect(await getConnection(service.ctx.db, tenant.tenantId, row.connectionId)).toMatchObject({
      status: 'needs_reauth',
    });
    expect(await auditActions(row.connectionId)).toEqual(['oauth.connected', 'credentials.refresh_refused']);
  });

  it('disconnect revokes the refresh and access tokens at the platform (introspection: inactive)', async () => {
    const row = await connect();
    const { accessToken, refreshToken } = await credentialsOf(row.connectionId);
    expect((await as.introspect(accessToken as string)).active).toBe(true);

    const res = await inject({
      method: 'POST',
      url: `/integrations/zoom/disconnect?connection_id=${row.connectionId}`,
      headers: service.auth(tenant.apiKey),
    });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ revoked: true });
    expect((await as.introspect(refreshToken as string)).active).toBe(false);
    expect((await as.introspect(accessToken as string)).active).toBe(false);
    expect(await credentialsOf(row.connectionId)).toEqual({});
  });

  it.each([
    [
      'a platform without a revocation endpoint',
      { platform: 'github', credentials: { accessToken: 'gho_x', refreshToken: 'ghr_x' } },
      { revoked: false, detail: 'the platform has no revocation endpoint' },
    ],
    [
      'a platform without OAuth',
      { platform: 'stripe', credentials: { apiKey: 'sk_test_x' } },
      { revoked: false, detail: 'the platform has no revocation endpoint' },
    ],
    [
      'no stored tokens',
      { platform: 'zoom', credentials: undefined },
      { revoked: false, detail: 'no tokens are stored for the connection' },
    ],
  ])('revokeConnectionTokens: %s', async (_name, given, want) => {
    const row = { ...(await connect()), platform: given.platform };
    expect(await revokeConnectionTokens(service.ctx, row, given.credentials)).toEqual(want);
  });

  it('revokeConnectionTokens reports an unreachable endpoint without any secret', async () => {
    const row = await connect();
    const credentials = await credentialsOf(row.connectionId);
    const zoom = overrides.zoom as PlatformOverride;
    const ctx: ServiceContext = {
      ...service.ctx,
      settings: {
        ...service.ctx.settings,
        platformOverrides: {
          ...service.ctx.settings.platformOverrides,
          zoom: { ...zoom, oauth: { ...zoom.oauth, revocationUrl: 'http://127.0.0.1:1/revoke' } },
        },
      },
    };

    const outcome = await revokeConnectionTokens(ctx, row, credentials);

    expect(outcome.revoked).toBe(false);
    expect(outcome.detail).toMatch(/connection failed/);
    for (const secret of [credentials.accessToken, credentials.refreshToken, CLIENT_SECRET]) {
      expect(outcome.detail).not.toContain(secret);
    }
  });
});

describe('OAuth secrets', () => {
  it('no code, token, verifier or client secret is in any response, log line or audit entry', async () => {
    const states = await service.ctx.db.selectFrom('platform_oauth_states').selectAll().execute();
    for (const state of states) {
      const { codeVerifier } = openJson<{ codeVerifier: string | null }>(
        service.ctx.settings.keyRing,
        oauthVerifierContext(state.tenant_id, state.state_hash),
        state.verifier_data,
      );
      if (codeVerifier) secrets.add(codeVerifier);
    }
    const audits = JSON.stringify(await service.ctx.db.selectFrom('audit_log').selectAll().execute());
    expect(secrets.size).toBeGreaterThan(40);
    expect(answered.length).toBeGreaterThan(40);
    expect(logs.length).toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const secret of secrets) {
      if (answered.some((text) => text.includes(secret))) leaks.push(`response: ${secret.slice(0, 6)}…`);
      if (logs.some((line) => line.includes(secret))) leaks.push(`log: ${secret.slice(0, 6)}…`);
      if (audits.includes(secret)) leaks.push(`audit: ${secret.slice(0, 6)}…`);
    }
    expect(leaks).toEqual([]);
  });
});

/** RFC 7009 revocation sent directly to the authorization server (the user revoking the app there). */
async function revokeAtProvider(token: string): Promise<void> {
  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
  const res = await fetch(as.revocationUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }),
  });
  expect(res.status).toBe(200);
}
