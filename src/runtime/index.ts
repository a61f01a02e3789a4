/**
 * `engarde/runtime`: what code written against adapters uses — the errors, webhook verification, the adapter,
 * registry, record and config types, the OAuth connect helpers, the rate-limit stores — and what generated adapters
 * extend. The machinery behind them (HTTP client, paginators, auth strategies, parsers, redaction) is not part of it:
 * inside this repository it is imported by path.
 */

// Adapters and the registry (generated adapters extend `BaseAdapter`; generated registries build an `AdapterRegistry`).
export type {
  AdapterOptions,
  FetchParams,
  ListParams,
  ListQuery,
  OAuth2Credentials,
  OAuthClient,
  PlatformInfo,
  PlatformMeta,
  TokenSet,
} from './adapter-types.js';
// OAuth2 connect flows and token renewal shared between processes.
export {
  type AuthorizationRequest,
  type AuthorizationRequestInit,
  type CodeExchangeInit,
  createAuthorizationRequest,
  exchangeAuthorizationCode,
  type RevokeTokenInit,
  revokeToken,
  statesMatch,
} from './auth/oauth2-authorization.js';
export type { OAuthClientRegistration, TokenFetch } from './auth/oauth2-token-client.js';
export type { TokenRefreshCoordinator, TokenRefreshRequest } from './auth/token-refresh-coordinator.js';
export {
  BaseAdapter,
  type BaseAdapterOptions,
  type RecordPage,
  type RuntimeOptions,
  type WriteOptions,
} from './base-adapter.js';
export { type CredentialField, credentialFieldsOf } from './credential-fields.js';
// Errors: every failure an adapter reports is one of these.
export {
  AdapterError,
  type AdapterErrorOptions,
  ApiError,
  type ApiErrorInit,
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  type ConnectionErrorInit,
  NotFoundError,
  PaginationError,
  PermissionDeniedError,
  PrivateNetworkError,
  RateLimitError,
  ResponseBodyError,
  type ResponseBodyErrorInit,
  type ResponseBodyProblem,
  ServerError,
  TimeoutError,
} from './errors.js';
export type { AllowPrivateNetwork } from './http/private-network-guard.js';
// Records in the standard shapes.
export { NormalizationError, normalizeRecord } from './normalize/normalize-record.js';
export type {
  Ad,
  Campaign,
  Company,
  Contact,
  Customer,
  Deal,
  Employee,
  Invoice,
  Message,
  Order,
  Payment,
  Product,
  Shipment,
  StandardEntityType,
  StandardRecord,
  Task,
} from './normalize/standard-entities.js';
// A platform's validated config, as adapters' `static meta` holds it.
export type {
  AuthConfig,
  Category,
  EntityConfig,
  PaginationConfig,
  PlatformConfig,
  PlatformConfigInput,
  RateLimitConfig,
  RetryConfig,
  WebhookConfig,
} from './platform-schema.js';
// Rate limits shared by every adapter of a platform: in one process, or across processes in Postgres.
export {
  defaultMemoryRateLimitStore,
  MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from './rate-limit/memory-rate-limit-store.js';
export {
  type PostgresQueryable,
  PostgresRateLimitStore,
  type PostgresRateLimitStoreOptions,
} from './rate-limit/postgres-rate-limit-store.js';
export type { RateLimitStore, TakeRequest, TakeResult } from './rate-limit/rate-limit-store.js';
export {
  type AdapterConstructor,
  type AdapterOptionsFor,
  AdapterRegistry,
  type AdapterTypeMap,
  type AnyAdapter,
  type RegistryEntries,
  type RegistryEntry,
} from './registry.js';
// Webhooks: verification of inbound deliveries, signing for tests, registration helpers.
export * from './webhooks/index.js';
