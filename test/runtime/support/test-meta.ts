/** Hand-written platform configs for runtime tests, validated by the real schema. */
import type { PlatformConfigInput, PlatformMeta } from '../../../src/runtime/index.js';
import { platformSchema } from '../../../src/runtime/platform-schema.js';

type Input = Record<string, unknown>;

/** A valid platform config with the given top-level fields replacing the defaults. */
export function makeMeta(overrides: Input = {}): PlatformMeta {
  const base: Input = {
    id: 'acme',
    name: 'Acme',
    category: 'payments',
    description: 'A test platform.',
    docsUrl: 'https://docs.acme.test/api',
    apiVersion: 'v1',
    baseUrl: 'https://api.acme.test/{apiVersion}',
    auth: { kind: 'bearer' },
    rateLimit: { model: 'fixed-window', requests: 100, windowSeconds: 1, notes: 'test' },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
    pagination: {
      kind: 'cursor',
      cursorParam: 'starting_after',
      cursorFrom: 'last-record',
      hasMorePath: 'has_more',
      limitParam: 'limit',
      maxLimit: 100,
      defaultLimit: 10,
    },
    testConnection: { path: '/account' },
    entities: {
      customers: {
        path: '/customers',
        recordsPath: 'data',
        idField: 'id',
        incremental: { kind: 'query-param', cursorField: 'created', param: 'created[gte]', format: 'unix-seconds' },
        write: ['create', 'update', 'delete'],
        writeBody: { encoding: 'form' },
        standard: 'Customer',
        mapping: { email: 'email', name: 'profile.name' },
        fields: { id: 'string', email: 'string', created: 'integer' },
        description: 'Customers.',
      },
    },
    webhooks: { scheme: 'none', reason: 'test' },
  };
  return platformSchema.parse({ ...base, ...overrides } as PlatformConfigInput);
}

/** An entity entry with the usual test defaults. */
export function entity(overrides: Input = {}): Input {
  return {
    path: '/items',
    recordsPath: 'data',
    idField: 'id',
    incremental: { kind: 'none', reason: 'test' },
    fields: { id: 'string' },
    description: 'Items.',
    ...overrides,
  };
}
