/**
 * Issue 7, item 1: a host that comes from connection config never reaches loopback, private, link-local, CGNAT,
 * multicast, unspecified or cloud-metadata addresses, in any numeric form, checked on what the name resolves to when
 * the socket connects, and refused with a typed error naming the field before any byte is sent.
 *
 * Only loopback addresses are ever connected to here: private and metadata addresses are checked through the guard
 * with an injected resolver, so no test (and no regression) sends traffic off this machine.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addressRange,
  type LookupFunction,
  PrivateNetworkGuard,
} from '../../../src/runtime/http/private-network-guard.js';
import { BaseAdapter, ConfigurationError, type PlatformMeta, PrivateNetworkError } from '../../../src/runtime/index.js';
import { json, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';

/** A raw TCP listener on 127.0.0.1 that counts connections (a TLS client would have sent its hello by then). */
interface CountingListener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function listen(): Promise<CountingListener> {
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hostVariable = {
  type: 'string',
  description: 'Host name of the self-hosted instance.',
  pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
  example: 'git.example.com',
};
const portVariable = { type: 'string', description: 'Port.', pattern: '^[0-9]{2,5}$', example: '443', default: '443' };

/** A self-hosted platform: its host (and, for the test, its port) come from the connection config. */
const selfHosted: PlatformMeta = makeMeta({
  id: 'selfhosted',
  baseUrl: 'https://{host}:{port}/api',
  connectionConfig: { host: hostVariable, port: portVariable },
  auth: { kind: 'bearer' },
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 },
});

/** The same with OAuth2 whose token endpoint is on the tenant's host (GitLab, Mastodon). */
const selfHostedOAuth: PlatformMeta = makeMeta({
  ...selfHosted,
  id: 'selfhosted-oauth',
  auth: {
    kind: 'oauth2',
    authorizationUrl: 'https://{host}:{port}/oauth/authorize',
    tokenUrl: 'https://{host}:{port}/oauth/token',
    refresh: { supported: true, skewSeconds: 60 },
  },
});

class SelfHostedAdapter extends BaseAdapter<{ customers: { id: string } }> {}

function adapter(meta: PlatformMeta, options: Record<string, unknown>) {
  return new SelfHostedAdapter(meta, { credentials: { token: 'tok_secret_value' }, ...options } as never);
}

let listener: CountingListener;
beforeEach(async () => {
  listener = await listen();
});
afterEach(async () => {
  await listener.close();
});

describe('a tenant-supplied host is refused before any byte is sent', () => {
  const loopbackForms: Array<[string, string]> = [
    ['dotted loopback', '127.0.0.1'],
    ['hex loopback', '0x7f.1'],
    ['decimal loopback', '2130706433'],
    ['octal loopback', '0177.0.0.1'],
    ['short loopback', '127.1'],
    ['a name resolving to loopback', 'localhost'],
    ['a name resolving to loopback, in upper case', 'LOCALHOST'],
    ['the unspecified address', '0.0.0.0'],
    ['the GCP metadata name', 'metadata.google.internal'],
  ];

  it.each(loopbackForms)('%s (%s)', async (_name, host) => {
    const gitlab = adapter(selfHosted, { connectionConfig: { host, port: String(listener.port) } });
    const error = await gitlab.fetch('customers').catch((e: unknown) => e);
    await gitlab.close();
    expect(error).toBeInstanceOf(PrivateNetworkError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as PrivateNetworkError).field).toBe('connectionConfig.host');
    expect((error as Error).message).toMatch(/^selfhosted: connectionConfig\.host ".+" (is|resolves to)/);
    expect((error as Error).message).not.toContain('tok_secret_value');
    expect(listener.connections).toBe(0);
  });

  it('testConnection answers false for such a host instead of throwing', async () => {
    const gitlab = adapter(selfHosted, { connectionConfig: { host: '127.0.0.1', port: String(listener.port) } });
    await expect(gitlab.testConnection()).resolves.toBe(false);
    await gitlab.close();
    expect(listener.connections).toBe(0);
  });

  it('the OAuth token request to a tenant host on loopback is refused too', async () => {
    const api = await startServer((_req, res) => json(res, 200, { data: [], has_more: false }));
    const gitlab = adapter(selfHostedOAuth, {
      baseUrl: api.url, // the API itself is a trusted developer override here; the token URL is not
      connectionConfig: { host: '127.0.0.1', port: String(listener.port) },
      credentials: { accessToken: 'old', refreshToken: 'refresh_secret', expiresAt: 1000 },
      oauthClient: { clientId: 'client', clientSecret: 'client_secret_value' },
    });
    const error = await gitlab.fetch('customers').catch((e: unknown) => e);
    await gitlab.close();
    await api.close();
    expect(error).toBeInstanceOf(PrivateNetworkError);
    expect((error as PrivateNetworkError).field).toBe('connectionConfig.host');
    expect(listener.connections).toBe(0);
    expect(api.requests).toHaveLength(0);
  });
});

describe('what a deployment allows', () => {
  it.each<[string, boolean | string[]]>([
    ['allowPrivateNetwork: true', true],
    ['a CIDR that covers the address', ['127.0.0.0/8']],
    ['a single address', ['127.0.0.1']],
  ])('%s lets the connection through', async (_name, allow) => {
    const gitlab = adapter(selfHosted, {
      connectionConfig: { host: '127.0.0.1', port: String(listener.port) },
      allowPrivateNetwork: allow,
      retry: { maxAttempts: 1 },
    });
    const error = await gitlab.fetch('customers').catch((e: unknown) => e);
    await gitlab.close();
    expect(error).not.toBeInstanceOf(PrivateNetworkError); // the raw listener hangs up: a ConnectionError
    expect(listener.connections).toBe(1);
  });

  it('a CIDR that does not cover the address still refuses it', async () => {
    const gitlab = adapter(selfHosted, {
      connectionConfig: { host: '127.0.0.1', port: String(listener.port) },
      allowPrivateNetwork: ['10.0.0.0/8'],
    });
    await expect(gitlab.fetch('customers')).rejects.toBeInstanceOf(PrivateNetworkError);
    await gitlab.close();
    expect(listener.connections).toBe(0);
  });

  it('a base URL the developer gives is trusted as it is', async () => {
    const api = await startServer((_req, res) => json(res, 200, { data: [{ id: '1' }], has_more: false }));
    const gitlab = adapter(selfHosted, { baseUrl: api.url, connectionConfig: { host: '127.0.0.1' } });
    await expect(gitlab.fetch('customers')).resolves.toEqual([{ id: '1' }]);
    await gitlab.close();
    await api.close();
  });

  it('an allowPrivateNetwork entry that is not a CIDR is a ConfigurationError naming it', () => {
    expect(() =>
      adapter(selfHosted, { connectionConfig: { host: 'x.test' }, allowPrivateNetwork: ['10.0.0.0/33'] }),
    ).toThrowError(
      expect.objectContaining({
        name: 'ConfigurationError',
        field: 'allowPrivateNetwork[0]',
      }) as Error,
    );
  });
});

describe('address classes', () => {
  const refused: Array<[string, string, string]> = [
    ['RFC 1918 10/8', '10.0.0.1', 'private'],
    ['RFC 1918 172.16/12', '172.16.0.1', 'private'],
    ['RFC 1918 192.168/16', '192.168.1.1', 'private'],
    ['loopback', '127.0.0.1', 'loopback'],
    ['IPv6 loopback', '::1', 'loopback'],
    ['cloud metadata (AWS, GCP, Azure)', '169.254.169.254', 'metadata'],
    ['AWS IPv6 metadata', 'fd00:ec2::254', 'metadata'],
    ['Alibaba metadata', '100.100.100.200', 'metadata'],
    ['link-local', '169.254.1.1', 'linkLocal'],
    ['IPv6 link-local', 'fe80::1', 'linkLocal'],
    ['CGNAT', '100.64.0.1', 'carrierGradeNat'],
    ['IPv6 unique local (fc00::/7)', 'fc00::1', 'uniqueLocal'],
    ['multicast', '224.0.0.1', 'multicast'],
    ['IPv6 multicast', 'ff02::1', 'multicast'],
    ['unspecified', '0.0.0.0', 'unspecified'],
    ['IPv6 unspecified', '::', 'unspecified'],
    ['broadcast', '255.255.255.255', 'broadcast'],
    ['IPv4-mapped IPv6 loopback (dotted)', '::ffff:127.0.0.1', 'loopback'],
    ['IPv4-mapped IPv6 loopback (hex)', '::ffff:7f00:1', 'loopback'],
    ['IPv4-mapped IPv6 private', '::ffff:10.0.0.1', 'private'],
    ['NAT64 embedding a private address', '64:ff9b::a00:1', 'rfc6052'],
    ['6to4 embedding a private address', '2002:a00:1::', '6to4'],
  ];

  it.each(refused)('%s (%s) is refused as %s', (_name, address, range) => {
    expect(addressRange(address)).toBe(range);
    const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host' });
    expect(() => guard.checkHostname(address)).toThrow(PrivateNetworkError);
  });

  it.each([['8.8.8.8'], ['93.184.216.34'], ['2606:4700::6810:84e5']])('%s, a public address, passes', (address) => {
    expect(addressRange(address)).toBe('unicast');
    const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host' });
    expect(() => guard.checkHostname(address)).not.toThrow();
  });
});

describe('names are judged by every address they resolve to, when the socket connects', () => {
  /** A resolver answering from a table; each name's answers are used in turn (to model DNS rebinding). */
  function resolver(table: Record<string, string[][]>): LookupFunction & { calls: number } {
    const fn = ((hostname: string, _options: unknown, callback: (...args: unknown[]) => void) => {
      fn.calls++;
      const answers = table[hostname]?.shift();
      if (!answers) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
        return;
      }
      const list: LookupAddress[] = answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      callback(null, list);
    }) as LookupFunction & { calls: number };
    fn.calls = 0;
    return fn;
  }

  function lookupWith(guard: PrivateNetworkGuard, hostname: string, all: boolean) {
    return new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      guard.lookup(hostname, { all }, (error, address) => resolve({ error, address })),
    );
  }

  const cases: Array<[string, string[], string]> = [
    ['a name resolving to a private address', ['10.0.0.5'], '10.0.0.5'],
    ['a name resolving to one public and one private address', ['93.184.216.34', '192.168.0.7'], '192.168.0.7'],
    ['a name resolving to an IPv4-mapped loopback', ['::ffff:127.0.0.1'], '127.0.0.1'],
    ['a name resolving to the metadata address', ['169.254.169.254'], '169.254.169.254'],
  ];

  it.each(cases)('%s is refused', async (_name, answers, refusedAddress) => {
    const guard = new PrivateNetworkGuard({
      platformId: 'gitlab',
      field: 'connectionConfig.host',
      lookup: resolver({ 'git.example.com': [answers] }),
    });
    const { error } = await lookupWith(guard, 'git.example.com', false);
    expect(error).toBeInstanceOf(PrivateNetworkError);
    expect(error).toMatchObject({ field: 'connectionConfig.host', host: 'git.example.com', address: refusedAddress });
    expect(error?.message).toContain(`"git.example.com" resolves to ${refusedAddress}`);
  });

  it('DNS rebinding: public when first resolved, loopback on the next connection, is refused then', async () => {
    const lookup = resolver({ 'rebind.example.com': [['93.184.216.34'], ['127.0.0.1']] });
    const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host', lookup });
    expect((await lookupWith(guard, 'rebind.example.com', false)).error).toBeNull();
    expect((await lookupWith(guard, 'rebind.example.com', false)).error).toBeInstanceOf(PrivateNetworkError);
    expect(lookup.calls).toBe(2);
  });

  it.each([
    [false, '93.184.216.34'],
    [true, [{ address: '93.184.216.34', family: 4 }]],
  ])('a public name resolves as dns.lookup would (all: %s)', async (all, want) => {
    const lookup = resolver({ 'git.example.com': [['93.184.216.34']] });
    const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host', lookup });
    expect(await lookupWith(guard, 'git.example.com', all)).toEqual({ error: null, address: want });
  });

  it.each<[string, boolean | string[], string[], boolean]>([
    ['true allows a private address', true, ['10.0.0.5'], true],
    ['true still refuses the metadata address', true, ['169.254.169.254'], false],
    ['a CIDR allows what it covers', ['10.20.0.0/16'], ['10.20.3.4'], true],
    ['a CIDR refuses what it does not cover', ['10.20.0.0/16'], ['10.21.0.1'], false],
    ['a CIDR naming the metadata address allows it', ['169.254.169.254/32'], ['169.254.169.254'], true],
    ['an IPv6 CIDR allows a unique-local address', ['fd12:3456::/32'], ['fd12:3456::1'], true],
  ])('allowPrivateNetwork: %s', async (_name, allow, answers, allowed) => {
    const guard = new PrivateNetworkGuard({
      platformId: 'gitlab',
      field: 'connectionConfig.host',
      allow,
      lookup: resolver({ 'git.example.com': [answers] }),
    });
    const { error } = await lookupWith(guard, 'git.example.com', false);
    if (allowed) expect(error).toBeNull();
    else expect(error).toBeInstanceOf(PrivateNetworkError);
  });

  it('metadata names are refused by name, even with allowPrivateNetwork: true', () => {
    const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host', allow: true });
    for (const name of ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata', 'instance-data']) {
      expect(() => guard.checkHostname(name), name).toThrow(PrivateNetworkError);
    }
  });
});
