import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { needsRewrap, open, openJson, rewrap, seal } from '../../../src/db/crypto/envelope-cipher.js';
import { parseKeyRing } from '../../../src/db/crypto/key-ring.js';
import {
  connectionAuthContext,
  oauthVerifierContext,
  type SealContext,
  sealContext,
  webhookSecretContext,
} from '../../../src/db/crypto/seal-context.js';
import { SealedValueError, type SealedValueFailure } from '../../../src/db/crypto/sealed-value-error.js';
import type { SealedValue } from '../../../src/db/schema.js';
import { keyMaterial, secret, testKeys } from './sealed-fixtures.js';

const keys = testKeys();
const tenantId = randomUUID();
const connectionId = randomUUID();
const context = connectionAuthContext(tenantId, connectionId);
const apiKey = secret('sk_live');
const credentials = { apiKey, refreshToken: secret('rt') };

/** Runs `run` and returns the `SealedValueError` it throws (failing the test on anything else). */
function sealedValueError(run: () => unknown): SealedValueError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SealedValueError);
    return error as SealedValueError;
  }
  throw new Error('expected a SealedValueError, nothing was thrown');
}

/** Everything an error could show: message, stack, JSON. */
function everythingShown(error: SealedValueError): string {
  return [error.message, String(error.stack), JSON.stringify(error), String(error)].join('\n');
}

/** A copy of `sealed` with one base64 field's first byte flipped. */
function flipped(sealed: SealedValue, field: 'key' | 'kiv' | 'ktag' | 'iv' | 'tag' | 'ct'): SealedValue {
  const bytes = Buffer.from(sealed[field], 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return { ...sealed, [field]: bytes.toString('base64') };
}

describe('seal and open', () => {
  const cases: Array<[string, string | object]> = [
    ['an API key string', apiKey],
    ['an empty string', ''],
    ['unicode text', 'clé secrète — 秘密 🔑'],
    ['a credentials object (JSON)', credentials],
    ['a long value (64 KiB)', 'x'.repeat(64 * 1024)],
  ];
  it.each(cases)('round-trips %s', (_name, plaintext) => {
    const sealed = seal(keys.ringV1, context, plaintext);
    expect(sealed.v).toBe(1);
    expect(sealed.kid).toBe('v1');
    if (typeof plaintext === 'string') expect(open(keys.ringV1, context, sealed)).toBe(plaintext);
    else expect(openJson(keys.ringV1, context, sealed)).toEqual(plaintext);
  });

  it('stores the exact documented JSON shape, every binary field base64', () => {
    const sealed = seal(keys.ringV1, context, credentials);
    expect(Object.keys(sealed).sort()).toEqual(['ct', 'iv', 'key', 'kid', 'kiv', 'ktag', 'tag', 'v']);
    const lengths = Object.fromEntries(
      (['key', 'kiv', 'ktag', 'iv', 'tag'] as const).map((f) => [f, Buffer.from(sealed[f], 'base64').length]),
    );
    expect(lengths).toEqual({ key: 32, kiv: 12, ktag: 16, iv: 12, tag: 16 });
    // It survives the jsonb round trip as plain JSON.
    expect(openJson(keys.ringV1, context, JSON.parse(JSON.stringify(sealed)))).toEqual(credentials);
  });

  it('gives different ciphertexts, IVs and wrapped data keys when the same value is sealed twice', () => {
    const a = seal(keys.ringV1, context, apiKey);
    const b = seal(keys.ringV1, context, apiKey);
    expect(a.ct).not.toBe(b.ct);
    expect(a.iv).not.toBe(b.iv);
    expect(a.key).not.toBe(b.key);
    expect(a.kiv).not.toBe(b.kiv);
  });

  it('never stores the plaintext, nor its base64, in the sealed JSON', () => {
    const text = JSON.stringify(seal(keys.ringV1, context, credentials));
    for (const s of Object.values(credentials)) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(Buffer.from(s).toString('base64').slice(0, 16));
    }
  });

  it('opens a value sealed with an upper-case UUID from the lower-case ids Postgres returns', () => {
    const sealed = seal(keys.ringV1, connectionAuthContext(tenantId.toUpperCase(), connectionId.toUpperCase()), apiKey);
    expect(open(keys.ringV1, context, sealed)).toBe(apiKey);
  });

  it('refuses an incomplete context with a TypeError (a programming error, not bad data)', () => {
    expect(() => seal(keys.ringV1, { ...context, tenantId: '' }, apiKey)).toThrow(TypeError);
    expect(() => sealContext({ ...context, rowId: undefined as unknown as string })).toThrow(/rowId/);
  });
});

describe('keys', () => {
  it('says the key id is not in ENGARDE_ENCRYPTION_KEYS when the ring lacks the key that sealed the value', () => {
    const error = sealedValueError(() => open(keys.ringV2, context, seal(keys.ringV1, context, apiKey)));
    expect(error.reason).toBe('unknown-key');
    expect(error.keyId).toBe('v1');
    expect(error.message).toContain('"v1" is not in ENGARDE_ENCRYPTION_KEYS');
    expect(error.message).toContain(`platform_connections.auth_data of tenant ${tenantId} row ${connectionId}`);
  });

  it('does not authenticate under another key that has the same id', () => {
    const impostor = parseKeyRing(testKeys().v1);
    const error = sealedValueError(() => open(impostor, context, seal(keys.ringV1, context, apiKey)));
    expect(error.reason).toBe('unauthentic');
  });

  it('opens a value sealed under an older key of the ring', () => {
    expect(open(keys.ringV2V1, context, seal(keys.ringV1, context, apiKey))).toBe(apiKey);
  });

  it('seals under the first key of the ring', () => {
    expect(seal(keys.ringV2V1, context, apiKey).kid).toBe('v2');
  });
});

describe('tampering', () => {
  const sealed = seal(keys.ringV2V1, context, apiKey);
  const cases: Array<[string, SealedValue]> = [
    ['a flipped ciphertext bit (ct)', flipped(sealed, 'ct')],
    ['a flipped value tag bit (tag)', flipped(sealed, 'tag')],
    ['a flipped value IV bit (iv)', flipped(sealed, 'iv')],
    ['a flipped wrapped data key bit (key)', flipped(sealed, 'key')],
    ['a flipped wrapping IV bit (kiv)', flipped(sealed, 'kiv')],
    ['a flipped wrapping tag bit (ktag)', flipped(sealed, 'ktag')],
    ['a truncated ciphertext', { ...sealed, ct: Buffer.from(sealed.ct, 'base64').subarray(1).toString('base64') }],
    ['the kid relabelled to another key of the ring', { ...sealed, kid: 'v1' }],
    ['the data key of another sealed value', { ...sealed, key: seal(keys.ringV2V1, context, apiKey).key }],
  ];
  it.each(cases)('refuses %s as unauthentic', (_name, tampered) => {
    expect(sealedValueError(() => open(keys.ringV2V1, context, tampered)).reason).toBe('unauthentic');
  });
});

describe('context binding: a sealed value moved elsewhere does not open', () => {
  const otherTenant = randomUUID();
  const otherConnection = randomUUID();
  const moves: Array<[string, SealContext]> = [
    ['to another tenant (same connection id)', connectionAuthContext(otherTenant, connectionId)],
    ['to another connection of the same tenant', connectionAuthContext(tenantId, otherConnection)],
    ['to another field of the same row', { ...context, field: 'platform_config' }],
    ['to another table with the same ids', webhookSecretContext(tenantId, connectionId)],
    ['to an OAuth state of the same tenant', oauthVerifierContext(tenantId, Buffer.alloc(32, 7))],
    ['with tenant and row swapped', connectionAuthContext(connectionId, tenantId)],
  ];
  const sealed = seal(keys.ringV1, context, credentials);
  it.each(moves)('%s', (_name, movedTo) => {
    const error = sealedValueError(() => open(keys.ringV1, movedTo, sealed));
    expect(error.reason).toBe('unauthentic');
    expect(error.table).toBe(movedTo.table);
    expect(error.rowId).toBe(movedTo.rowId);
  });

  it('still opens where it was sealed', () => {
    expect(openJson(keys.ringV1, context, sealed)).toEqual(credentials);
  });
});

describe('malformed stored values', () => {
  const good = seal(keys.ringV1, context, apiKey);
  const without = (field: keyof SealedValue) => {
    const { [field]: _dropped, ...rest } = good;
    return rest;
  };
  const cases: Array<[string, unknown]> = [
    ['SQL NULL (undefined)', undefined],
    ['JSON null', null],
    ['a string (double-encoded JSON)', JSON.stringify(good)],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [good]],
    ['an empty object', {}],
    ['a class instance', new (class Sealed {})()],
    ...(['v', 'kid', 'key', 'kiv', 'ktag', 'iv', 'tag', 'ct'] as const).map((f): [string, unknown] => [
      `the field "${f}" missing`,
      without(f),
    ]),
    ['an extra field', { ...good, plaintext: apiKey }],
    ['format version 2', { ...good, v: 2 }],
    ['format version as a string', { ...good, v: '1' }],
    ['kid a number', { ...good, kid: 1 }],
    ['kid empty', { ...good, kid: '' }],
    ['kid with a colon and a key', { ...good, kid: `v1:${keyMaterial(keys)[0]}` }],
    ['kid too long', { ...good, kid: 'v'.repeat(33) }],
    ['key an object', { ...good, key: { base64: good.key } }],
    ['ct null', { ...good, ct: null }],
    ['iv not base64', { ...good, iv: '!!!!!!!!!!!!!!!!' }],
    ['iv base64url', { ...good, iv: Buffer.alloc(12, 0xfb).toString('base64url') }],
    ['iv 16 bytes', { ...good, iv: Buffer.alloc(16).toString('base64') }],
    ['tag 12 bytes (a truncated tag)', { ...good, tag: Buffer.alloc(12).toString('base64') }],
    ['ktag empty', { ...good, ktag: '' }],
    ['key 31 bytes', { ...good, key: Buffer.alloc(31).toString('base64') }],
    ['base64 with whitespace', { ...good, ct: ` ${good.ct}` }],
    ['base64 without padding', { ...good, tag: good.tag.replace(/=+$/, '') }],
    ['base64 with non-zero padding bits', { ...good, tag: `${'A'.repeat(21)}B==` }],
  ];
  it.each(cases)('%s → SealedValueError (malformed), never a TypeError', (_name, stored) => {
    for (const run of [
      () => open(keys.ringV1, context, stored),
      () => openJson(keys.ringV1, context, stored),
      () => rewrap(keys.ringV2V1, context, stored),
    ]) {
      const error = sealedValueError(run);
      expect(error.reason).toBe('malformed');
      expect(error.message).toMatch(/the stored value is not a sealed value/);
      expect(everythingShown(error)).not.toContain(apiKey);
      expect(everythingShown(error)).not.toContain(keyMaterial(keys)[0]);
    }
  });
});

describe('openJson', () => {
  it('says a value that opens but is not JSON is not JSON, without quoting it', () => {
    const notJson = `token ${apiKey}`;
    const error = sealedValueError(() => openJson(keys.ringV1, context, seal(keys.ringV1, context, notJson)));
    expect(error.reason).toBe('not-json');
    expect(everythingShown(error)).not.toContain(apiKey);
    expect(error.cause).toBeUndefined();
  });
});

describe('rewrap', () => {
  const sealed = seal(keys.ringV1, context, credentials);
  const rewrapped = rewrap(keys.ringV2V1, context, sealed);

  it('wraps the data key under the active key and keeps the value ciphertext', () => {
    expect(rewrapped.kid).toBe('v2');
    expect({ ct: rewrapped.ct, iv: rewrapped.iv, tag: rewrapped.tag }).toEqual({
      ct: sealed.ct,
      iv: sealed.iv,
      tag: sealed.tag,
    });
    expect(rewrapped.key).not.toBe(sealed.key);
  });

  it('opens with a ring that holds only the new key', () => {
    expect(openJson(keys.ringV2, context, rewrapped)).toEqual(credentials);
    expect(sealedValueError(() => open(keys.ringV2, context, sealed)).reason).toBe('unknown-key');
  });

  it('refuses a value whose ciphertext was altered, rather than carrying it forward', () => {
    expect(sealedValueError(() => rewrap(keys.ringV2V1, context, flipped(sealed, 'ct'))).reason).toBe('unauthentic');
  });

  it('refuses a value moved from another row', () => {
    const moved = connectionAuthContext(tenantId, randomUUID());
    expect(sealedValueError(() => rewrap(keys.ringV2V1, moved, sealed)).reason).toBe('unauthentic');
  });

  const needs: Array<[string, boolean, unknown]> = [
    ['under an old key', true, sealed],
    ['under the active key', false, rewrapped],
    ['without a kid', true, { ...sealed, kid: undefined }],
    ['that is null', true, null],
    ['that is a string', true, 'v2'],
  ];
  it.each(needs)('needsRewrap: a value %s → %s', (_name, want, stored) => {
    expect(needsRewrap(keys.ringV2V1, stored)).toBe(want);
  });
});

describe('error messages never show a secret', () => {
  const sealed = seal(keys.ringV1, context, credentials);
  const failures: Array<[string, SealedValueFailure, () => unknown]> = [
    ['unknown key', 'unknown-key', () => open(keys.ringV2, context, sealed)],
    ['wrong key with the same id', 'unauthentic', () => open(parseKeyRing(testKeys().v1), context, sealed)],
    ['tampered ciphertext', 'unauthentic', () => open(keys.ringV1, context, flipped(sealed, 'ct'))],
    ['moved row', 'unauthentic', () => open(keys.ringV1, connectionAuthContext(tenantId, randomUUID()), sealed)],
    ['malformed (secret in an extra field)', 'malformed', () => open(keys.ringV1, context, { ...sealed, apiKey })],
    ['malformed (secret as a field name)', 'malformed', () => open(keys.ringV1, context, { ...sealed, [apiKey]: 1 })],
    ['not JSON', 'not-json', () => openJson(keys.ringV1, context, seal(keys.ringV1, context, apiKey))],
  ];
  it.each(failures)('%s', (_name, reason, run) => {
    const error = sealedValueError(run);
    expect(error.reason).toBe(reason);
    const shown = everythingShown(error);
    for (const s of [...Object.values(credentials), ...keyMaterial(keys), sealed.key, sealed.ct]) {
      expect(shown).not.toContain(s);
    }
  });
});
