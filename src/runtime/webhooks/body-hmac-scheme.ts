/**
 * The two shapes shared by the schemes that sign the raw body and nothing else: a hex digest behind a prefix
 * (`sha256=…`, `sha1=…`: GitHub, Meta, Intercom) and a bare base64 digest (Shopify, Xero).
 */
import { decodeBase64, decodeHex, hmac } from './webhook-crypto.js';
import { isFailure, malformed, type WebhookScheme } from './webhook-scheme.js';
import type { ResolvedWebhookConfig, WebhookSchemeName } from './webhook-types.js';

export interface PrefixedHexSchemeOptions {
  name: WebhookSchemeName;
  algorithm: 'sha1' | 'sha256';
  /** What precedes the hex digest in the header, e.g. `sha256=`. */
  prefix: string;
  defaults: ResolvedWebhookConfig;
}

/**
 * A scheme whose header is `<prefix><hex HMAC of the raw body>`.
 *
 * @example
 * const scheme = prefixedHexBodyScheme({ name: 'github-sha256', algorithm: 'sha256', prefix: 'sha256=', defaults });
 */
export function prefixedHexBodyScheme(options: PrefixedHexSchemeOptions): WebhookScheme {
  const { algorithm, prefix } = options;
  return {
    name: options.name,
    defaults: options.defaults,
    parse({ headers, body, config }) {
      const header = headers.required(config.signatureHeader);
      if (isFailure(header)) return header;
      const digest = header.startsWith(prefix) ? decodeHex(header.slice(prefix.length)) : undefined;
      if (!digest) return malformed(config.signatureHeader, `${prefix}<hex digest>`);
      return { provided: [digest], expected: (secret) => [hmac(algorithm, secret, body)] };
    },
    sign({ secret, body, config }) {
      return { headers: { [config.signatureHeader]: `${prefix}${hmac(algorithm, secret, body).toString('hex')}` } };
    },
  };
}

export interface Base64BodySchemeOptions {
  name: WebhookSchemeName;
  defaults: ResolvedWebhookConfig;
}

/**
 * A scheme whose header is the base64 HMAC-SHA256 of the raw body.
 *
 * @example
 * const scheme = base64BodyScheme({ name: 'xero-hmac-sha256', defaults: { signatureHeader: 'x-xero-signature', toleranceSeconds: 300 } });
 */
export function base64BodyScheme(options: Base64BodySchemeOptions): WebhookScheme {
  return {
    name: options.name,
    defaults: options.defaults,
    parse({ headers, body, config }) {
      const header = headers.required(config.signatureHeader);
      if (isFailure(header)) return header;
      const digest = decodeBase64(header);
      if (!digest) return malformed(config.signatureHeader, 'a base64 digest');
      return { provided: [digest], expected: (secret) => [hmac('sha256', secret, body)] };
    },
    sign({ secret, body, config }) {
      return { headers: { [config.signatureHeader]: hmac('sha256', secret, body).toString('base64') } };
    },
  };
}

/** A platform's own plain body HMAC, declared in config rather than named after a vendor (`scheme: "hmac-body"`). */
export interface GenericBodyHmacConfig {
  scheme: 'hmac-body';
  algorithm: 'sha1' | 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  /** Text before the digest, e.g. `sha256=`; empty for a bare digest. */
  prefix?: string;
  signatureHeader: string;
  deliveryIdHeader?: string;
  /** How the secret is written: as the key's text (default), or base64 of the key's bytes (Airtable's `macSecretBase64`). */
  secretEncoding?: 'utf8' | 'base64';
}

const ALGORITHMS: ReadonlySet<unknown> = new Set(['sha1', 'sha256', 'sha512']);
const ENCODINGS: ReadonlySet<unknown> = new Set(['hex', 'base64']);

/**
 * What is wrong with a `hmac-body` config that did not come through the platform schema (a registered or passed-in
 * one), or `undefined` when it is usable. Verification refuses a config it cannot trust instead of throwing on it.
 *
 * @example
 * genericBodyHmacConfigProblem({ scheme: 'hmac-body', algorithm: 'md5', encoding: 'hex', signatureHeader: 'X-Sig' });
 * // 'algorithm must be sha1, sha256 or sha512'
 */
export function genericBodyHmacConfigProblem(config: object): string | undefined {
  const { algorithm, encoding, prefix, signatureHeader, deliveryIdHeader } = config as Partial<Record<string, unknown>>;
  if (!ALGORITHMS.has(algorithm)) return 'algorithm must be sha1, sha256 or sha512';
  if (!ENCODINGS.has(encoding)) return 'encoding must be hex or base64';
  if (prefix !== undefined && typeof prefix !== 'string') return 'prefix must be a string';
  if (typeof signatureHeader !== 'string' || signatureHeader === '') return 'signatureHeader must be a header name';
  if (deliveryIdHeader !== undefined && typeof deliveryIdHeader !== 'string') {
    return 'deliveryIdHeader must be a header name';
  }
  const { secretEncoding } = config as Partial<Record<string, unknown>>;
  if (secretEncoding !== undefined && secretEncoding !== 'utf8' && secretEncoding !== 'base64') {
    return 'secretEncoding must be utf8 or base64';
  }
  return undefined;
}

/**
 * The scheme a `hmac-body` config describes: `<prefix><hex or base64 HMAC of the raw body>` in one header.
 *
 * @example
 * const scheme = genericBodyHmacScheme({ scheme: 'hmac-body', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', signatureHeader: 'X-Signature' });
 */
export function genericBodyHmacScheme(config: GenericBodyHmacConfig): WebhookScheme {
  const { algorithm, encoding } = config;
  const prefix = config.prefix ?? '';
  const decode = encoding === 'hex' ? decodeHex : decodeBase64;
  const key = (secret: string): string | Buffer =>
    config.secretEncoding === 'base64' ? Buffer.from(secret, 'base64') : secret;
  return {
    name: 'hmac-body',
    defaults: {
      signatureHeader: config.signatureHeader,
      ...(config.deliveryIdHeader ? { deliveryIdHeader: config.deliveryIdHeader } : {}),
      toleranceSeconds: 300,
    },
    parse({ headers, body, config: resolved }) {
      const header = headers.required(resolved.signatureHeader);
      if (isFailure(header)) return header;
      const digest = header.startsWith(prefix) ? decode(header.slice(prefix.length)) : undefined;
      if (!digest) return malformed(resolved.signatureHeader, `${prefix}<${encoding} digest>`);
      return { provided: [digest], expected: (secret) => [hmac(algorithm, key(secret), body)] };
    },
    sign({ secret, body, config: resolved }) {
      return {
        headers: { [resolved.signatureHeader]: `${prefix}${hmac(algorithm, key(secret), body).toString(encoding)}` },
      };
    },
  };
}
