import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../generator/config/load-config.js';
import { checkSources } from '../../scripts/catalogue/check-sources.js';
import type { PlatformConfig } from '../../src/runtime/platform-schema.js';
import { acmePlatform } from '../generator/fixtures/fixture-root.js';

const FILE = 'configs/platform_configs_extended.json';

/** Acme (API at {tenant}.acme.test, docs at developer.acme.test) citing one URL for its rate limit. */
function citing(url: string, sources: Record<string, unknown> = {}): PlatformConfig {
  const entry = { ...acmePlatform(), verifiedAt: '2026-12-08', sources: { rateLimit: url, ...sources } };
  return validateConfig({ platforms: [entry] }, FILE).platforms[0] as PlatformConfig;
}

describe('check-sources: where a cited URL may point', () => {
  test.each([
    ['a page on the vendor docs domain', 'https://developer.acme.test/limits', {}],
    ['a page on the API host domain', 'https://status.acme.test/limits', {}],
    [
      'a repository of an official GitHub organisation',
      'https://github.com/acme-inc/openapi',
      { githubOrgs: ['Acme-Inc'] },
    ],
    [
      'the GitHub Pages site of an official organisation',
      'https://acme-inc.github.io/sdk/limits.html',
      { githubOrgs: ['acme-inc'] },
    ],
    ['a page on a declared official domain', 'https://docs.acme-legacy.test/limits', { domains: ['acme-legacy.test'] }],
  ])('accepts %s', (_, url, sources) => {
    expect(checkSources(citing(url, sources))).toEqual([]);
  });

  test.each([
    ['another vendor', 'https://blog.example.com/acme-limits', "is not on the vendor's own domain"],
    ['GitHub outside the vendor organisations', 'https://github.com/someone/acme-notes', 'is not one of the vendor'],
    [
      'a shared documentation host of another vendor',
      'https://other.readme.io/limits',
      "is not on the vendor's own domain",
    ],
  ])('refuses %s', (_, url, message) => {
    const problems = checkSources(citing(url));
    expect(problems).toEqual([
      { platformId: 'acme-crm', pointer: '/sources/rateLimit', message: expect.stringContaining(message) },
    ]);
  });
});

describe('schema: citations', () => {
  const entry = (extra: Record<string, unknown>) => ({ ...acmePlatform(), ...extra });
  test.each([
    ['sources without verifiedAt', { sources: { api: 'https://developer.acme.test/api' } }, '/verifiedAt'],
    ['verifiedAt without sources', { verifiedAt: '2026-12-08' }, '/sources'],
    [
      'a date that is not one',
      { verifiedAt: '2026-13-40', sources: { api: 'https://developer.acme.test/api' } },
      '/verifiedAt',
    ],
    [
      'an entity source for an entity it does not have',
      { verifiedAt: '2026-12-08', sources: { entities: { deals: 'https://developer.acme.test/deals' } } },
      '/sources/entities/deals',
    ],
    [
      'a source that is not https',
      { verifiedAt: '2026-12-08', sources: { auth: 'http://developer.acme.test/auth' } },
      '/sources/auth',
    ],
  ])('refuses %s, naming the field', (_, extra, pointer) => {
    expect(() => validateConfig({ platforms: [entry(extra)] }, FILE)).toThrow(`acme-crm ${pointer}:`);
  });
});
