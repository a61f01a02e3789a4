/** A static token in a header, by default `Authorization: Bearer {token}`. */
import type { AuthConfig } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type BearerAuthConfig = Extract<AuthConfig, { kind: 'bearer' }>;

/**
 * @example
 * await new BearerAuth(config, store).apply(target); // target.headers.Authorization === 'Bearer t_123'
 */
export class BearerAuth implements AuthStrategy {
  readonly kind = 'bearer' as const;
  readonly sensitiveNames: readonly string[];
  readonly #config: BearerAuthConfig;
  readonly #store: CredentialStore;

  constructor(config: BearerAuthConfig, store: CredentialStore) {
    this.#config = config;
    this.#store = store;
    this.sensitiveNames = [config.header.name];
  }

  async apply(target: AuthTarget): Promise<void> {
    const { name, value } = this.#config.header;
    target.headers[name] = this.#store.render(value, `the ${name} header`);
  }
}
