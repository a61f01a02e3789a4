/** The auth strategy for a platform's `auth` config. */
import type { Logger } from 'pino';
import type { OAuthClient, PlatformMeta, TokenSet } from '../adapter-types.js';
import { ApiKeyAuth } from './api-key-auth.js';
import type { AuthStrategy } from './auth-strategy.js';
import { AwsSigV4Auth } from './aws-sigv4-auth.js';
import { AzureSharedKeyAuth } from './azure-shared-key-auth.js';
import { BasicAuth } from './basic-auth.js';
import { BearerAuth } from './bearer-auth.js';
import type { CredentialStore } from './credential-store.js';
import { GoogleServiceAccountAuth } from './google-service-account-auth.js';
import { OAuth2Auth } from './oauth2-auth.js';
import { resolveOAuthEndpoint, type TokenFetch } from './oauth2-token-client.js';
import type { TokenRefreshCoordinator } from './token-refresh-coordinator.js';

export interface CreateAuthOptions {
  meta: PlatformMeta;
  store: CredentialStore;
  connectionConfig: Readonly<Record<string, unknown>> | undefined;
  /** OAuth2 only: the client used to renew tokens (its `tokenUrl` replaces the platform's). */
  oauthClient?: OAuthClient | undefined;
  /** OAuth2 only: receives every new token set; awaited before requests continue. */
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  /** OAuth2 only: decides renewals across instances and processes (see `token-refresh-coordinator.ts`). */
  tokenRefresh?: TokenRefreshCoordinator | undefined;
  /** OAuth2 only: transport for token requests (oauth4webapi `customFetch`); default `globalThis.fetch`. */
  fetch?: TokenFetch | undefined;
  /** OAuth2 only: per token request, ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** OAuth2 only: token requests are logged without credentials. */
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
  /**
   * @deprecated Ignored: token requests go through oauth4webapi (use `fetch` to route them). Kept only so callers
   *   written for the earlier form-posting transport still compile; remove it from calls.
   */
  postToken?: LegacyTokenEndpoint | undefined;
}

/** @deprecated The earlier token transport's shape; see `CreateAuthOptions.postToken`. */
export type LegacyTokenEndpoint = (request: {
  url: string;
  form: Record<string, string>;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}) => Promise<unknown>;

/**
 * @example
 * const auth = createAuthStrategy({ meta, store, connectionConfig, oauthClient, onTokens });
 * await auth.apply({ headers, query });
 */
export function createAuthStrategy(options: CreateAuthOptions): AuthStrategy {
  const { meta, store } = options;
  const auth = meta.auth;
  switch (auth.kind) {
    case 'oauth2':
      return new OAuth2Auth({
        config: auth,
        store,
        tokenUrl: () => resolveOAuthEndpoint(meta, options.connectionConfig, 'tokenUrl', options.oauthClient) as string,
        client: options.oauthClient,
        onTokens: options.onTokens,
        tokenRefresh: options.tokenRefresh,
        fetch: options.fetch,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        now: options.now,
      });
    case 'api_key':
      return new ApiKeyAuth(auth, store);
    case 'bearer':
      return new BearerAuth(auth, store);
    case 'basic':
      return new BasicAuth(auth, store);
    case 'aws_sigv4':
      return new AwsSigV4Auth(auth, store, options.now && (() => new Date((options.now as () => number)())));
    case 'azure_shared_key':
      return new AzureSharedKeyAuth(auth, store, options.now && (() => new Date((options.now as () => number)())));
    case 'google_service_account':
      return new GoogleServiceAccountAuth({
        config: auth,
        store,
        // A deployment (or a test) may point the token exchange elsewhere, as for OAuth2 clients.
        tokenUrl: options.oauthClient?.tokenUrl ?? auth.tokenUrl,
        fetch: options.fetch as typeof globalThis.fetch | undefined,
        now: options.now,
      });
  }
}
