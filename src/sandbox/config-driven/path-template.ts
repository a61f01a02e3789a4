/**
 * Path templates from a platform config (`/customers/{customerId}/campaigns`, `/inventory_levels.json?location_ids=
 * {locationId}`, `/orders/{id}.json`) as request matchers: connection variables are filled with the values the
 * emulator expects (percent-encoded as the runtime does), `{id}` is captured, and a query part in the template
 * becomes required query parameters.
 */
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { resolvePath } from '../../runtime/base-url.js';
import type { EntityConfig } from '../../runtime/platform-schema.js';

/** Stands for `{id}` while the rest of a template is filled and normalized (never appears in a real path). */
const ID_SENTINEL = 'zzemulatoridzz';

/** A compiled template: the path as a regular expression and the query parameters it requires. */
export interface PathMatcher {
  /** The template as written in the config. */
  template: string;
  /** Matches the path relative to the base URL (percent-encoded, as sent). */
  path: RegExp;
  /** Required query parameters (decoded values); a value may capture `{id}`. */
  query: ReadonlyArray<{ name: string; value: RegExp }>;
  /** Whether `{id}` is in the query (`/product?ID={id}`): then the path alone may be a list's too. */
  idInQuery: boolean;
}

export interface PathMatch {
  /** The decoded `{id}`, when the template has one. */
  id?: string | undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A literal with the `{id}` sentinel turned into a capture group. */
function withIdCapture(text: string, capture: string): string {
  return text.split(ID_SENTINEL).map(escapeRegExp).join(capture);
}

/**
 * Compiles a config path template for `meta` with the emulator's connection config.
 *
 * @example
 * const m = compilePathTemplate('/customers/{customerId}/items/{id}', meta, { customerId: '1234567890' });
 * matchPath(m, '/customers/1234567890/items/abc', new URLSearchParams()); // { id: 'abc' }
 */
export function compilePathTemplate(
  template: string,
  meta: PlatformMeta,
  connectionConfig: Readonly<Record<string, string>>,
): PathMatcher {
  // Fill the template as the runtime does (connection variables percent-encoded), then let the URL parser normalize
  // it exactly as the client's URL will be normalized.
  const filled = resolvePath(template, meta, connectionConfig, { id: ID_SENTINEL });
  const url = new URL(`http://emulator.invalid${filled}`);
  const path = new RegExp(`^${withIdCapture(url.pathname, '([^/]+)')}$`);
  const query = [...url.searchParams].map(([name, value]) => ({
    name,
    value: new RegExp(`^${withIdCapture(value, '(.+)')}$`),
  }));
  const idInQuery = [...url.searchParams.values()].some((value) => value.includes(ID_SENTINEL));
  return { template, path, query, idInQuery };
}

/**
 * Whether a request path (relative to the base URL) and query fit a compiled template; `undefined` when not.
 */
export function matchPath(matcher: PathMatcher, path: string, query: URLSearchParams): PathMatch | undefined {
  const m = matcher.path.exec(path);
  if (!m) return undefined;
  let id = m[1] === undefined ? undefined : safeDecode(m[1]);
  for (const required of matcher.query) {
    const value = query.get(required.name);
    if (value === null) return undefined;
    const q = required.value.exec(value);
    if (!q) return undefined;
    if (q[1] !== undefined) id = q[1];
  }
  return { id };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The path part of a platform's base URL template, filled (e.g. `/admin/api/2026-10` for Shopify); `''` when the
 * base URL is a bare host. The host is the emulator's, so host placeholders are dropped.
 *
 * @example
 * basePathOf(shopifyMeta, { shop: 'acme-store' }); // '/admin/api/2026-10'
 */
export function basePathOf(meta: PlatformMeta, connectionConfig: Readonly<Record<string, string>>): string {
  const rest = /^https?:\/\/[^/?#]*(.*)$/s.exec(meta.baseUrl)?.[1] ?? '';
  // Normalized by the URL parser, as the client's request paths are.
  return new URL(`http://emulator.invalid${resolvePath(rest, meta, connectionConfig)}`).pathname.replace(/\/+$/, '');
}

/**
 * The path template of one record of an entity, as the runtime builds it: `itemPath`, else `<path>/{id}` (a REST
 * item lives under its collection's path, whatever query string the list path carries).
 *
 * @example
 * itemPathTemplate({ path: '/transfers?profile={profileId}', … }); // '/transfers/{id}'
 */
export function itemPathTemplate(config: Pick<EntityConfig, 'path' | 'itemPath'>): string {
  return config.itemPath ?? `${config.path.split('?')[0]}/{id}`;
}
