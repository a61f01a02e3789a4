import type { TokenRefreshCoordinator } from './auth/token-refresh-coordinator.js';
import type { PlatformConfig } from './platform-schema.js';
import type { RateLimitStore } from './rate-limit/rate-limit-store.js';
import type { RateLimiter } from './rate-limit/rate-limiter.js';

/** A platform's validated config, embedded in its generated adapter as `static meta`. */
export type PlatformMeta = PlatformConfig;

/** OAuth2 tokens as a connection keeps them. `expiresAt` is epoch milliseconds. */
export interface OAuth2Credentials {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
}

/** New tokens after a refresh; a store should persist them atomically (the refresh token may have rotated). */
export interface TokenSet extends OAuth2Credentials {
  /** Other fields the platform returned that its config asks to keep (e.g. Salesforce `instance_url`). */
  extra?: Record<string, string>;
}

/** OAuth client registration, from the deployment's platform overrides. */
export interface OAuthClient {
  clientId: string;
  clientSecret?: string;
  tokenUrl?: string;
}

export interface AdapterOptions<Credentials, ConnectionConfig> {
  credentials: Credentials;
  connectionConfig: ConnectionConfig;
  /** Overrides the configured base URL (tests and sandboxes point adapters at loopback). */
  baseUrl?: string;
  tenantId?: string;
  /** OAuth client used for refresh; needed only for OAuth2 platforms that refresh. */
  oauthClient?: OAuthClient;
  /** Called with rotated tokens after every refresh. */
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  /**
   * OAuth2: decides every token renewal across adapter instances and processes, e.g. under a per-connection database
   * lock, so that any number of processes holding an expired token make one refresh request (see
   * `TokenRefreshCoordinator`). Default: renewals are shared only within this adapter instance.
   */
  tokenRefresh?: TokenRefreshCoordinator;
  /** Per-request timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Requests in flight at once on this connection (default 100). */
  maxConcurrency?: number;
  /** Override the platform's retry policy (e.g. `{ maxAttempts: 1 }` in tests). */
  retry?: Partial<PlatformMeta['retry']>;
  /**
   * The rate limiter every request of this adapter waits for. Default: one built from the platform's `rateLimit`
   * config, keeping its budget in `rateLimitStore`. Pass your own `RateLimiter`, or `false` for none.
   */
  rateLimiter?: RateLimiter | false;
  /**
   * Where rate-limit budgets live. Default: this process's memory, shared by every adapter in the process.
   * `new PostgresRateLimitStore({ pool })` shares them between worker processes.
   */
  rateLimitStore?: RateLimitStore;
  /**
   * Names this connection's budget for connection-scoped limits (e.g. your connection id); never a credential.
   * Default: the tenant id and a hash of `connectionConfig`.
   */
  rateLimitKey?: string;
  /**
   * Hosts that come from the connection config (self-hosted GitLab, Matomo, WooCommerce…) may not be, or resolve
   * to, loopback, private, link-local, CGNAT, multicast, unspecified or cloud-metadata addresses: such a request is
   * refused with a `PrivateNetworkError` before any byte is sent. A deployment that runs platforms on its own
   * network allows CIDRs (`['10.20.0.0/16']`), or every private range with `true` (cloud metadata addresses stay
   * refused unless a CIDR names them). A `baseUrl` given here is trusted and never checked. Default: none allowed.
   */
  allowPrivateNetwork?: boolean | readonly string[];
  /** The largest response body read, in bytes; a larger one fails with a `ResponseBodyError`. Default 25 MiB. */
  maxResponseBytes?: number;
  /**
   * Bounds on every listing. `maxEmptyPages`: consecutive pages without records, while the platform says more
   * exist, before a `PaginationError` (default per pagination kind, or the platform's `maxEmptyPages`);
   * `maxPages`: pages in one listing, a backstop against a platform that never ends (default 100 000).
   */
  pagination?: { maxEmptyPages?: number; maxPages?: number };
}

/** Extra query parameters for a list request; nested objects are sent in brackets (`created[gte]=…`). */
export type ListQuery = { [name: string]: unknown };

export interface ListParams<Q extends object = ListQuery> {
  /** Only records modified at or after this instant (where the entity supports incremental reads). */
  since?: Date;
  /** Records per page; clamped to the platform's maximum. */
  pageSize?: number;
  /** Stop after this many records. */
  limit?: number;
  /**
   * The platform's own list filters, typed from its OpenAPI description where it has one. Sent on the first page
   * (and on the pages that follow, where the pagination repeats the query); the entity's configured query and the
   * incremental filter take precedence over a parameter of the same name.
   */
  query?: Q;
  signal?: AbortSignal;
}

export interface FetchParams<Q extends object = ListQuery> {
  /** The platform's own list filters, as for `list`. */
  query?: Q;
  /** Stop after this many records. */
  limit?: number;
  /** Records modified at or after this instant. */
  dateFrom?: Date;
  /** Records modified before this instant (filtered client-side on the entity's cursor field). */
  dateTo?: Date;
  pageSize?: number;
  signal?: AbortSignal;
}

/** What the registry says of a platform without loading its adapter. */
export interface PlatformInfo {
  id: string;
  name: string;
  category: PlatformMeta['category'];
  authKind: PlatformMeta['auth']['kind'];
  entities: string[];
}
