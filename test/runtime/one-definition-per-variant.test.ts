import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTH_KINDS } from '../../src/runtime/auth/auth-kinds.js';
import { type AuthConfig, credentialFieldsOf, type PlatformConfig } from '../../src/runtime/index.js';
import { PAGINATION_KINDS } from '../../src/runtime/pagination/pagination-kinds.js';
import {
  authSchema,
  BASE_CREDENTIALS,
  paginationSchema,
  platformSchema,
  rateLimitSchema,
} from '../../src/runtime/platform-schema.js';
import { RATE_LIMIT_MODELS, rateLimitSummary } from '../../src/runtime/rate-limit/rate-limit-models.js';
import { emulatorCredentials } from '../../src/sandbox/config-driven/auth-checker.js';
import { manualClock } from '../../src/sandbox/emulator-clock.js';
import { emulatedRateLimiter } from '../../src/sandbox/rate-limit-emulations.js';

const discriminators = (options: readonly { def: { shape: Record<string, unknown> } }[], key: string) =>
  options.map((o) => (o.def.shape[key] as { value: string }).value);

describe('every variant the config schema accepts has exactly one definition', () => {
  it.each([
    ['auth kinds', discriminators(authSchema.options, 'kind'), Object.keys(AUTH_KINDS)],
    ['pagination kinds', discriminators(paginationSchema.options, 'kind'), Object.keys(PAGINATION_KINDS)],
    ['rate-limit models', discriminators(rateLimitSchema.options, 'model'), Object.keys(RATE_LIMIT_MODELS)],
  ])('%s: the schema union is the table, in table order', (_, inSchema, inTable) => {
    expect(inSchema).toEqual(inTable);
  });
});

const configs = JSON.parse(
  readFileSync(new URL('../../configs/platform_configs_extended.json', import.meta.url), 'utf8'),
).platforms as unknown[];
const platforms = configs.map((c) => platformSchema.parse(c) as PlatformConfig);
const oneOfEachKind = Object.keys(AUTH_KINDS).map((kind): [string, PlatformConfig] => [
  kind,
  platforms.find((p) => p.auth.kind === kind) as PlatformConfig,
]);

describe('one credential list per auth kind', () => {
  it.each([
    ['google_service_account', { scopes: ['s'] }, ['clientEmail', 'privateKey', 'subject']],
    ['aws_sigv4', { service: 's3', region: 'us-east-1' }, ['accessKeyId', 'secretAccessKey', 'sessionToken']],
    ['azure_shared_key', {}, ['accountName', 'accountKey']],
  ])('%s takes what the user gives, not the tokens it obtains', (kind, config, want) => {
    const auth = authSchema.parse({ kind, ...config }) as AuthConfig;
    expect(credentialFieldsOf(auth).map((f) => f.name)).toEqual(want);
    expect(BASE_CREDENTIALS[auth.kind](auth as never)).toEqual(want);
  });

  it.each(oneOfEachKind)('%s: the schema checks and the credential types use the same list', (_, platform) => {
    expect(platform, 'a platform in the config uses the kind').toBeDefined();
    const auth = platform.auth;
    const extras = Object.keys(auth.extraCredentials);
    const names = credentialFieldsOf(auth).map((f) => f.name);
    expect([...BASE_CREDENTIALS[auth.kind](auth as never), ...extras].sort()).toEqual([...names].sort());
  });

  it.each(oneOfEachKind)('%s: the sandbox issues every required credential field', (_, platform) => {
    const { credentials } = emulatorCredentials(platform);
    const required = credentialFieldsOf(platform.auth).filter((f) => f.required && f.type === 'string');
    for (const field of required) expect(credentials, field.name).toHaveProperty(field.name);
  });

  it('refuses a service-account platform header that uses the obtained access token as a credential', () => {
    const platform = configs.find((c) => (c as PlatformConfig).auth.kind === 'google_service_account') as object;
    const result = platformSchema.safeParse({ ...platform, headers: { 'X-Token': '{accessToken}' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('headers.X-Token');
  });
});

describe('one summary and one sandbox limiter per rate-limit model', () => {
  it.each([
    ['leaky-bucket', 'shopify', { text: 'bucket of 40, leaking 2/s', brief: 'leaky bucket 40, −2/s' }],
    ['token-bucket', 'notion', { text: 'bucket of 3, refilling 3/s', brief: 'token bucket 3, +3/s' }],
    ['fixed-window', 'airtable', { text: '5 requests per 1 s (fixed-window)', brief: '5 / 1 s (fixed-window)' }],
    [
      'sliding-window',
      'hubspot',
      { text: '100 requests per 10 s (sliding-window)', brief: '100 / 10 s (sliding-window)' },
    ],
    [
      'cost-based',
      'linear',
      { text: '250000 points per 3600 s, at most 1.38 requests/s', brief: '250000 points / 3600 s' },
    ],
  ])('%s (%s): the registry and the docs word it as its model does', (model, id, want) => {
    const platform = platforms.find((p) => p.id === id) as PlatformConfig;
    expect(platform.rateLimit.model).toBe(model);
    expect(rateLimitSummary(platform.rateLimit)).toEqual(want);
  });

  it.each(Object.keys(RATE_LIMIT_MODELS))('%s: the sandbox enforces it for every platform that uses it', (model) => {
    const using = platforms.filter((p) => p.rateLimit.model === model);
    expect(using.length, 'a platform in the config uses the model').toBeGreaterThan(0);
    for (const platform of using) {
      expect(emulatedRateLimiter(platform.rateLimit, manualClock().now).take().allowed, platform.id).toBe(true);
    }
  });
});
