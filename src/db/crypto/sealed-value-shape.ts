/**
 * The stored JSON of a sealed value, checked strictly before any byte of it reaches the cipher: a hostile or
 * corrupt row gives a `SealedValueError` (`malformed`) naming the bad field, never a `TypeError` nor its content.
 *
 * ```jsonc
 * { "v": 1, "kid": "v2",
 *   "key": "<base64: 32-byte data key, wrapped>", "kiv": "<base64: 12 bytes>", "ktag": "<base64: 16 bytes>",
 *   "iv": "<base64: 12 bytes>", "tag": "<base64: 16 bytes>", "ct": "<base64: the value, encrypted>" }
 * ```
 */
import type { SealedValue } from '../schema.js';
import { isKeyId } from './key-ring.js';
import type { SealContext } from './seal-context.js';
import { SealedValueError } from './sealed-value-error.js';

/** The binary fields of a sealed value, decoded. */
export interface SealedBytes {
  kid: string;
  /** The wrapped data key. */
  key: Buffer;
  kiv: Buffer;
  ktag: Buffer;
  iv: Buffer;
  tag: Buffer;
  ct: Buffer;
}

export const SEALED_FORMAT_VERSION = 1;
export const DATA_KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** The largest ciphertext accepted (base64 characters): far above any credential, far below exhausting memory. */
const MAX_CIPHERTEXT_CHARS = 16 * 1024 * 1024;

const FIELDS = ['v', 'kid', 'key', 'kiv', 'ktag', 'iv', 'tag', 'ct'] as const;
const BINARY: ReadonlyArray<[Exclude<(typeof FIELDS)[number], 'v' | 'kid'>, number | undefined]> = [
  ['key', DATA_KEY_BYTES],
  ['kiv', IV_BYTES],
  ['ktag', TAG_BYTES],
  ['iv', IV_BYTES],
  ['tag', TAG_BYTES],
  ['ct', undefined],
];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks `stored` (as read from a jsonb column) and decodes its binary fields.
 *
 * @throws SealedValueError `malformed`, naming the first bad field (never its value).
 * @example
 * const bytes = decodeSealedValue(row.auth_data, connectionAuthContext(tenantId, connectionId));
 * bytes.kid; // 'v2'
 */
export function decodeSealedValue(stored: unknown, context: SealContext): SealedBytes {
  const problem = (detail: string): SealedValueError =>
    new SealedValueError('malformed', context, `the stored value is not a sealed value: ${detail}`);
  if (stored === null || stored === undefined) throw problem('it is empty');
  if (typeof stored !== 'object' || Array.isArray(stored)) throw problem(`expected an object, got ${kind(stored)}`);
  const prototype: unknown = Object.getPrototypeOf(stored);
  if (prototype !== Object.prototype && prototype !== null) throw problem('expected a plain JSON object');
  const record = stored as Record<string, unknown>;
  // An unexpected field is not named: a corrupt row's keys may be anything, secrets included.
  const extra = Object.keys(record).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) throw problem(`${extra.length} unexpected field(s)`);
  const missing = FIELDS.find((k) => !Object.hasOwn(record, k));
  if (missing !== undefined) throw problem(`the field "${missing}" is missing`);
  if (record.v !== SEALED_FORMAT_VERSION) {
    throw problem(`format "v" must be ${SEALED_FORMAT_VERSION}, got ${kind(record.v)}`);
  }
  if (!isKeyId(record.kid)) throw problem('"kid" must be a key id (1–32 letters, digits, "-" or "_")');
  const bytes: Partial<SealedBytes> = { kid: record.kid };
  for (const [field, length] of BINARY) {
    const value = record[field];
    if (typeof value !== 'string') throw problem(`"${field}" must be a base64 string, got ${kind(value)}`);
    if (value.length > MAX_CIPHERTEXT_CHARS) throw problem(`"${field}" is too long`);
    if (!BASE64.test(value)) throw problem(`"${field}" is not canonical base64`);
    const decoded = Buffer.from(value, 'base64');
    if (decoded.toString('base64') !== value) throw problem(`"${field}" is not canonical base64`);
    if (length !== undefined && decoded.length !== length) {
      throw problem(`"${field}" must decode to ${length} bytes, got ${decoded.length}`);
    }
    bytes[field] = decoded;
  }
  return bytes as SealedBytes;
}

/**
 * The stored JSON of decoded bytes.
 *
 * @example
 * const sealed = encodeSealedValue({ kid: 'v2', key, kiv, ktag, iv, tag, ct });
 */
export function encodeSealedValue(bytes: SealedBytes): SealedValue {
  return {
    v: SEALED_FORMAT_VERSION,
    kid: bytes.kid,
    key: bytes.key.toString('base64'),
    kiv: bytes.kiv.toString('base64'),
    ktag: bytes.ktag.toString('base64'),
    iv: bytes.iv.toString('base64'),
    tag: bytes.tag.toString('base64'),
    ct: bytes.ct.toString('base64'),
  };
}

/** A value's JSON kind, for messages (never the value itself). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
