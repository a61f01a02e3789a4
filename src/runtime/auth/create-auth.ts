/** The auth strategy for a platform's `auth` config. */
import type { Logger } from 'pino';
import type { OAuthClient, PlatformMeta, TokenSet } from '../adapter-types.js';
import { ConfigurationError } from '../errors.js';
import { ApiKeyAuth } from './api-key-auth.js';
import type { AuthStrategy } from './auth-strategy.js';
import { BasicAuth } from './basic-auth.js';
import { BearerAuth } from './bearer-auth.js';
import type { CredentialStore } from './credential-store.js';
import { OAuth2Auth } from './oauth2-auth.js';
import { resolveOAuthEndpoint, type TokenFetch } from './oauth2-token-client.js';

export interface CreateAuthOptions {
  meta: PlatformMeta;
  store: CredentialStore;
  connectionConfig: Readonly<Record<string, unknown>> | undefined;
  /** OAuth2 only: the client used to renew tokens (its `tokenUrl` replaces the platform's). */
  oauthClient?: OAuthClient | undefined;
  /** OAuth2 only: receives every new token set; awaited before requests continue. */
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
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
    default:
      // Kinds the schema accepts before the runtime has their strategy (aws_sigv4, google_service_account, …).
      throw new ConfigurationError(`${meta.id}: auth kind "${auth.kind}" has no strategy in this runtime yet`, {
        field: 'auth.kind',
        platformId: meta.id,
      });
  }
}
