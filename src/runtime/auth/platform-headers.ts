/**
 * The platform's own headers on every request (e.g. Google Ads `developer-token: {developerToken}`), filled from
 * credentials and connection config. A header whose only missing values are optional credentials is left out.
 */
import type { PlatformMeta } from '../adapter-types.js';
import { placeholders } from '../template-renderer.js';
import type { AuthTarget, RequestDecorator } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export class PlatformHeaders implements RequestDecorator {
  readonly #headers: ReadonlyArray<readonly [string, string]>;
  readonly #store: CredentialStore;

  constructor(headers: PlatformMeta['headers'], store: CredentialStore) {
    this.#headers = Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#store = store;
  }

  /** Header names whose values come from secret credentials (redacted from logs). */
  get sensitiveNames(): string[] {
    return this.#headers
      .filter(([, template]) => placeholders(template).some((n) => this.#store.field(n).startsWith('credentials.')))
      .map(([n]) => n);
  }

  /**
   * @example
   * // meta.headers { 'developer-token': '{developerToken}' }, credentials { developerToken: 'dt' }
   * await new PlatformHeaders(meta.headers, store).apply(target); // target.headers['developer-token'] === 'dt'
   */
  async apply(target: AuthTarget): Promise<void> {
    for (const [name, template] of this.#headers) {
      const missingOptional = placeholders(template).some(
        (n) => (this.#store.value(n) ?? '') === '' && this.#store.isOptional(n),
      );
      if (missingOptional) continue;
      target.headers[name] = this.#store.render(template, `the ${name} header`);
    }
  }
}
