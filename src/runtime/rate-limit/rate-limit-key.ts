/** Budget keys: which requests share a budget. Built from non-secret facts only, never from credentials. */
import { createHash } from 'node:crypto';
import type { RateLimitConfig } from '../platform-schema.js';

export interface RateLimitKeyInput {
  platformId: string;
  scope: RateLimitConfig['scope'];
  /** The tenant that owns the connection. */
  tenantId?: string | undefined;
  /** The connection's non-secret settings (shop domain, region, instance URL, …). */
  connectionConfig?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * `<platformId>` for app scope (one budget for every connection of the app); for connection scope
 * `<platformId>:<tenant>:<hash of the connection config>` (12 hex digits of SHA-256 over its canonical JSON,
 * so the key is short and stable, and shows no setting). Pass your own `rateLimitKey` (e.g. a connection id) to
 * tell apart two connections of one tenant that have the same settings.
 *
 * @example
 * rateLimitKey({ platformId: 'shopify', scope: 'connection', tenantId: 't1', connectionConfig: { shop: 'acme' } });
 * // 'shopify:t1:5f0c…'
 * rateLimitKey({ platformId: 'google-ads', scope: 'app' }); // 'google-ads'
 */
export function rateLimitKey(input: RateLimitKeyInput): string {
  if (input.scope === 'app') return input.platformId;
  const tenant = input.tenantId === undefined || input.tenantId === '' ? '-' : encodeURIComponent(input.tenantId);
  const digest = createHash('sha256')
    .update(canonicalJson(input.connectionConfig ?? {}))
    .digest('hex')
    .slice(0, 12);
  return `${input.platformId}:${tenant}:${digest}`;
}

/** JSON with object keys sorted at every depth. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
