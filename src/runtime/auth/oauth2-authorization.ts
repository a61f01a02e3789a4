/**
 * The authorization-code flow for connecting an account (the service's `/platform-integrations/oauth/initiate`
 * and `/callback`): the authorization URL with `state` and a PKCE S256 challenge, the code exchange, a
 * constant-time `state` comparison, and token revocation (RFC 7009). Built on oauth4webapi.
 *
 * The caller keeps `state` and `codeVerifier` server-side between the two steps and compares the callback's
 * `state` with {@link statesMatch} before calling {@link exchangeAuthorizationCode}.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { Logger } from 'pino';
import type { PlatformMeta, TokenSet } from '../adapter-types.js';
import { fillConnectionPlaceholders } from '../base-url.js';
import { ConfigurationError } from '../errors.js';
import {
  type OAuth2AuthConfig,
  OAuth2TokenClient,
  type OAuthClientRegistration,
  resolveOAuthEndpoint,
  type TokenFetch,
} from './oauth2-token-client.js';

/** Query parameters the runtime sets itself; `authorizationParams` cannot replace them. */
const RESERVED_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
]);

interface OAuthFlowBase {
  meta: PlatformMeta;
  /** Fills placeholders of the platform's OAuth URLs (e.g. Shopify `{ shop }`); validated like the base URL. */
  connectionConfig?: Readonly<Record<string, unknown>> | undefined;
  /** The deployment's OAuth app; its endpoint URLs, when set, replace the platform's. */
  client: OAuthClientRegistration;
}

export interface AuthorizationRequestInit extends OAuthFlowBase {
  /** Where the platform sends the user back (must match the app's registration). */
  redirectUri: string;
  /** Default: the platform's `auth.scopes`. Joined with its `scopeSeparator`. */
  scopes?: readonly string[] | undefined;
  /** Default: 32 random bytes, base64url (oauth4webapi `generateRandomState`). */
  state?: string | undefined;
}

export interface AuthorizationRequest {
  /** Where to send the user's browser. */
  url: string;
  /** Keep server-side; compare with the callback's `state` using {@link statesMatch}. */
  state: string;
  /** Keep server-side (secret) for {@link exchangeAuthorizationCode}; `undefined` when the platform has `pkce: 'none'`. */
  codeVerifier: string | undefined;
}

export interface TokenRequestTransport {
  /** Transport (oauth4webapi `customFetch`); default `globalThis.fetch`. */
  fetch?: TokenFetch | undefined;
  signal?: AbortSignal | undefined;
  /** Default 30 000 ms. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  /** Epoch ms (for `expiresAt`); injected in tests. */
  now?: (() => number) | undefined;
}

export interface CodeExchangeInit extends OAuthFlowBase, TokenRequestTransport {
  /** The same redirect URI the authorization request used. */
  redirectUri: string;
  /** The callback's `code`. */
  code: string;
  /** From {@link createAuthorizationRequest}; required when the platform uses PKCE. */
  codeVerifier?: string | undefined;
}

export interface RevokeTokenInit extends OAuthFlowBase, TokenRequestTransport {
  token: string;
  tokenTypeHint?: 'access_token' | 'refresh_token' | undefined;
}

/**
 * The authorization URL for connecting an account, with a fresh `state` and (for `pkce: 'S256'`) code verifier.
 *
 * @throws ConfigurationError when the platform is not OAuth2 authorization-code, has no authorization URL, the
 *   connection config cannot fill it, or the redirect URI is not an absolute http(s) URL.
 * @example
 * const { url, state, codeVerifier } = await createAuthorizationRequest({
 *   meta: ShopifyAdapter.meta, connectionConfig: { shop: 'acme' }, client: { clientId },
 *   redirectUri: 'https://engarde.example.com/platform-integrations/oauth/callback',
 * });
 * // url: https://acme.myshopify.com/admin/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&scope=read_orders,read_products&state=…&code_challenge=…&code_challenge_method=S256
 */
export async function createAuthorizationRequest(init: AuthorizationRequestInit): Promise<AuthorizationRequest> {
  const { meta, client } = init;
  const config = authorizationCodeConfig(meta);
  requireClientId(meta, client);
  const redirectUri = checkRedirectUri(meta, init.redirectUri);
  const endpoint = resolveOAuthEndpoint(meta, init.connectionConfig, 'authorizationUrl', client);
  if (endpoint === undefined) {
    throw new ConfigurationError(`${meta.id}: the platform has no authorization URL`, {
      field: 'auth.authorizationUrl',
      platformId: meta.id,
    });
  }
  if (init.state !== undefined && init.state === '') {
    throw new ConfigurationError(`${meta.id}: state must not be empty`, { field: 'state', platformId: meta.id });
  }
  const state = init.state ?? oauth.generateRandomState();
  // A scope may name the tenant's host (Dynamics 365: `https://{orgHost}/user_impersonation`).
  const scopes = (init.scopes ?? config.scopes).map((scope) =>
    fillConnectionPlaceholders(scope, meta, (init.connectionConfig ?? {}) as Record<string, unknown>),
  );

  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(config.authorizationParams)) {
    if (!RESERVED_PARAMS.has(name)) url.searchParams.set(name, value);
  }
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  if (scopes.length > 0) url.searchParams.set('scope', scopes.join(config.scopeSeparator));
  url.searchParams.set('state', state);
  let codeVerifier: string | undefined;
  if (config.pkce === 'S256') {
    codeVerifier = oauth.generateRandomCodeVerifier();
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return { url: url.toString(), state, codeVerifier };
}

/**
 * Exchanges the callback's `code` for tokens (with `code_verifier` and `redirect_uri`, and the client
 * authentication the platform uses). `expiresAt` comes from `expires_in`, else `refresh.defaultExpiresInSeconds`;
 * `extra` holds the platform's `tokenResponseFields`, camelCased (Salesforce `instanceUrl`).
 *
 * @throws AuthenticationError when the token endpoint refuses (an expired or reused code: `invalid_grant`).
 * @throws ConfigurationError for a missing client id, code or (with PKCE) code verifier.
 * @example
 * if (!statesMatch(saved.state, query.state)) throw new Error('state mismatch');
 * const tokens = await exchangeAuthorizationCode({ meta, connectionConfig, client, redirectUri, code, codeVerifier: saved.codeVerifier });
 */
export async function exchangeAuthorizationCode(init: CodeExchangeInit): Promise<TokenSet> {
  const { meta, client } = init;
  const config = authorizationCodeConfig(meta);
  requireClientId(meta, client);
  const redirectUri = checkRedirectUri(meta, init.redirectUri);
  if (typeof init.code !== 'string' || init.code === '') {
    throw new ConfigurationError(`${meta.id}: the authorization code is missing`, {
      field: 'code',
      platformId: meta.id,
    });
  }
  if (config.pkce === 'S256' && !init.codeVerifier) {
    throw new ConfigurationError(`${meta.id}: codeVerifier is required (the platform uses PKCE S256)`, {
      field: 'codeVerifier',
      platformId: meta.id,
    });
  }
  const tokenClient = new OAuth2TokenClient({
    platformId: meta.id,
    config,
    client,
    tokenUrl: resolveOAuthEndpoint(meta, init.connectionConfig, 'tokenUrl', client) as string,
    ...transport(init),
  });
  return tokenClient.request(
    { grantType: 'authorization_code', code: init.code, redirectUri, codeVerifier: init.codeVerifier },
    init.signal,
  );
}

/**
 * Revokes an access or refresh token at the platform's revocation endpoint (RFC 7009).
 *
 * @throws ConfigurationError when the platform has no revocation URL (check `meta.auth.revocationUrl` first).
 * @example
 * await revokeToken({ meta, client, token: credentials.refreshToken, tokenTypeHint: 'refresh_token' });
 */
export async function revokeToken(init: RevokeTokenInit): Promise<void> {
  const { meta, client } = init;
  const config = oauth2Config(meta);
  requireClientId(meta, client);
  const revocationUrl = resolveOAuthEndpoint(meta, init.connectionConfig, 'revocationUrl', client);
  if (revocationUrl === undefined) {
    throw new ConfigurationError(`${meta.id}: the platform has no token revocation endpoint`, {
      field: 'auth.revocationUrl',
      platformId: meta.id,
    });
  }
  if (typeof init.token !== 'string' || init.token === '') {
    throw new ConfigurationError(`${meta.id}: the token to revoke is missing`, { field: 'token', platformId: meta.id });
  }
  const tokenClient = new OAuth2TokenClient({
    platformId: meta.id,
    config,
    client,
    tokenUrl: resolveOAuthEndpoint(meta, init.connectionConfig, 'tokenUrl', client) as string,
    revocationUrl,
    ...transport(init),
  });
  await tokenClient.revoke(init.token, init.tokenTypeHint, init.signal);
}

/**
 * Compares an expected and a received `state` in constant time (for equal lengths; both are hashed first, so
 * the length is not revealed either). `false` when either is missing or empty.
 *
 * @example
 * statesMatch(session.state, String(query.state)); // true only for the exact value
 */
export function statesMatch(expected: string | undefined | null, received: string | undefined | null): boolean {
  if (typeof expected !== 'string' || typeof received !== 'string' || expected === '' || received === '') {
    return false;
  }
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(received, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function transport(init: TokenRequestTransport) {
  return { fetch: init.fetch, timeoutMs: init.timeoutMs, logger: init.logger, now: init.now };
}

function oauth2Config(meta: PlatformMeta): OAuth2AuthConfig {
  if (meta.auth.kind !== 'oauth2') {
    throw new ConfigurationError(`${meta.id}: the platform does not use OAuth2 (auth.kind is ${meta.auth.kind})`, {
      field: 'auth.kind',
      platformId: meta.id,
    });
  }
  return meta.auth;
}

function authorizationCodeConfig(meta: PlatformMeta): OAuth2AuthConfig {
  const config = oauth2Config(meta);
  if (config.grantType !== 'authorization_code') {
    throw new ConfigurationError(
      `${meta.id}: the platform uses the ${config.grantType} grant, not authorization_code`,
      {
        field: 'auth.grantType',
        platformId: meta.id,
      },
    );
  }
  return config;
}

function requireClientId(meta: PlatformMeta, client: OAuthClientRegistration | undefined): void {
  if (!client?.clientId) {
    throw new ConfigurationError(`${meta.id}: an OAuth client (oauthClient.clientId) is required`, {
      field: 'oauthClient.clientId',
      platformId: meta.id,
    });
  }
}

function checkRedirectUri(meta: PlatformMeta, redirectUri: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(redirectUri);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.hash !== '') {
    throw new ConfigurationError(`${meta.id}: redirectUri must be an absolute http(s) URL without a fragment`, {
      field: 'redirectUri',
      platformId: meta.id,
    });
  }
  return redirectUri;
}
