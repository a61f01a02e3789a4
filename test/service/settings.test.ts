/**
 * Settings from the environment: every bad variable is named with what is wrong (all at once), production demands
 * https, real keys and TLS, and the development key ring is made once and reused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/service/settings.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const platformIds = ['shopify', 'stripe'];

function problemsOf(
  env: Record<string, string>,
  cwd = mkdtempSync(path.join(tmpdir(), 'engarde-settings-')),
): string[] {
  try {
    loadSettings({ env: { ENGARDE_ENCRYPTION_KEYS: `v1:${KEY}`, ...env }, platformIds, cwd });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
}

describe('a bad variable is named with what is wrong', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['PORT that is not a number', { PORT: 'eighty' }, /^PORT: must be a port number/],
    ['PORT out of range', { PORT: '70000' }, /^PORT: must be 0–65535/],
    ['DATABASE_URL that is not postgres', { DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must be a postgres:\/\//],
    [
      'ENGARDE_PUBLIC_URL that is not a URL',
      { ENGARDE_PUBLIC_URL: 'example.com' },
      /^ENGARDE_PUBLIC_URL: must be an http/,
    ],
    [
      'a key of 16 bytes',
      { ENGARDE_ENCRYPTION_KEYS: `v1:${Buffer.alloc(16).toString('base64')}` },
      /^ENGARDE_ENCRYPTION_KEYS: entry 1 \("v1"\): the key is 16 bytes; it must be 32/,
    ],
    [
      'a key ring naming one id twice',
      { ENGARDE_ENCRYPTION_KEYS: `v1:${KEY},v1:${KEY}` },
      /ENGARDE_ENCRYPTION_KEYS: entry 2 \("v1"\): the id "v1" appears twice/,
    ],
    [
      'a key that is not base64',
      { ENGARDE_ENCRYPTION_KEYS: 'v1:***' },
      /ENGARDE_ENCRYPTION_KEYS: entry 1 \("v1"\): the key is not base64/,
    ],
    [
      'an allowed network that is not a CIDR',
      { ENGARDE_ALLOW_PRIVATE_NETWORK: '10.0.0.0/8,intranet' },
      /^ENGARDE_ALLOW_PRIVATE_NETWORK: entry 2 "intranet" is not a CIDR/,
    ],
    ['a rate limit of zero', { ENGARDE_API_RATE_LIMIT: '0' }, /^ENGARDE_API_RATE_LIMIT: must be positive/],
    [
      'a TLS certificate without its key',
      { ENGARDE_TLS_CERT_FILE: 'cert.pem' },
      /^ENGARDE_TLS_CERT_FILE: set together with ENGARDE_TLS_KEY_FILE/,
    ],
    [
      'a trust-proxy value that means nothing',
      { ENGARDE_TRUST_PROXY: 'sometimes' },
      /^ENGARDE_TRUST_PROXY: "sometimes" is not/,
    ],
    ['a log level that does not exist', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ];
  it.each(cases)('%s', (_name, env, want) => {
    expect(problemsOf(env)).toContainEqual(expect.stringMatching(want));
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      ENGARDE_ALLOW_PRIVATE_NETWORK: 'x',
      ENGARDE_TRUST_PROXY: 'sometimes',
      NODE_ENV: 'production',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['ENGARDE_PUBLIC_URL', 'ENGARDE_ALLOW_PRIVATE_NETWORK', 'ENGARDE_TRUST_PROXY']),
    );
  });

  it('never repeats a key in a message', () => {
    const secret = Buffer.alloc(31, 9).toString('base64');
    expect(problemsOf({ ENGARDE_ENCRYPTION_KEYS: `v1:${secret}` }).join('\n')).not.toContain(secret);
  });
});

describe('production', () => {
  it.each([
    [
      'an http public URL',
      { ENGARDE_PUBLIC_URL: 'http://api.example.com', ENGARDE_TRUST_PROXY: 'true' },
      /^ENGARDE_PUBLIC_URL: must be an https:\/\/ URL when NODE_ENV=production/,
    ],
    [
      'no key ring',
      { ENGARDE_PUBLIC_URL: 'https://api.example.com', ENGARDE_TRUST_PROXY: 'true', ENGARDE_ENCRYPTION_KEYS: '' },
      /^ENGARDE_ENCRYPTION_KEYS: required when NODE_ENV=production/,
    ],
    [
      'neither a TLS proxy nor TLS',
      { ENGARDE_PUBLIC_URL: 'https://api.example.com' },
      /^ENGARDE_TRUST_PROXY: with NODE_ENV=production/,
    ],
  ])('refuses %s', (_name, env, want) => {
    expect(problemsOf({ NODE_ENV: 'production', ...env })).toContainEqual(expect.stringMatching(want));
  });

  it('starts behind a TLS proxy with https and keys', () => {
    expect(
      problemsOf({
        NODE_ENV: 'production',
        ENGARDE_PUBLIC_URL: 'https://api.example.com',
        ENGARDE_TRUST_PROXY: '10.0.0.0/8',
      }),
    ).toEqual([]);
  });
});

describe('ENGARDE_PLATFORM_OVERRIDES', () => {
  function withOverrides(content: unknown): string[] {
    const dir = mkdtempSync(path.join(tmpdir(), 'engarde-overrides-'));
    writeFileSync(path.join(dir, 'overrides.json'), JSON.stringify(content));
    return problemsOf({ ENGARDE_PLATFORM_OVERRIDES: 'overrides.json' }, dir);
  }

  it.each([
    ['an unknown platform id', { shopfy: {} }, /\/shopfy: unknown platform id "shopfy"/],
    ['an unknown key', { stripe: { baseURL: 'http://x' } }, /\/stripe: unknown key\(s\) "baseURL"/],
    [
      'an unknown OAuth key',
      { shopify: { oauth: { clientSecrett: 'x' } } },
      /\/shopify\/oauth: unknown key\(s\) "clientSecrett"/,
    ],
    [
      'a token URL that is not a URL',
      { shopify: { oauth: { tokenUrl: 'token' } } },
      /\/shopify\/oauth\/tokenUrl: must be an http/,
    ],
  ])('names %s by JSON pointer', (_name, content, want) => {
    expect(withOverrides(content)).toContainEqual(expect.stringMatching(want));
  });

  it('a missing file is named', () => {
    expect(problemsOf({ ENGARDE_PLATFORM_OVERRIDES: 'nope.json' })).toContainEqual(
      expect.stringMatching(/^ENGARDE_PLATFORM_OVERRIDES: .*nope\.json does not exist/),
    );
  });
});

describe('the development key ring', () => {
  it('is generated once (0600) and reused, with no key in the environment', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'engarde-devkeys-'));
    const first = loadSettings({ env: {}, platformIds, cwd });
    const second = loadSettings({ env: {}, platformIds, cwd });
    const file = path.join(cwd, '.engarde', 'encryption-keys');
    expect(first.keyRingSource).toEqual({ generatedFile: file, created: true });
    expect(second.keyRingSource).toEqual({ generatedFile: file, created: false });
    expect(second.keyRing.active.key.equals(first.keyRing.active.key)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^dev1:[A-Za-z0-9+/]+=*\n$/);
  });
});

describe('engarde serve with a bad variable', () => {
  it('prints each problem and exits 2 before starting anything', () => {
    const cli = path.resolve(import.meta.dirname, '../../bin/engarde.js');
    const result = spawnSync(process.execPath, [cli, 'serve'], {
      env: { ...process.env, PORT: 'eighty', ENGARDE_ALLOW_PRIVATE_NETWORK: 'nope', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('engarde: invalid settings:');
    expect(result.stderr).toMatch(/PORT: must be a port number/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
