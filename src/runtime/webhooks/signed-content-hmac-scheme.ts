/**
 * An HMAC over a signed string built from the delivery, declared in config (`scheme: "hmac-signed-content"`): for
 * the vendors that sign a timestamp (and sometimes a delivery id) together with the raw body, in a layout no named
 * scheme has. The config says where the signature is (a header, or one entry of a `key=value` list in it, as
 * Paddle's `ts=…;h1=…`), where the signed timestamp is (a header, or another entry of that list) and how it is
 * written, and the signed content as a template over `{timestamp}`, `{body}` and `{id}`:
 *
 * - Paddle: `Paddle-Signature: ts=<unix seconds>;h1=<hex>` over `{timestamp}:{body}`;
 * - Box: `BOX-SIGNATURE-PRIMARY` (and `BOX-SIGNATURE-SECONDARY`), base64, over `{body}{timestamp}` with the
 *   RFC 3339 `BOX-DELIVERY-TIMESTAMP`.
 *
 * Placeholders take the received text exactly (the timestamp as written in its header, the body's raw bytes), so
 * nothing is re-encoded before hashing.
 */
import { decodeBase64, decodeBase64Secret, decodeHex, hmac } from './webhook-crypto.js';
import type { WebhookHeaderReader } from './webhook-headers.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  fail,
  isFailure,
  malformed,
  parseUnixMillis,
  parseUnixSeconds,
  unixSeconds,
  type WebhookScheme,
} from './webhook-scheme.js';
import type { WebhookFailure } from './webhook-types.js';

/** The signature header as a list of `key=value` entries (Paddle's `ts=1671552777;h1=eb4d…`). */
export interface SignatureListFormat {
  /** Between entries, e.g. `;` or `,`. */
  separator: string;
  /** Between an entry's key and value; default `=`. */
  keyValueSeparator?: string;
  /** The key of the signature entries (`h1`); several such entries (a rotation) may each match. */
  signatureKey: string;
  /** The key of the signed timestamp's entry (`ts`), where the timestamp is in this header. */
  timestampKey?: string;
}

/** How the signed timestamp is written. */
export type SignedTimestampFormat = 'unix-seconds' | 'unix-millis' | 'rfc3339';

/** A vendor's HMAC over a signed string, declared in config (`scheme: "hmac-signed-content"`). */
export interface GenericSignedContentConfig {
  scheme: 'hmac-signed-content';
  algorithm: 'sha1' | 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  /** Text before each digest, e.g. `v1=`; empty for a bare digest. */
  prefix?: string;
  /** How the secret is written: the key's text (default), or base64 of the key's bytes. */
  secretEncoding?: 'utf8' | 'base64';
  /** The signed content: literal text with `{body}` (once), `{timestamp}` and `{id}`, e.g. `{timestamp}:{body}`. */
  content: string;
  signatureHeader: string;
  /** The signature header's `key=value` layout, where it is not a bare digest. */
  signatureList?: SignatureListFormat;
  /**
   * Further headers, each with a digest by another of the account's keys (Box's `BOX-SIGNATURE-SECONDARY`); read
   * when present, and any configured secret may match any of them.
   */
  additionalSignatureHeaders?: string[];
  /** The header holding the signed timestamp (or `signatureList.timestampKey`). */
  timestampHeader?: string;
  /** Default `unix-seconds`. */
  timestampFormat?: SignedTimestampFormat;
  /** The delivery id's header; `{id}` in `content` signs it. */
  deliveryIdHeader?: string;
  /** Replay window: a signed timestamp further than this from now, either way, is refused. Default 300 s. */
  toleranceSeconds?: number;
}

/** One piece of the signed content: literal text, or a value of the delivery. */
type ContentPart = { text: string } | { value: 'timestamp' | 'body' | 'id' };

const PLACEHOLDER = /\{([^{}]*)\}/g;
const VALUES: ReadonlySet<string> = new Set(['timestamp', 'body', 'id']);

/**
 * The content template split into literal text and placeholders, or what is wrong with it.
 *
 * @example
 * compileSignedContent('{timestamp}:{body}');
 * // [{ value: 'timestamp' }, { text: ':' }, { value: 'body' }]
 */
export function compileSignedContent(content: string): ContentPart[] | string {
  const parts: ContentPart[] = [];
  let at = 0;
  for (const match of content.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (!VALUES.has(name)) return `content may use only {timestamp}, {body} and {id}, not {${name}}`;
    if (match.index > at) parts.push({ text: content.slice(at, match.index) });
    parts.push({ value: name as 'timestamp' | 'body' | 'id' });
    at = match.index + match[0].length;
  }
  if (at < content.length) parts.push({ text: content.slice(at) });
  for (const name of VALUES) {
    const count = parts.filter((p) => 'value' in p && p.value === name).length;
    if (count > 1) return `content may use {${name}} once`;
    if (name === 'body' && count === 0) return 'content must sign the {body}';
  }
  return parts;
}

const ALGORITHMS: ReadonlySet<unknown> = new Set(['sha1', 'sha256', 'sha512']);
const ENCODINGS: ReadonlySet<unknown> = new Set(['hex', 'base64']);
const TIMESTAMP_FORMATS: ReadonlySet<unknown> = new Set(['unix-seconds', 'unix-millis', 'rfc3339']);

const isName = (value: unknown): boolean => typeof value === 'string' && value !== '';

/**
 * What is wrong with a `hmac-signed-content` config, or `undefined` when it is usable: the platform schema checks
 * configs with it, and verification refuses a registered or passed-in config it cannot trust instead of throwing.
 *
 * @example
 * signedContentConfigProblem({ scheme: 'hmac-signed-content', algorithm: 'sha256', encoding: 'hex',
 *   content: '{timestamp}.{body}', signatureHeader: 'X-Sig' });
 * // '{timestamp} in content needs timestampHeader or signatureList.timestampKey'
 */
export function signedContentConfigProblem(config: object): string | undefined {
  const c = config as Partial<Record<keyof GenericSignedContentConfig, unknown>>;
  if (!ALGORITHMS.has(c.algorithm)) return 'algorithm must be sha1, sha256 or sha512';
  if (!ENCODINGS.has(c.encoding)) return 'encoding must be hex or base64';
  if (c.prefix !== undefined && typeof c.prefix !== 'string') return 'prefix must be a string';
  if (c.secretEncoding !== undefined && c.secretEncoding !== 'utf8' && c.secretEncoding !== 'base64') {
    return 'secretEncoding must be utf8 or base64';
  }
  if (!isName(c.signatureHeader)) return 'signatureHeader must be a header name';
  const extra = c.additionalSignatureHeaders;
  if (extra !== undefined && !(Array.isArray(extra) && extra.every(isName))) {
    return 'additionalSignatureHeaders must be header names';
  }
  for (const field of ['timestampHeader', 'deliveryIdHeader'] as const) {
    if (c[field] !== undefined && !isName(c[field])) return `${field} must be a header name`;
  }
  if (c.timestampFormat !== undefined && !TIMESTAMP_FORMATS.has(c.timestampFormat)) {
    return 'timestampFormat must be unix-seconds, unix-millis or rfc3339';
  }
  const tolerance = c.toleranceSeconds;
  if (tolerance !== undefined && !(typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0)) {
    return 'toleranceSeconds must be a finite number of seconds';
  }
  const list = c.signatureList;
  let timestampKey: unknown;
  if (list !== undefined) {
    if (typeof list !== 'object' || list === null) return 'signatureList must be an object';
    const l = list as Partial<Record<keyof SignatureListFormat, unknown>>;
    if (!isName(l.separator)) return 'signatureList.separator must be a non-empty string';
    if (l.keyValueSeparator !== undefined && !isName(l.keyValueSeparator)) {
      return 'signatureList.keyValueSeparator must be a non-empty string';
    }
    if ((l.keyValueSeparator ?? '=') === l.separator) return 'signatureList separators must differ';
    if (!isName(l.signatureKey)) return 'signatureList.signatureKey must be a key';
    if (l.timestampKey !== undefined && !isName(l.timestampKey)) return 'signatureList.timestampKey must be a key';
    if (l.timestampKey === l.signatureKey) return 'signatureList keys must differ';
    timestampKey = l.timestampKey;
  }
  if (typeof c.content !== 'string') return 'content must be a template string';
  const parts = compileSignedContent(c.content);
  if (typeof parts === 'string') return parts;
  const signs = (name: string) => parts.some((p) => 'value' in p && p.value === name);
  if (c.timestampHeader !== undefined && timestampKey !== undefined) {
    return 'the timestamp is either in timestampHeader or in signatureList.timestampKey, not both';
  }
  const hasTimestamp = c.timestampHeader !== undefined || timestampKey !== undefined;
  if (signs('timestamp') && !hasTimestamp) {
    return '{timestamp} in content needs timestampHeader or signatureList.timestampKey';
  }
  // A timestamp that is not signed would be checked against the replay window while protecting nothing.
  if (hasTimestamp && !signs('timestamp')) return 'a timestamp that content does not sign cannot stop replays';
  if (signs('id') && c.deliveryIdHeader === undefined) return '{id} in content needs deliveryIdHeader';
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** A timestamp written in `format`, or `undefined` when it is not. */
function parseTimestamp(value: string, format: SignedTimestampFormat): Date | undefined {
  if (format === 'unix-seconds') return parseUnixSeconds(value);
  if (format === 'unix-millis') return parseUnixMillis(value);
  if (!RFC3339.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time) : undefined;
}

function formatTimestamp(date: Date, format: SignedTimestampFormat): string {
  if (format === 'unix-seconds') return String(unixSeconds(date));
  if (format === 'unix-millis') return String(date.getTime());
  return `${date.toISOString().slice(0, 19)}Z`;
}

const TIMESTAMP_EXPECTED: Record<SignedTimestampFormat, string> = {
  'unix-seconds': 'Unix seconds',
  'unix-millis': 'Unix milliseconds',
  rfc3339: 'an RFC 3339 time',
};

/**
 * The scheme a `hmac-signed-content` config describes. The config must have passed `signedContentConfigProblem`
 * (`verifyWebhook` checks it first; the platform schema checks catalogue configs).
 *
 * @example
 * const paddle = signedContentHmacScheme({ scheme: 'hmac-signed-content', algorithm: 'sha256', encoding: 'hex',
 *   content: '{timestamp}:{body}', signatureHeader: 'Paddle-Signature',
 *   signatureList: { separator: ';', signatureKey: 'h1', timestampKey: 'ts' }, toleranceSeconds: 5 });
 */
export function signedContentHmacScheme(config: GenericSignedContentConfig): WebhookScheme {
  const { algorithm, encoding, signatureList: list } = config;
  const prefix = config.prefix ?? '';
  const format = config.timestampFormat ?? 'unix-seconds';
  const kv = list?.keyValueSeparator ?? '=';
  const parts = compileSignedContent(config.content);
  if (typeof parts === 'string') throw new TypeError(`invalid hmac-signed-content config: ${parts}`);
  const decode = encoding === 'hex' ? decodeHex : decodeBase64;
  const key = (secret: string): string | Buffer | undefined =>
    config.secretEncoding === 'base64' ? decodeBase64Secret(secret) : secret;
  const signedParts = (body: Buffer, timestamp: string, id: string): Array<string | Buffer> =>
    parts.map((p) => ('text' in p ? p.text : p.value === 'body' ? body : p.value === 'timestamp' ? timestamp : id));
  const expectedShape = list
    ? `${[list.timestampKey, list.signatureKey].filter(Boolean).join(`${kv}…${list.separator}`)}${kv}${prefix}<${encoding} digest>`
    : `${prefix}<${encoding} digest>`;

  /** The digests in one signature header, and its list's timestamp entry; a failure when it has no digest. */
  const readSignatureHeader = (
    header: string,
    name: string,
  ): { digests: Buffer[]; timestamp: string | undefined } | WebhookFailure => {
    const digests: Buffer[] = [];
    let timestamp: string | undefined;
    let timestamps = 0;
    const values: string[] = [];
    if (!list) values.push(header);
    else {
      for (const item of header.split(list.separator)) {
        const at = item.indexOf(kv);
        if (at < 0) continue;
        const entryKey = item.slice(0, at).trim();
        const value = item.slice(at + kv.length).trim();
        if (entryKey === list.signatureKey) values.push(value);
        else if (list.timestampKey !== undefined && entryKey === list.timestampKey) {
          timestamp = value;
          timestamps += 1;
        }
      }
    }
    for (const value of values) {
      const digest = value.startsWith(prefix) ? decode(value.slice(prefix.length)) : undefined;
      if (digest) digests.push(digest);
    }
    if (digests.length === 0 || timestamps > 1) return malformed(name, expectedShape);
    return { digests, timestamp };
  };

  /** An additional signature header: absent (or not text) adds nothing; repeated is refused, as the main one. */
  const optionalHeader = (headers: WebhookHeaderReader, name: string): string | WebhookFailure | undefined =>
    headers.optional(name) === undefined ? undefined : headers.required(name);

  return {
    name: 'hmac-signed-content',
    defaults: {
      signatureHeader: config.signatureHeader,
      ...(config.timestampHeader ? { timestampHeader: config.timestampHeader } : {}),
      ...(config.deliveryIdHeader ? { deliveryIdHeader: config.deliveryIdHeader } : {}),
      toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    },
    parse({ headers, body, config: resolved }) {
      const header = headers.required(resolved.signatureHeader);
      if (isFailure(header)) return header;
      const main = readSignatureHeader(header, resolved.signatureHeader);
      if (isFailure(main)) return main;
      const provided = [...main.digests];
      for (const name of config.additionalSignatureHeaders ?? []) {
        const value = optionalHeader(headers, name);
        if (value === undefined) continue;
        if (isFailure(value)) return value;
        const more = readSignatureHeader(value, name);
        if (isFailure(more)) return more;
        provided.push(...more.digests);
      }

      let timestampText = '';
      let timestamp: Date | undefined;
      const timestampSource = resolved.timestampHeader ?? (list?.timestampKey ? resolved.signatureHeader : undefined);
      if (timestampSource !== undefined) {
        const text = resolved.timestampHeader ? headers.required(resolved.timestampHeader) : main.timestamp;
        if (isFailure(text)) return text;
        if (text === undefined) return malformed(resolved.signatureHeader, expectedShape);
        timestamp = parseTimestamp(text, format);
        if (!timestamp) {
          return resolved.timestampHeader
            ? malformed(resolved.timestampHeader, TIMESTAMP_EXPECTED[format])
            : fail(
                `malformed ${resolved.signatureHeader} header: ${list?.timestampKey} must be ${TIMESTAMP_EXPECTED[format]}`,
              );
        }
        timestampText = text;
      }

      let id = '';
      if (parts.some((p) => 'value' in p && p.value === 'id')) {
        const idHeader = resolved.deliveryIdHeader ?? config.deliveryIdHeader ?? '';
        const value = headers.required(idHeader);
        if (isFailure(value)) return value;
        id = value;
      }

      return {
        provided,
        ...(timestamp ? { timestamp } : {}),
        expected(secret) {
          const k = key(secret);
          return k === undefined ? [] : [hmac(algorithm, k, ...signedParts(body, timestampText, id))];
        },
      };
    },
    sign({ secret, body, timestamp, deliveryId, config: resolved }) {
      const k = key(secret);
      if (k === undefined) throw new TypeError('this platform expects a base64 secret');
      const ts = formatTimestamp(timestamp, format);
      const digest = `${prefix}${hmac(algorithm, k, ...signedParts(body, ts, deliveryId)).toString(encoding)}`;
      const signature = list
        ? [...(list.timestampKey ? [`${list.timestampKey}${kv}${ts}`] : []), `${list.signatureKey}${kv}${digest}`].join(
            list.separator,
          )
        : digest;
      return {
        headers: {
          ...(resolved.deliveryIdHeader ? { [resolved.deliveryIdHeader]: deliveryId } : {}),
          ...(resolved.timestampHeader ? { [resolved.timestampHeader]: ts } : {}),
          [resolved.signatureHeader]: signature,
        },
      };
    },
  };
}
