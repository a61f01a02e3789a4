/**
 * Azure Storage Shared Key (Blob, Queue, File; version 2015-02-21 and later), from Microsoft's specification
 * "Authorize with Shared Key": an HMAC-SHA256, keyed with the base64-decoded account key, of the verb, the standard
 * headers, the canonicalized `x-ms-*` headers and the canonicalized resource. Written here because the only library
 * that implements it is the whole Azure Storage SDK; its tests compare with that SDK's `StorageSharedKeyCredential`.
 */
import { createHmac } from 'node:crypto';
import { AdapterError } from '../errors.js';
import type { AuthConfig } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type AzureSharedKeyAuthConfig = Extract<AuthConfig, { kind: 'azure_shared_key' }>;

/** The standard headers in string-to-sign order. */
const SIGNED_STANDARD_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

/**
 * The string Shared Key signs, for a request whose headers are final.
 *
 * @example
 * sharedKeyStringToSign('myaccount', 'GET', new URL('https://myaccount.blob.core.windows.net/c?comp=list'), headers);
 */
export function sharedKeyStringToSign(
  account: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
): string {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const standard = SIGNED_STANDARD_HEADERS.map((name) => {
    const value = lower.get(name) ?? '';
    // Since 2015-02-21 a zero Content-Length is signed as the empty string.
    return name === 'content-length' && value === '0' ? '' : value;
  });
  const msHeaders = [...lower]
    .filter(([name]) => name.startsWith('x-ms-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value.replace(/\s+/g, ' ').trim()}\n`)
    .join('');
  const params = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) {
    const name = key.toLowerCase();
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  const resource =
    `/${account}${url.pathname || '/'}` +
    [...params]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, values]) => `\n${name}:${[...values].sort().join(',')}`)
      .join('');
  return [method.toUpperCase(), ...standard, `${msHeaders}${resource}`].join('\n');
}

/**
 * @example
 * await new AzureSharedKeyAuth(config, store).apply(target); // Authorization: SharedKey myaccount:<base64 HMAC>
 */
export class AzureSharedKeyAuth implements AuthStrategy {
  readonly kind = 'azure_shared_key' as const;
  readonly sensitiveNames: readonly string[] = ['Authorization'];
  readonly #store: CredentialStore;
  readonly #now: () => Date;

  constructor(_config: AzureSharedKeyAuthConfig, store: CredentialStore, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  async apply(target: AuthTarget): Promise<void> {
    const platformId = this.#store.platformId;
    if (!target.url || !target.method) {
      throw new AdapterError(`${platformId}: Shared Key needs the request's method and URL to sign`);
    }
    const account = this.#store.render('{accountName}', 'Shared Key signing');
    const key = Buffer.from(this.#store.render('{accountKey}', 'Shared Key signing'), 'base64');
    if (!Object.keys(target.headers).some((h) => h.toLowerCase() === 'x-ms-date')) {
      target.headers['x-ms-date'] = this.#now().toUTCString();
    }
    if (target.body !== undefined) target.headers['Content-Length'] = String(Buffer.byteLength(target.body));
    const url = new URL(target.url);
    url.search = target.query.toString();
    const signature = createHmac('sha256', key)
      .update(sharedKeyStringToSign(account, target.method, url, target.headers), 'utf8')
      .digest('base64');
    target.headers.Authorization = `SharedKey ${account}:${signature}`;
  }
}
