/**
 * HTTP Basic (RFC 7617) from two credential fields; a platform without a password field sends an empty password
 * (Stripe's secret key as the user name).
 */
import { ConfigurationError } from '../errors.js';
import type { AuthConfig } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type BasicAuthConfig = Extract<AuthConfig, { kind: 'basic' }>;

/**
 * @example
 * // config { kind: 'basic', usernameField: 'apiKey' }, credentials { apiKey: 'sk_test_1' }
 * await new BasicAuth(config, store).apply(target); // Authorization: Basic c2tfdGVzdF8xOg==
 */
export class BasicAuth implements AuthStrategy {
  readonly kind = 'basic' as const;
  readonly sensitiveNames: readonly string[] = ['Authorization'];
  readonly #config: BasicAuthConfig;
  readonly #store: CredentialStore;

  constructor(config: BasicAuthConfig, store: CredentialStore) {
    this.#config = config;
    this.#store = store;
  }

  async apply(target: AuthTarget): Promise<void> {
    const { usernameField, passwordField, usernameTemplate, passwordTemplate } = this.#config;
    const username = usernameTemplate
      ? this.#store.render(usernameTemplate, 'the Authorization header')
      : this.#store.credential(usernameField);
    const platformId = this.#store.platformId;
    if (username === undefined || username === '') {
      const field = `credentials.${usernameField}`;
      throw new ConfigurationError(`${platformId}: ${field} is required for the Authorization header`, {
        field,
        platformId,
      });
    }
    if (username.includes(':') || /[\r\n\0]/.test(username)) {
      const field = `credentials.${usernameField}`;
      throw new ConfigurationError(`${platformId}: ${field} must not contain ":" or line breaks`, {
        field,
        platformId,
      });
    }
    const password =
      passwordTemplate !== undefined
        ? passwordTemplate && this.#store.render(passwordTemplate, 'the Authorization header')
        : passwordField
          ? (this.#store.credential(passwordField) ?? '')
          : '';
    target.headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  }
}
