/**
 * Keeping tenant-supplied hosts off private networks.
 *
 * A self-hosted platform's host (GitLab, Matomo, Mastodon, WooCommerce…) comes from a connection's config, which a
 * tenant types. Left alone, `127.0.0.1`, `10.0.0.1`, `169.254.169.254` or a name that resolves there would make the
 * service send credentials (and read answers) inside its own network. The guard refuses such hosts:
 *
 * - **Every address the name resolves to**, checked at connect time, inside the socket's own DNS lookup (got's
 *   `dnsLookup`), so a name that resolves to a public address when checked and a private one when connected (DNS
 *   rebinding) is still caught: there is no second resolution to trick.
 * - **IP literals** are checked before the request, since sockets do not resolve them. The WHATWG URL parser has
 *   already turned every numeric form (`0x7f.1`, `2130706433`, `0177.0.0.1`) into dotted decimal, and IPv4-mapped
 *   IPv6 (`::ffff:7f00:1`) is judged as the IPv4 address it carries.
 * - **Cloud metadata names** (`metadata.google.internal`, …) are refused by name, resolvable or not, always.
 *
 * Only globally routable unicast addresses pass (ipaddr.js's `unicast` range): loopback, RFC 1918 private, unique
 * local (fc00::/7), link-local, CGNAT (100.64/10), multicast, broadcast, unspecified, reserved and the IPv6
 * transition ranges that embed an IPv4 address (6to4, Teredo, NAT64) are refused. A deployment that runs platforms on
 * its own network allows CIDRs explicitly (`allowPrivateNetwork: ['10.20.0.0/16']`), or everything private with
 * `true`; cloud metadata addresses stay refused unless a CIDR names them.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigurationError, PrivateNetworkError } from '../errors.js';

/** `true` allows every private address (not cloud metadata); a list allows those CIDRs (metadata too, if named). */
export type AllowPrivateNetwork = boolean | readonly string[];

/** A `dns.lookup`-shaped resolver (what got's `dnsLookup` and `net.connect`'s `lookup` take). */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** Names of cloud instance-metadata services, refused whatever they resolve to. */
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Cloud instance-metadata addresses: AWS, GCP, Azure, OpenStack (IPv4), AWS (IPv6), Alibaba, Oracle. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192']);

/** What an address is, in words for an error message. */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a private (fc00::/7) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unspecified: 'the unspecified address',
  metadata: 'a cloud metadata address',
};

/**
 * How an address is classified: `unicast` (globally routable: allowed) or the range that refuses it.
 *
 * @example
 * addressRange('8.8.8.8');          // 'unicast'
 * addressRange('::ffff:7f00:1');    // 'loopback' (IPv4-mapped 127.0.0.1)
 * addressRange('169.254.169.254');  // 'metadata'
 */
export function addressRange(address: string): string {
  return rangeOf(ipaddr.process(address));
}

function rangeOf(parsed: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (METADATA_ADDRESSES.has(parsed.toNormalizedString()) || METADATA_ADDRESSES.has(parsed.toString())) {
    return 'metadata';
  }
  return parsed.range();
}

export interface PrivateNetworkGuardOptions {
  platformId: string;
  /** The connection field the host came from (`connectionConfig.host`), named in errors. */
  field: string;
  allow?: AllowPrivateNetwork | undefined;
  /** The resolver; default `dns.lookup` (tests inject one). */
  lookup?: LookupFunction | undefined;
}

/**
 * @example
 * const guard = new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host' });
 * guard.checkHostname('10.0.0.1'); // throws PrivateNetworkError
 * got(url, { dnsLookup: guard.lookup }); // resolved addresses are checked before the socket connects
 */
export class PrivateNetworkGuard {
  readonly platformId: string;
  readonly field: string;
  readonly #allowAll: boolean;
  readonly #allowed: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  readonly #resolve: LookupFunction;

  /** @throws ConfigurationError when `allow` names something that is not a CIDR. */
  constructor(options: PrivateNetworkGuardOptions) {
    this.platformId = options.platformId;
    this.field = options.field;
    this.#allowAll = options.allow === true;
    this.#allowed = parseAllowList(options.allow, options.platformId);
    this.#resolve = options.lookup ?? (dnsLookup as unknown as LookupFunction);
  }

  /**
   * Refuses a host name that is a cloud metadata name or an IP literal outside the allowed ranges. A name that is
   * not a literal passes here and is checked when it resolves (`lookup`).
   *
   * @throws PrivateNetworkError naming the field, the host and what it is.
   */
  checkHostname(hostname: string): void {
    const host = normalizeHostname(hostname);
    if (METADATA_HOSTNAMES.has(host)) this.#refuse(host, undefined, 'metadata');
    if (isIP(host) !== 0) this.checkAddress(host, host);
  }

  /** @throws PrivateNetworkError when `address` (what `host` resolved to) is not allowed. */
  checkAddress(host: string, address: string): void {
    const parsed = ipaddr.process(address);
    const range = rangeOf(parsed);
    if (range === 'unicast') return;
    if (this.#allowed.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return;
    if (this.#allowAll && range !== 'metadata') return;
    this.#refuse(host, parsed.toString(), range);
  }

  /**
   * A `dns.lookup` replacement that resolves every address of the name and refuses the connection when any of them
   * is not allowed (so a name with one public and one private address cannot be used to reach the private one).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.#resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
        return;
      }
      const list = addresses as LookupAddress[];
      try {
        this.checkHostname(hostname);
        for (const { address } of list) this.checkAddress(hostname, address);
      } catch (refusal) {
        callback(refusal as NodeJS.ErrnoException, '');
        return;
      }
      if (options.all) callback(null, list);
      else if (list[0]) callback(null, list[0].address, list[0].family);
      else callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    });
  };

  #refuse(host: string, address: string | undefined, range: string): never {
    const what = RANGE_WORDS[range] ?? `a reserved address (${range})`;
    const target = address === undefined || address === host ? `"${host}" is` : `"${host}" resolves to ${address},`;
    throw new PrivateNetworkError(
      `${this.platformId}: ${this.field} ${target} ${what}; refused (a deployment that runs this platform on its own network allows it with allowPrivateNetwork)`,
      { platformId: this.platformId, field: this.field, host, address, range },
    );
  }
}

function normalizeHostname(hostname: string): string {
  let host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}

function parseAllowList(
  allow: AllowPrivateNetwork | undefined,
  platformId: string,
): Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> {
  if (!Array.isArray(allow)) return [];
  return allow.map((cidr, index) => {
    try {
      const [net, bits] = cidr.includes('/')
        ? ipaddr.parseCIDR(cidr)
        : [ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128];
      // An IPv4-mapped IPv6 range is matched as the IPv4 range it maps.
      if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96] as [ipaddr.IPv4, number];
      }
      return [net, bits] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      const field = `allowPrivateNetwork[${index}]`;
      throw new ConfigurationError(
        `${platformId}: ${field} ${JSON.stringify(cidr)} is not a CIDR (e.g. "10.0.0.0/8")`,
        {
          platformId,
          field,
        },
      );
    }
  });
}
