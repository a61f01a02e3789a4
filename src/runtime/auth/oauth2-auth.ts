/**
 * OAuth2 access tokens on requests, renewed before they expire and after a 401 (the refresh_token grant, or the
 * client_credentials grant), through oauth4webapi (see `oauth2-token-client.ts`).
 *
 * Renewal is single-flight: concurrent callers share one token request, so a rotating refresh token is spent
 * once. New tokens go to the credential store and then to `onTokens` (which persists them) before any waiting
 * request is sent; a request that starts while a renewal is in flight waits for it too. A refresh the endpoint
 * refused (e.g. `invalid_grant`) is not tried again with the same refresh token: later calls fail at once.
 *
 * Beyond one instance, a `tokenRefresh` coordinator (see `token-refresh-coordinator.ts`) decides each renewal: it
 * may answer tokens another instance or process stored meanwhile instead of renewing, so that any number of
 * processes holding an expired token make one token request.
 */
import type { Logger } from 'pino';
import type { OAuthClient, TokenSet } from '../adapter-types.js';
import { AdapterError, AuthenticationError, ConfigurationError } from '../errors.js';
import { redactString } from '../secret-redaction.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';
import { type OAuth2AuthConfig, OAuth2TokenClient, type TokenFetch, type TokenGrant } from './oauth2-token-client.js';
import { storedTokensUsable, type TokenRefreshCoordinator } from './token-refresh-coordinator.js';

export type { OAuth2AuthConfig } from './oauth2-token-client.js';

export interface OAuth2AuthOptions {
  config: OAuth2AuthConfig;
  store: CredentialStore;
  /**
   * The token URL with its placeholders filled, and the client's override applied (resolved lazily: only a
   * renewal needs it). See `resolveOAuthEndpoint`.
   */
  tokenUrl: () => string;
  client?: OAuthClient | undefined;
  /**
   * Receives every token set this instance obtained (a rotated refresh token included); awaited before requests
   * continue. Not called for tokens a `tokenRefresh` coordinator found already renewed.
   */
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  /**
   * Decides each renewal across instances and processes (a per-connection lock; see `token-refresh-coordinator.ts`).
   * Default: every renewal sends its own token request (single flight within this instance only).
   */
  tokenRefresh?: TokenRefreshCoordinator | undefined;
  /** Transport for token requests (oauth4webapi `customFetch`); default `globalThis.fetch`. */
  fetch?: TokenFetch | undefined;
  /** Per token request, ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Token requests are logged at debug (grant, URL, status, duration), refusals at info; never a credential. */
  logger?: Logger | undefined;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
}

/**
 * @example
 * const auth = new OAuth2Auth({ config: meta.auth, store, tokenUrl: () => url, client, onTokens });
 * await auth.apply(target); // target.headers.Authorization === 'Bearer <accessToken>' (renewed first if expiring)
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
  /** The last refusal, and the refresh token it refused (`''` for client credentials). */
  #refused: { grantKey: string; error: AuthenticationError } | undefined;

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

  /** When the access token expires (epoch ms), if the credentials say. */
  expiresAt(): number | undefined {
    const expiresAt = Number(this.#options.store.credentials.expiresAt);
    return Number.isFinite(expiresAt) && expiresAt > 0 ? expiresAt : undefined;
  }

  async apply(target: AuthTarget, signal?: AbortSignal): Promise<void> {
    if (this.#refreshing) await waitFor(this.#refreshing, signal);
    else if (this.needsRefresh() && this.canRefresh()) await this.refresh(signal);
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
   * Obtains new tokens; concurrent calls share one request (a caller's `signal` stops only its own wait).
   * Resolves after the store has the tokens and `onTokens` has run.
   *
   * @throws AuthenticationError when the token endpoint refuses (e.g. `invalid_grant`); again, without a request,
   *   while the refused refresh token is still the connection's.
   * @throws AdapterError when `onTokens` throws (the new tokens are in use; persisting them failed).
   */
  refresh(signal?: AbortSignal): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return waitFor(this.#refreshing, signal);
  }

  async #refresh(): Promise<void> {
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
    const refreshToken = store.credential('refreshToken') ?? '';
    const grant: TokenGrant =
      config.grantType === 'client_credentials'
        ? { grantType: 'client_credentials' }
        : { grantType: 'refresh_token', refreshToken };
    const grantKey = grant.grantType === 'refresh_token' ? refreshToken : '';
    if (this.#refused?.grantKey === grantKey) throw this.#refused.error;
    if (grant.grantType === 'refresh_token' && refreshToken === '') {
      throw new ConfigurationError(`${platformId}: credentials.refreshToken is required to refresh the access token`, {
        field: 'credentials.refreshToken',
        platformId,
      });
    }

    const tokenClient = new OAuth2TokenClient({
      platformId,
      config,
      client,
      tokenUrl: this.#options.tokenUrl(),
      fetch: this.#options.fetch,
      timeoutMs: this.#options.timeoutMs,
      logger: this.#options.logger,
      now: this.#now,
      secrets: () => store.secretValues(),
    });
    let issued: TokenSet | undefined;
    const renew = async (sendRefreshToken?: string): Promise<TokenSet> => {
      const sent: TokenGrant =
        grant.grantType === 'refresh_token' && sendRefreshToken !== undefined && sendRefreshToken !== ''
          ? { grantType: 'refresh_token', refreshToken: sendRefreshToken }
          : grant;
      issued = await tokenClient.request(sent);
      return issued;
    };
    const coordinator = this.#options.tokenRefresh;
    let tokens: TokenSet;
    try {
      if (coordinator) {
        const held = { ...store.credentials };
        tokens = await coordinator.coordinate({
          platformId,
          grantType: grant.grantType === 'client_credentials' ? 'client_credentials' : 'refresh_token',
          held,
          usable: (stored) => storedTokensUsable(stored, held, this.#now()),
          renew,
        });
      } else {
        tokens = await renew();
      }
    } catch (error) {
      if (error instanceof AuthenticationError) this.#refused = { grantKey, error };
      throw error;
    }
    this.#refused = undefined;
    if (typeof tokens?.accessToken !== 'string' || tokens.accessToken === '') {
      throw new AdapterError(`${platformId}: the token refresh coordinator answered no access token`, { platformId });
    }

    store.update({
      ...tokens.extra,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
    });
    this.#obtainedAt = this.#now();
    this.#version++;
    // Tokens a coordinator found already renewed (and stored) by someone else are not new to the store.
    if (tokens !== issued) return;
    try {
      await this.#options.onTokens?.(tokens);
    } catch (error) {
      const detail = redactString(error instanceof Error ? error.message : String(error), [
        ...store.secretValues(),
        ...(client.clientSecret ? [client.clientSecret] : []),
      ]);
      throw new AdapterError(`${platformId}: onTokens failed to keep the renewed tokens: ${detail}`, {
        platformId,
        cause: error,
      });
    }
  }
}

/** Waits for a shared promise; an abort ends only this wait, not the shared work. */
function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
