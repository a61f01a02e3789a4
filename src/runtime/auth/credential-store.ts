/**
 * A connection's credentials and connection config as templates see them, with the knowledge of which values are
 * secret (for redaction) and how to name a missing one.
 */
import type { PlatformMeta } from '../adapter-types.js';
import { camelCase } from '../camel-case.js';
import { ConfigurationError } from '../errors.js';
import { placeholders, renderTemplate, type TemplateSource } from '../template-renderer.js';

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return undefined;
}

export class CredentialStore implements TemplateSource {
  readonly #meta: PlatformMeta;
  #credentials: Record<string, unknown>;
  readonly #connectionConfig: Readonly<Record<string, unknown>>;
  /** Rendered templates, valid until the credentials change (every request renders the same few). */
  readonly #rendered = new Map<string, string>();

  constructor(meta: PlatformMeta, credentials: unknown, connectionConfig: unknown) {
    this.#meta = meta;
    this.#credentials = { ...((credentials ?? {}) as Record<string, unknown>) };
    this.#connectionConfig = { ...((connectionConfig ?? {}) as Record<string, unknown>) };
  }

  get platformId(): string {
    return this.#meta.id;
  }

  /** The current credentials (a snapshot; OAuth2 refresh replaces them). */
  get credentials(): Readonly<Record<string, unknown>> {
    return this.#credentials;
  }

  /** A credential's value as a string. */
  credential(name: string): string | undefined {
    return asString(this.#credentials[name]);
  }

  /** Merges new credential values (after a token refresh). */
  update(values: Record<string, unknown>): void {
    this.#credentials = { ...this.#credentials, ...values };
    this.#rendered.clear();
  }

  /** A placeholder's value: a credential, else a connection-config variable (or its default), else `apiVersion`. */
  value(name: string): string | undefined {
    const credential = this.credential(name);
    if (credential !== undefined && credential !== '') return credential;
    const configured = asString(this.#connectionConfig[name]);
    if (configured !== undefined && configured !== '') return configured;
    const variable = this.#meta.connectionConfig[name];
    if (variable?.default !== undefined) return variable.default;
    if (name === 'apiVersion') return this.#meta.apiVersion;
    return undefined;
  }

  /** `connectionConfig.<name>` for a declared connection variable, `apiVersion` for the platform's, else `credentials.<name>`. */
  field(name: string): string {
    if (Object.hasOwn(this.#meta.connectionConfig, name)) return `connectionConfig.${name}`;
    if (name === 'apiVersion' && this.credential(name) === undefined) return 'apiVersion';
    return `credentials.${name}`;
  }

  /** Whether a credential field is declared optional (an `extraCredentials` entry with `optional: true`). */
  isOptional(name: string): boolean {
    const auth = this.#meta.auth;
    if (auth.extraCredentials[name]?.optional) return true;
    if (auth.kind === 'oauth2') return name === 'refreshToken' || name === 'expiresAt';
    return false;
  }

  /**
   * Fills a template; rejects values that could break a header (CR/LF).
   * @throws ConfigurationError naming the missing or malformed field.
   */
  render(template: string, purpose: string): string {
    const cached = this.#rendered.get(template);
    if (cached !== undefined) return cached;
    for (const name of placeholders(template)) {
      if (/[\r\n\0]/.test(this.value(name) ?? '')) {
        const field = this.field(name);
        throw new ConfigurationError(`${this.platformId}: ${field} contains a line break or NUL`, {
          field,
          platformId: this.platformId,
        });
      }
    }
    const rendered = renderTemplate(template, this, purpose, this.platformId);
    this.#rendered.set(template, rendered);
    return rendered;
  }

  /** Whether every placeholder of a template has a value. */
  canRender(template: string): boolean {
    return placeholders(template).every((n) => (this.value(n) ?? '') !== '');
  }

  /**
   * Every credential value that must never be printed: all string credentials except those declared not secret
   * (`extraCredentials[x].secret: false`) and OAuth2 token-response fields such as `instance_url`.
   */
  secretValues(): string[] {
    const auth = this.#meta.auth;
    const notSecret = new Set<string>(
      Object.entries(auth.extraCredentials)
        .filter(([, f]) => f.secret === false)
        .map(([n]) => n),
    );
    if (auth.kind === 'oauth2') for (const f of auth.tokenResponseFields) notSecret.add(camelCase(f));
    const out: string[] = [];
    for (const [name, value] of Object.entries(this.#credentials)) {
      if (typeof value === 'string' && value !== '' && !notSecret.has(name)) out.push(value);
    }
    return out;
  }
}
