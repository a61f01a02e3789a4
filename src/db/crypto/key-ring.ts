/**
 * The master keys that wrap every connection's data key: `ENGARDE_ENCRYPTION_KEYS=v2:<base64 32 bytes>,v1:<…>`.
 * The first key is active (new secrets and `engarde keys rotate` use it); the others still decrypt what they wrapped.
 */
import { randomBytes } from 'node:crypto';

export interface MasterKey {
  /** The key's id as written in the ring (`v2`); stored beside every value it wraps. */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export interface KeyRing {
  /** The active key: the first of the ring. */
  active: MasterKey;
  /** Every key by id. */
  byId: ReadonlyMap<string, MasterKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Whether `id` is a well-formed key id (1–32 letters, digits, `-` or `_`), as a ring entry or a sealed value's
 * `kid` must be.
 *
 * @example
 * isKeyId('v2'); // true
 * isKeyId('v2:…'); // false
 */
export function isKeyId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID.test(id);
}

/**
 * Parses a key ring. Every problem is reported, none of them with a key's value.
 *
 * @throws Error listing what is wrong with each entry (`entry 2 ("v1"): …`).
 * @example
 * const ring = parseKeyRing(`v2:${randomBytes(32).toString('base64')},v1:${oldKey}`);
 * ring.active.id; // 'v2'
 */
export function parseKeyRing(text: string): KeyRing {
  const problems: string[] = [];
  const keys: MasterKey[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) problems.push('no key: expected "<id>:<base64 of 32 bytes>", e.g. "v1:…"');
  entries.forEach((entry, index) => {
    const problem = checkEntry(entry, index, keys);
    if (problem) problems.push(problem);
  });
  const [active] = keys;
  if (problems.length > 0 || active === undefined) throw new Error(problems.join('; '));
  return { active, byId: new Map(keys.map((k) => [k.id, k])) };
}

/** What is wrong with one entry, or `undefined` after adding its key to `keys`. */
function checkEntry(entry: string, index: number, keys: MasterKey[]): string | undefined {
  const colon = entry.indexOf(':');
  const id = colon < 0 ? '' : entry.slice(0, colon);
  const encoded = colon < 0 ? '' : entry.slice(colon + 1);
  const where = `entry ${index + 1}${KEY_ID.test(id) ? ` ("${id}")` : ''}`;
  if (colon < 0) return `${where}: expected "<id>:<base64 of 32 bytes>"`;
  if (!KEY_ID.test(id)) return `${where}: the id must be 1–32 letters, digits, "-" or "_"`;
  if (keys.some((k) => k.id === id)) return `${where}: the id "${id}" appears twice`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return `${where}: the key is not base64`;
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) return `${where}: the key is ${key.length} bytes; it must be 32`;
  keys.push({ id, key });
  return undefined;
}

/** A new one-key ring's text, for a development machine without `ENGARDE_ENCRYPTION_KEYS`. */
export function generateKeyRingText(id = 'v1'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
