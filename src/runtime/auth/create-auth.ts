/** The auth strategy for a platform's `auth` config. */
import type { OAuthClient, PlatformMeta, TokenSet } from '../adapter-types.js';
import { resolveUrlTemplate } from '../base-url.js';
import { ApiKeyAuth } from './api-key-auth.js';
import type { AuthStrategy } from './auth-strategy.js';
import { BasicAuth } from './basic-auth.js';
import { BearerAuth } from './bearer-auth.js';
import type { CredentialStore } from './credential-store.js';
import { OAuth2Auth, type TokenEndpoint } from './oauth2-auth.js';

export interface CreateAuthOptions {
  meta: PlatformMeta;
  store: CredentialStore;
  connectionConfig: Readonly<Record<string, unknown>> | undefined;
  /** OAuth2 only. */
  oauthClient?: OAuthClient | undefined;
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  postToken: TokenEndpoint;
  now?: (() => number) | undefined;
}

/**
 * @example
 * const auth = createAuthStrategy({ meta, store, connectionConfig, postToken });
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
        tokenUrl: () => resolveUrlTemplate(auth.tokenUrl, meta, options.connectionConfig, { field: 'auth.tokenUrl' }),
        client: options.oauthClient,
        onTokens: options.onTokens,
        postToken: options.postToken,
        now: options.now,
      });
    case 'api_key':
      return new ApiKeyAuth(auth, store);
    case 'bearer':
      return new BearerAuth(auth, store);
    case 'basic':
      return new BasicAuth(auth, store);
  }
}
