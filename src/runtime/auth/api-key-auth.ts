/** API key in a header or a query parameter, from a value template such as `Bearer {apiKey}`. */
import type { AuthConfig } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type ApiKeyAuthConfig = Extract<AuthConfig, { kind: 'api_key' }>;

/**
 * @example
 * // config { kind: 'api_key', in: 'header', name: 'X-Api-Key', value: '{apiKey}' }
 * await new ApiKeyAuth(config, store).apply(target); // target.headers['X-Api-Key'] === 'k_123'
 */
export class ApiKeyAuth implements AuthStrategy {
  readonly kind = 'api_key' as const;
  readonly sensitiveNames: readonly string[];
  readonly #config: ApiKeyAuthConfig;
  readonly #store: CredentialStore;

  constructor(config: ApiKeyAuthConfig, store: CredentialStore) {
    this.#config = config;
    this.#store = store;
    this.sensitiveNames = [config.name];
  }

  async apply(target: AuthTarget): Promise<void> {
    const { name } = this.#config;
    const value = this.#store.render(
      this.#config.value,
      `the ${name} ${this.#config.in === 'header' ? 'header' : 'query parameter'}`,
    );
    if (this.#config.in === 'header') target.headers[name] = value;
    else target.query.set(name, value);
  }
}
