import { describe, expect, it } from 'vitest';
import { resolveBaseUrl, resolvePath, resolveUrlTemplate } from '../../src/runtime/base-url.js';
import { ConfigurationError } from '../../src/runtime/index.js';
import { HOST_ESCAPE_PROBES } from '../../src/runtime/platform-schema.js';
import { makeMeta } from './support/test-meta.js';

const shopify = makeMeta({
  id: 'shopify',
  apiVersion: '2025-07',
  connectionConfig: {
    shop: {
      type: 'string',
      description: 'Shop',
      pattern: '^[a-z0-9][a-z0-9-]*$',
      example: 'acme',
      hostSuffix: '.myshopify.com',
    },
  },
  baseUrl: 'https://{shop}.myshopify.com/admin/api/{apiVersion}',
});

const regional = makeMeta({
  id: 'regional',
  connectionConfig: {
    region: { type: 'string', description: 'Region', pattern: '^(us|eu)$', example: 'us', default: 'us' },
    host: {
      type: 'string',
      description: 'Instance host',
      pattern: '^[a-z0-9-]+$',
      example: 'acme',
      hostSuffix: '.crm.test',
    },
  },
  baseUrl: 'https://{host}/api/{region}',
});

describe('resolveBaseUrl', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['fills a bare shop and the api version', { shop: 'acme' }, 'https://acme.myshopify.com/admin/api/2025-07'],
    [
      'accepts the full host and strips the suffix',
      { shop: 'acme.myshopify.com' },
      'https://acme.myshopify.com/admin/api/2025-07',
    ],
  ];
  it.each(cases)('%s', (_name, config, want) => {
    expect(resolveBaseUrl(shopify, config)).toBe(want);
  });

  it('appends hostSuffix when the template does not carry it, and uses defaults', () => {
    expect(resolveBaseUrl(regional, { host: 'acme' })).toBe('https://acme.crm.test/api/us');
    expect(resolveBaseUrl(regional, { host: 'acme.crm.test', region: 'eu' })).toBe('https://acme.crm.test/api/eu');
  });

  it.each([...HOST_ESCAPE_PROBES, 'evil.com', 'acme.evil.com', '../x', 'ACME'])(
    'rejects %j in a host, naming the field and pattern',
    (value) => {
      let caught: unknown;
      try {
        resolveBaseUrl(shopify, { shop: value });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      const error = caught as ConfigurationError;
      expect(error.field).toBe('connectionConfig.shop');
      expect(error.message).toContain('connectionConfig.shop');
      expect(error.message).toContain('^[a-z0-9][a-z0-9-]*$');
    },
  );

  it('refuses host escapes even when a lax pattern lets them through', () => {
    const lax = { ...shopify, connectionConfig: { shop: { ...shopify.connectionConfig.shop!, pattern: '^.+$' } } };
    for (const probe of ['evil.com#', 'x@evil.com', 'evil.com/', 'evil.com?', 'evil.com:443']) {
      expect(() => resolveBaseUrl(lax, { shop: probe }), probe).toThrow(ConfigurationError);
    }
  });

  it('requires a variable without a default', () => {
    expect(() => resolveBaseUrl(shopify, {})).toThrow(/connectionConfig\.shop is required/);
  });

  it('uses the override as given, http allowed', () => {
    expect(resolveBaseUrl(shopify, {}, 'http://127.0.0.1:4010/')).toBe('http://127.0.0.1:4010');
  });

  it('will not fill a plain http template from config', () => {
    expect(() => resolveUrlTemplate('http://{shop}.myshopify.com', shopify, { shop: 'acme' })).toThrow(
      ConfigurationError,
    );
  });
});

describe('resolvePath', () => {
  it('percent-encodes ids so they cannot change the path', () => {
    expect(resolvePath('/customers/{id}', shopify, {}, { id: 'a/../b?c#d' })).toBe('/customers/a%2F..%2Fb%3Fc%23d');
  });

  it.each(['.', '..'])('rejects the dot segment %j', (id) => {
    expect(() => resolvePath('/customers/{id}', shopify, {}, { id })).toThrow(ConfigurationError);
  });
});
