/** The few crypto primitives every scheme shares: HMAC over byte parts, strict decoding, constant-time compare. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compares two byte strings in constant time. Different lengths answer `false` without throwing (a MAC's length is
 * public, so that early exit reveals nothing).
 *
 * @example
 * constantTimeEqual(Buffer.from('abc'), Buffer.from('abc')); // true
 * constantTimeEqual(Buffer.from('abc'), Buffer.from('ab'));  // false
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** HMAC of the concatenated parts; strings are UTF-8, so the raw body is never decoded or re-encoded. */
export function hmac(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: string | Uint8Array,
  ...parts: (string | Uint8Array)[]
): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Lower-case hex SHA-256 of the bytes. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes of a hex string, or `undefined` when it is not hex (Node's decoder would silently truncate). */
export function decodeHex(value: string): Buffer | undefined {
  return HEX.test(value) ? Buffer.from(value, 'hex') : undefined;
}

/** Bytes of a padded standard-alphabet base64 string, or `undefined` when it is anything else. */
export function decodeBase64(value: string): Buffer | undefined {
  return value.length > 0 && BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
}

/** Bytes of a base64 secret, padding optional (secrets are pasted by people); `undefined` when not base64. */
export function decodeBase64Secret(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.replace(/=+$/, '').length % 4 === 1) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** The raw body as bytes, or `undefined` when what was passed is not raw (a parsed object, say). */
export function rawBodyBytes(rawBody: unknown): Buffer | undefined {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (!(rawBody instanceof Uint8Array)) return undefined;
  try {
    return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  } catch {
    return undefined; // a view whose ArrayBuffer was transferred away (detached): its bytes are gone
  }
}
