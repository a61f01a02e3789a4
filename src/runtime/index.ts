/**
 * `engarde/runtime`: the one import surface for generated adapters and for users.
 */
export * from './adapter-types.js';
export * from './auth/api-key-auth.js';
export * from './auth/auth-strategy.js';
export * from './auth/basic-auth.js';
export * from './auth/bearer-auth.js';
export * from './auth/create-auth.js';
export * from './auth/credential-store.js';
export * from './auth/oauth2-auth.js';
export * from './auth/platform-headers.js';
export * from './base-adapter.js';
export * from './base-url.js';
export * from './dotted-path.js';
export * from './errors.js';
export * from './form-encoder.js';
export * from './http/concurrency-limiter.js';
export * from './http/http-client.js';
export * from './incremental-filter.js';
export * from './normalize/normalize-record.js';
export * from './normalize/standard-entities.js';
export * from './pagination/create-paginator.js';
export * from './pagination/cursor-paginator.js';
export * from './pagination/link-header-paginator.js';
export * from './pagination/next-url-paginator.js';
export * from './pagination/none-paginator.js';
export * from './pagination/offset-paginator.js';
export * from './pagination/page-paginator.js';
export * from './pagination/paginator.js';
export * from './pagination/token-paginator.js';
export * from './platform-schema.js';
export * from './registry.js';
export * from './retry/abortable-sleep.js';
export * from './retry/retry-after.js';
export * from './retry/retry-policy.js';
export * from './secret-redaction.js';
export * from './template-renderer.js';
