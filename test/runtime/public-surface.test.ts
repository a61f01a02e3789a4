/**
 * `engarde/runtime` is a curated surface: what code written against adapters needs, nothing of the machinery behind
 * it. A name added here is a decision, reviewed as one (types are checked by the package test's type-check).
 */
import { expect, test } from 'vitest';
import * as runtime from '../../src/runtime/index.js';

test('exports exactly the public values: errors, webhooks, adapters and registry, OAuth helpers, stores, records', () => {
  expect(Object.keys(runtime).sort()).toEqual([
    'AdapterError',
    'AdapterRegistry',
    'ApiError',
    'AuthenticationError',
    'BaseAdapter',
    'ConfigurationError',
    'ConnectionError',
    'MemoryRateLimitStore',
    'NormalizationError',
    'NotFoundError',
    'PaginationError',
    'PermissionDeniedError',
    'PostgresRateLimitStore',
    'PrivateNetworkError',
    'RateLimitError',
    'ResponseBodyError',
    'ServerError',
    'TimeoutError',
    'createAuthorizationRequest',
    'credentialFieldsOf',
    'defaultMemoryRateLimitStore',
    'exchangeAuthorizationCode',
    'lookupWebhookConfig',
    'normalizeRecord',
    'registerPlatformWebhooks',
    'registerWebhookConfig',
    'revokeToken',
    'signWebhook',
    'statesMatch',
    'unregisterWebhookConfig',
    'verifyWebhook',
    'verifyWebhookSignature',
  ]);
});

test.each(['HttpClient', 'CursorPaginator', 'createAuthStrategy', 'getPath', 'redactString', 'platformSchema'])(
  'keeps the internal %s out',
  (name) => {
    expect(Object.keys(runtime)).not.toContain(name);
  },
);
