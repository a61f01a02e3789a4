/**
 * Filling URL and path templates from a connection's config, without ever letting a value choose the host.
 *
 * Each `{var}` must be a declared connection variable (or `apiVersion`). Its value, or its `default`, must match
 * the variable's `pattern`; a value in the host must also be a plain DNS label sequence, and one in the path is
 * percent-encoded and may not be `.` or `..`. The finished URL is parsed and its host compared with the one built,
 * so `evil.com#`, `x@evil.com` or `evil.com/` can never redirect a request (and its credentials).
 */
import type { PlatformMeta } from './adapter-types.js';
import { ConfigurationError } from './errors.js';

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const HOST_SAFE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

type ConnectionValues = Readonly<Record<string, unknown>> | undefined;

function fail(meta: PlatformMeta, field: string, message: string): never {
  throw new ConfigurationError(`${meta.id}: ${field} ${message}`, { field, platformId: meta.id });
}

/**
 * A connection variable's value after the checks: given (or default), suffix-stripped, pattern-matched.
 * The `hostSuffix` is stripped when the user gave the full host, so both `shop` and `shop.myshopify.com` work.
 */
export function connectionValue(meta: PlatformMeta, connectionConfig: ConnectionValues, name: string): string {
  if (name === 'apiVersion' && !Object.hasOwn(meta.connectionConfig, name)) return meta.apiVersion;
  const field = `connectionConfig.${name}`;
  const variable = meta.connectionConfig[name];
  if (!variable) fail(meta, field, 'is not a connection variable of this platform');
  const given = connectionConfig?.[name];
  if (given !== undefined && given !== null && typeof given !== 'string') fail(meta, field, 'must be a string');
  let value = typeof given === 'string' && given !== '' ? given.trim() : variable.default;
  if (value === undefined || value === '') fail(meta, field, `is required (e.g. ${JSON.stringify(variable.example)})`);
  const suffix = variable.hostSuffix;
  if (suffix && value.toLowerCase().endsWith(suffix.toLowerCase()) && value.length > suffix.length) {
    value = value.slice(0, value.length - suffix.length);
  }
  if (!new RegExp(variable.pattern).test(value)) {
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    fail(meta, field, `${JSON.stringify(shown)} does not match the pattern ${variable.pattern}`);
  }
  return value;
}

export interface ResolveUrlOptions {
  /** Accept `http:` (loopback overrides); config templates are always `https:`. */
  allowHttp?: boolean;
  /** What the template is, for error fields: `baseUrl`, `auth.tokenUrl`. */
  field?: string;
}

/**
 * Fills an absolute URL template (`https://{shop}.myshopify.com/admin/api/{apiVersion}`).
 *
 * @example
 * resolveUrlTemplate('https://{shop}.myshopify.com/admin/api/{apiVersion}', meta, { shop: 'acme' });
 * // 'https://acme.myshopify.com/admin/api/2025-07'
 * resolveUrlTemplate('https://{shop}.myshopify.com', meta, { shop: 'x@evil.com' }); // throws ConfigurationError
 */
export function resolveUrlTemplate(
  template: string,
  meta: PlatformMeta,
  connectionConfig: ConnectionValues,
  options: ResolveUrlOptions = {},
): string {
  const field = options.field ?? 'baseUrl';
  const match = /^(https?):\/\/([^/?#]*)(.*)$/s.exec(template);
  if (!match || (match[1] === 'http' && !options.allowHttp)) fail(meta, field, 'must be an https:// URL');
  const [, scheme, authorityTemplate = '', restTemplate = ''] = match;

  const authority = authorityTemplate.replace(PLACEHOLDER, (_, name: string, offset: number) => {
    const value = connectionValue(meta, connectionConfig, name);
    const variable = meta.connectionConfig[name];
    const after = authorityTemplate.slice(offset + name.length + 2);
    const suffix = variable?.hostSuffix;
    const full = suffix && !after.toLowerCase().startsWith(suffix.toLowerCase()) ? `${value}${suffix}` : value;
    if (!HOST_SAFE.test(value) || !HOST_SAFE.test(full.replace(/^\.+|\.+$/g, ''))) {
      fail(meta, `connectionConfig.${name}`, `${JSON.stringify(value)} cannot be used in a host name`);
    }
    return full;
  });
  const rest = fillPath(restTemplate, meta, connectionConfig, {});
  const url = `${scheme}://${authority}${rest}`;

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(meta, field, 'does not make a valid URL with this connection config');
  }
  let expectedHost: string;
  try {
    expectedHost = new URL(`${scheme}://${authority}/`).host;
  } catch {
    fail(meta, field, 'does not make a valid host with this connection config');
  }
  if (/[@\\]/.test(authority) || parsed.host !== expectedHost || parsed.username !== '' || parsed.password !== '') {
    fail(meta, field, 'would point at another host with this connection config');
  }
  return url;
}

/**
 * The connection variables that choose a URL template's host (`{host}`, `{shop}` in `https://{shop}.myshopify.com`):
 * a host built from them came from a tenant, so requests to it go through the private-network guard.
 *
 * @example
 * hostVariables('https://{host}/api/{apiVersion}'); // ['host']
 * hostVariables('https://api.stripe.com/v1');       // []
 */
export function hostVariables(template: string): string[] {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(template)?.[1] ?? '';
  return [...authority.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * The adapter's base URL: `override` when given (tests and sandboxes; it may use the same placeholders and may be
 * `http:`), else the platform's `baseUrl` template. No trailing slash.
 *
 * @example
 * resolveBaseUrl(shopifyMeta, { shop: 'acme.myshopify.com' }); // 'https://acme.myshopify.com/admin/api/2025-07'
 * resolveBaseUrl(shopifyMeta, {}, 'http://127.0.0.1:4010');     // 'http://127.0.0.1:4010'
 */
export function resolveBaseUrl(meta: PlatformMeta, connectionConfig: ConnectionValues, override?: string): string {
  const url =
    override === undefined
      ? resolveUrlTemplate(meta.baseUrl, meta, connectionConfig, { field: 'baseUrl' })
      : resolveUrlTemplate(override, meta, connectionConfig, { field: 'options.baseUrl', allowHttp: true });
  return url.replace(/\/+$/, '');
}

/**
 * Fills a path template (`/orders/{id}.json`, `/{accountId}/campaigns`): `params` first (percent-encoded as they
 * are, e.g. record ids), then connection variables (pattern-checked, then percent-encoded).
 *
 * @example
 * resolvePath('/v1/customers/{id}', meta, {}, { id: 'cus 1/2' }); // '/v1/customers/cus%201%2F2'
 */
export function resolvePath(
  template: string,
  meta: PlatformMeta,
  connectionConfig: ConnectionValues,
  params: Readonly<Record<string, string>> = {},
): string {
  return fillPath(template, meta, connectionConfig, params);
}

function fillPath(
  template: string,
  meta: PlatformMeta,
  connectionConfig: ConnectionValues,
  params: Readonly<Record<string, string>>,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const fromParams = Object.hasOwn(params, name);
    if (!fromParams && name === 'apiVersion' && !Object.hasOwn(meta.connectionConfig, name)) return meta.apiVersion;
    const value = fromParams ? (params[name] as string) : connectionValue(meta, connectionConfig, name);
    const field = fromParams ? name : `connectionConfig.${name}`;
    if (value === '' || value === '.' || value === '..')
      fail(meta, field, `${JSON.stringify(value)} cannot be used in a path`);
    return encodeURIComponent(value);
  });
}

/**
 * A copy of a query or body value with `{name}` placeholders of connection variables (and `{apiVersion}`) filled
 * in, deep through objects and arrays; other placeholders (`{incremental}`) are left for their own stage. Values
 * are not URL-encoded: query strings and JSON bodies encode them themselves.
 *
 * @example
 * fillConnectionPlaceholders({ advertiser_id: '{advertiserId}' }, meta, { advertiserId: '7012' }); // { advertiser_id: '7012' }
 */
export function fillConnectionPlaceholders<T>(value: T, meta: PlatformMeta, connectionConfig: ConnectionValues): T {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, name: string) => {
      if (name === 'apiVersion' && !Object.hasOwn(meta.connectionConfig, name)) return meta.apiVersion;
      if (!Object.hasOwn(meta.connectionConfig, name)) return whole;
      return connectionValue(meta, connectionConfig, name);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => fillConnectionPlaceholders(v, meta, connectionConfig)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillConnectionPlaceholders(v, meta, connectionConfig)]),
    ) as T;
  }
  return value;
}
