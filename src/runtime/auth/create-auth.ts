/** The auth strategy for a platform's `auth` config, from its kind's definition (see `auth-kinds.ts`). */
import type { CreateAuthOptions } from './auth-kind.js';
import { authKindOf } from './auth-kinds.js';
import type { AuthStrategy } from './auth-strategy.js';

export type { CreateAuthOptions, LegacyTokenEndpoint } from './auth-kind.js';

/**
 * @example
 * const auth = createAuthStrategy({ meta, store, connectionConfig, oauthClient, onTokens });
 * await auth.apply({ headers, query });
 */
export function createAuthStrategy(options: CreateAuthOptions): AuthStrategy {
  const auth = options.meta.auth;
  return authKindOf(auth).create(auth, options);
}
