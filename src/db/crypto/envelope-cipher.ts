/**
 * Envelope encryption of stored secrets with AES-256-GCM (node:crypto only).
 *
 * Every sealed value has its own random 32-byte data key; the value is encrypted under it, and the data key is
 * wrapped under the ring's active master key. Both layers authenticate the value's context (table, field, tenant,
 * row: see `seal-context.ts`) as associated data, so a ciphertext copied to another tenant, row, field or table
 * does not open. Rotating the master key re-wraps only the 32-byte data key (`rewrap`): the value's ciphertext
 * stays as it is.
 *
 * Nothing here puts a plaintext, a data key or a master key in an error: failures are `SealedValueError`s that
 * name the table, field, tenant, row and key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedValue } from '../schema.js';
import type { KeyRing, MasterKey } from './key-ring.js';
import { dataKeyAssociatedData, type SealContext, sealContext, valueAssociatedData } from './seal-context.js';
import { SealedValueError } from './sealed-value-error.js';
import {
  DATA_KEY_BYTES,
  decodeSealedValue,
  encodeSealedValue,
  IV_BYTES,
  type SealedBytes,
  TAG_BYTES,
} from './sealed-value-shape.js';

const ALGORITHM = 'aes-256-gcm';

/**
 * Encrypts `plaintext` for the row and field `context` names, under a new data key wrapped by the ring's active
 * master key. A string is sealed as its UTF-8 bytes; anything else as its JSON (read it back with `openJson`).
 * Sealing the same value twice gives different ciphertexts.
 *
 * @returns the JSON to store in the column (`{ v: 1, kid, key, kiv, ktag, iv, tag, ct }`).
 * @throws TypeError when `context` is incomplete or `plaintext` has no JSON form.
 * @example
 * const ring = parseKeyRing(process.env.ENGARDE_ENCRYPTION_KEYS!);
 * const authData = seal(ring, connectionAuthContext(tenantId, connectionId), { apiKey: 'sk_test_…' });
 * await db.updateTable('platform_connections').set({ auth_data: JSON.stringify(authData) })…
 */
export function seal(ring: KeyRing, context: SealContext, plaintext: string | object): SealedValue {
  const where = sealContext(context);
  const data = Buffer.from(plaintextText(plaintext), 'utf8');
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, dataKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(valueAssociatedData(where));
    const ct = Buffer.concat([cipher.update(data), cipher.final()]);
    const tag = cipher.getAuthTag();
    return encodeSealedValue({ ...wrapDataKey(ring.active, where, dataKey), iv, tag, ct });
  } finally {
    dataKey.fill(0);
    data.fill(0);
  }
}

/**
 * Decrypts a stored value (as read from its jsonb column) sealed for `context`.
 *
 * @throws SealedValueError `malformed` (not a sealed value), `unknown-key` (its key id is not in
 *   `ENGARDE_ENCRYPTION_KEYS`) or `unauthentic` (altered, moved from another row or field, or the wrong key).
 * @example
 * const row = await db.selectFrom('platform_oauth_states').select('verifier_data')…executeTakeFirstOrThrow();
 * const codeVerifier = open(ring, oauthVerifierContext(tenantId, stateHash), row.verifier_data);
 */
export function open(ring: KeyRing, context: SealContext, stored: unknown): string {
  const where = sealContext(context);
  const bytes = decodeSealedValue(stored, where);
  const dataKey = unwrapDataKey(ring, where, bytes);
  try {
    const data = decryptValue(where, bytes, dataKey);
    const text = data.toString('utf8');
    data.fill(0);
    return text;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * `open`, then `JSON.parse`: for values sealed from an object.
 *
 * @throws SealedValueError as `open` does, and `not-json` when the value opens but is not JSON (the parser's own
 *   message, which quotes the text, is dropped).
 * @example
 * const credentials = openJson<{ accessToken: string }>(ring, connectionAuthContext(tenantId, id), row.auth_data);
 */
export function openJson<T = unknown>(ring: KeyRing, context: SealContext, stored: unknown): T {
  const text = open(ring, context, stored);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SealedValueError('not-json', sealContext(context), 'it opened, but is not JSON');
  }
}

/**
 * Re-wraps the value's data key under the ring's active master key; the value's own ciphertext, IV and tag stay.
 * The value is decrypted once (and discarded) to check that it still authenticates, so a corrupt value is reported
 * rather than carried forward under the new key.
 *
 * @throws SealedValueError as `open` does.
 * @example
 * if (needsRewrap(ring, row.auth_data)) {
 *   const rewrapped = rewrap(ring, connectionAuthContext(tenantId, connectionId), row.auth_data);
 * }
 */
export function rewrap(ring: KeyRing, context: SealContext, stored: unknown): SealedValue {
  const where = sealContext(context);
  const bytes = decodeSealedValue(stored, where);
  const dataKey = unwrapDataKey(ring, where, bytes);
  try {
    decryptValue(where, bytes, dataKey).fill(0);
    return encodeSealedValue({ ...bytes, ...wrapDataKey(ring.active, where, dataKey) });
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Whether a stored value is not (yet) under the ring's active key: `true` for a value wrapped by another key, and
 * for anything that does not name a key at all (`rewrap` then says what is wrong with it).
 *
 * @example
 * needsRewrap(parseKeyRing(`v2:${k2},v1:${k1}`), { v: 1, kid: 'v1', … }); // true
 */
export function needsRewrap(ring: KeyRing, stored: SealedValue | unknown): boolean {
  const kid: unknown =
    stored !== null && typeof stored === 'object' && Object.hasOwn(stored, 'kid')
      ? (stored as { kid: unknown }).kid
      : undefined;
  return kid !== ring.active.id;
}

function plaintextText(plaintext: string | object): string {
  if (typeof plaintext === 'string') return plaintext;
  const json: unknown = JSON.stringify(plaintext);
  if (typeof json !== 'string') throw new TypeError('seal: the value to seal has no JSON form');
  return json;
}

function wrapDataKey(
  master: MasterKey,
  context: SealContext,
  dataKey: Buffer,
): Pick<SealedBytes, 'kid' | 'key' | 'kiv' | 'ktag'> {
  const kiv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, master.key, kiv, { authTagLength: TAG_BYTES });
  cipher.setAAD(dataKeyAssociatedData(context, master.id));
  const key = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return { kid: master.id, key, kiv, ktag: cipher.getAuthTag() };
}

function unwrapDataKey(ring: KeyRing, context: SealContext, bytes: SealedBytes): Buffer {
  const master = ring.byId.get(bytes.kid);
  if (master === undefined) {
    const known = [...ring.byId.keys()].join(', ');
    throw new SealedValueError(
      'unknown-key',
      context,
      `the key id "${bytes.kid}" is not in ENGARDE_ENCRYPTION_KEYS (which holds ${known}); ` +
        'add the key that sealed it back to the ring',
      bytes.kid,
    );
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, master.key, bytes.kiv, { authTagLength: TAG_BYTES });
    decipher.setAAD(dataKeyAssociatedData(context, master.id));
    decipher.setAuthTag(bytes.ktag);
    return Buffer.concat([decipher.update(bytes.key), decipher.final()]);
  } catch {
    throw unauthentic(context, bytes.kid);
  }
}

function decryptValue(context: SealContext, bytes: SealedBytes, dataKey: Buffer): Buffer {
  try {
    const decipher = createDecipheriv(ALGORITHM, dataKey, bytes.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(valueAssociatedData(context));
    decipher.setAuthTag(bytes.tag);
    return Buffer.concat([decipher.update(bytes.ct), decipher.final()]);
  } catch {
    throw unauthentic(context, bytes.kid);
  }
}

function unauthentic(context: SealContext, kid: string): SealedValueError {
  return new SealedValueError(
    'unauthentic',
    context,
    `it does not authenticate under key "${kid}": it was altered, copied from another row or field, ` +
      `or sealed under a different key with that id`,
    kid,
  );
}
