/**
 * The small interface every auth variant implements (Kysely's dialects are the model): put credentials on a
 * request, and optionally recover from a 401 by obtaining new ones.
 */
import type { AuthConfig } from '../platform-schema.js';

/** The parts of an outgoing request a strategy may change. */
export interface AuthTarget {
  /** Request headers (names as given; the HTTP client sends them as-is). */
  headers: Record<string, string>;
  /** The request URL's query parameters. */
  query: URLSearchParams;
  /** Set by strategies that renew credentials: which generation of credentials the request carried. */
  credentialVersion?: number;
  /** The request as it will be sent, for strategies that sign it (AWS SigV4, Azure Shared Key). */
  method?: string;
  /** The request URL; its query is `query` above. */
  url?: URL;
  /** The encoded body, when there is one. */
  body?: string;
}

/** Anything that adds to every request: an auth strategy, the platform's static headers. */
export interface RequestDecorator {
  /** @throws ConfigurationError naming a missing credential or connection field. */
  apply(target: AuthTarget, signal?: AbortSignal): Promise<void>;
}

export interface AuthStrategy extends RequestDecorator {
  readonly kind: AuthConfig['kind'];
  /** Header and query-parameter names that carry credentials (redacted from logs and errors). */
  readonly sensitiveNames: readonly string[];
  /**
   * After a 401: obtain new credentials if possible. Resolves `true` when the request should be sent again
   * (new credentials, or another caller already renewed those the request carried), `false` otherwise.
   */
  recover?(target: AuthTarget, signal?: AbortSignal): Promise<boolean>;
}
