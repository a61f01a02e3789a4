/**
 * OAuth2 access tokens on requests, renewed before they expire and after a 401.
 *
 * Renewal is single-flight: concurrent callers share one token request, so a rotating refresh token is spent once.
 * New tokens go to `onTokens` (the store persists them) before any waiting request is sent again.
 */
import type { OAuthClient, TokenSet } from '../adapter-types.js';
import { AdapterError, ApiError, AuthenticationError, ConfigurationError } from '../errors.js';
import { type AuthConfig, camelCase } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type OAuth2AuthConfig = Extract<AuthConfig, { kind: 'oauth2' }>;

export interface TokenEndpointRequest {
  url: string;
  /** Form fields, sent `application/x-www-form-urlencoded`. */
  form: Record<string, string>;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** Posts to a token endpoint and resolves with the parsed JSON body; rejects with an `ApiError` on a non-2xx. */
export type TokenEndpoint = (request: TokenEndpointRequest) => Promise<unknown>;

export interface OAuth2AuthOptions {
  config: OAuth2AuthConfig;
  store: CredentialStore;
  /** The token URL with its placeholders filled (resolved lazily: only a refresh needs it). */
  tokenUrl: () => string;
  client?: OAuthClient | undefined;
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  postToken: TokenEndpoint;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
}

/**
 * @example
 * const auth = new OAuth2Auth({ config: meta.auth, store, tokenUrl: () => url, client, onTokens, postToken });
 * await auth.apply(target); // target.headers.Authorization === 'Bearer <accessToken>' (refreshed first if expiring)
 */
export class OAuth2Auth implements AuthStrategy {
  readonly kind = 'oauth2' as const;
  readonly sensitiveNames: readonly string[];
  readonly #options: OAuth2AuthOptions;
  readonly #now: () => number;
  #version = 0;
  /** When this instance last obtained tokens (epoch ms); bounds the skew for short-lived tokens. */
  #obtainedAt: number | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: OAuth2AuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.sensitiveNames = [options.config.header.name];
  }

  /** Generation of the credentials; increases with every successful renewal. */
  get version(): number {
    return this.#version;
  }

  /** Whether new tokens can be obtained without the user (refresh token or client credentials, and a client). */
  canRefresh(): boolean {
    const { config, client, store } = this.#options;
    if (!client?.clientId) return false;
    if (config.grantType === 'client_credentials') return true;
    return config.refresh.supported && (store.credential('refreshToken') ?? '') !== '';
  }

  /**
   * Whether the access token is missing or within `refresh.skewSeconds` of `expiresAt`. For tokens this instance
   * obtained, the skew is at most half their lifetime, so a token shorter-lived than the skew is still used.
   */
  needsRefresh(): boolean {
    const { store, config } = this.#options;
    if ((store.credential('accessToken') ?? '') === '') return true;
    const expiresAt = Number(store.credentials.expiresAt);
    if (!Number.isFinite(expiresAt) || expiresAt <= 0) return false;
    let skewMs = config.refresh.skewSeconds * 1000;
    if (this.#obtainedAt !== undefined) skewMs = Math.min(skewMs, (expiresAt - this.#obtainedAt) / 2);
    return this.#now() >= expiresAt - skewMs;
  }

  async apply(target: AuthTarget, signal?: AbortSignal): Promise<void> {
    if (this.needsRefresh() && this.canRefresh()) await this.refresh(signal);
    const { name, value } = this.#options.config.header;
    target.headers[name] = this.#options.store.render(value, `the ${name} header`);
    target.credentialVersion = this.#version;
  }

  async recover(target: AuthTarget, signal?: AbortSignal): Promise<boolean> {
    if (target.credentialVersion !== undefined && target.credentialVersion !== this.#version) return true;
    if (!this.canRefresh()) return false;
    await this.refresh(signal);
    return true;
  }

  /**
   * Obtains new tokens; concurrent calls share one request. Resolves after `onTokens` has run.
   * @throws AuthenticationError when the token endpoint refuses (e.g. `invalid_grant`).
   */
  refresh(signal?: AbortSignal): Promise<void> {
    this.#refreshing ??= this.#refresh(signal).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(signal?: AbortSignal): Promise<void> {
    const { config, client, store } = this.#options;
    const platformId = store.platformId;
    if (!client?.clientId) {
      throw new ConfigurationError(
        `${platformId}: an OAuth client (oauthClient.clientId) is required to refresh tokens`,
        {
          field: 'oauthClient.clientId',
          platformId,
        },
      );
    }
    const form: Record<string, string> =
      config.grantType === 'client_credentials'
        ? {
            grant_type: 'client_credentials',
            ...(config.scopes.length > 0 ? { scope: config.scopes.join(config.scopeSeparator) } : {}),
          }
        : { grant_type: 'refresh_token', refresh_token: store.credential('refreshToken') ?? '' };
    const headers: Record<string, string> = { accept: 'application/json' };
    if (config.clientAuth === 'client_secret_basic') {
      const id = encodeURIComponent(client.clientId);
      const secret = encodeURIComponent(client.clientSecret ?? '');
      headers.Authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    } else {
      form.client_id = client.clientId;
      if (client.clientSecret) form.client_secret = client.clientSecret;
    }

    let body: unknown;
    try {
      body = await this.#options.postToken({ url: client.tokenUrl ?? this.#options.tokenUrl(), form, headers, signal });
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        throw new AuthenticationError({
          platformId,
          status: error.status,
          headers: error.headers,
          body: error.body,
          requestId: error.requestId,
          message: `${platformId}: refreshing the access token failed (${error.status}${describeOAuthError(error.body)}); the connection must be authorized again`,
          cause: error,
        });
      }
      throw error;
    }

    const tokens = this.#readTokens(body);
    store.update({
      ...tokens.extra,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
    });
    this.#obtainedAt = this.#now();
    this.#version++;
    await this.#options.onTokens?.(tokens);
  }

  #readTokens(body: unknown): TokenSet {
    const { config, store } = this.#options;
    const b = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (typeof b.access_token !== 'string' || b.access_token === '') {
      throw new AdapterError(`${store.platformId}: the token endpoint answered without an access_token`, {
        platformId: store.platformId,
      });
    }
    const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : Number.parseInt(String(b.expires_in ?? ''), 10);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : config.refresh.defaultExpiresInSeconds;
    const refreshToken =
      typeof b.refresh_token === 'string' && b.refresh_token !== ''
        ? b.refresh_token
        : store.credential('refreshToken');
    const extra: Record<string, string> = {};
    for (const field of config.tokenResponseFields) {
      const value = b[field];
      if (typeof value === 'string' || typeof value === 'number') extra[camelCase(field)] = String(value);
    }
    const tokens: TokenSet = { accessToken: b.access_token };
    if (refreshToken !== undefined) tokens.refreshToken = refreshToken;
    if (lifetime !== undefined) tokens.expiresAt = this.#now() + lifetime * 1000;
    if (Object.keys(extra).length > 0) tokens.extra = extra;
    return tokens;
  }
}

function describeOAuthError(body: unknown): string {
  if (body === null || typeof body !== 'object') return '';
  const error = (body as Record<string, unknown>).error;
  return typeof error === 'string' && /^[\w.-]{1,64}$/.test(error) ? ` ${error}` : '';
}
