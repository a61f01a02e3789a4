import { describe, expect, it } from 'vitest';
import type { AuthTarget } from '../../../src/runtime/auth/auth-strategy.js';
import { createAuthStrategy } from '../../../src/runtime/auth/create-auth.js';
import { CredentialStore } from '../../../src/runtime/auth/credential-store.js';
import { PlatformHeaders } from '../../../src/runtime/auth/platform-headers.js';
import { ConfigurationError, type PlatformMeta } from '../../../src/runtime/index.js';
import { makeMeta } from '../support/test-meta.js';

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
  await createAuthStrategy({ meta, store, connectionConfig }).apply(t);
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
