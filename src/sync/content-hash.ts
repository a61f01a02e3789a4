/**
 * A record's content hash: SHA-256 of its canonical JSON (keys sorted at every level, by `safe-stable-stringify`), so
 * the same record hashes alike whatever order the platform sent its fields in. An unchanged record (same hash) is
 * not rewritten by a sync.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

const canonical = configure({ deterministic: true, bigint: true, circularValue: Error });

/** Canonical JSON of a value (sorted keys). */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

/**
 * @example
 * contentHash({ b: 1, a: 2 }).equals(contentHash({ a: 2, b: 1 })); // true
 */
export function contentHash(value: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(value)).digest();
}

/** Whether two JSON values are equal (object key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return canonicalJson(a) === canonicalJson(b);
}
