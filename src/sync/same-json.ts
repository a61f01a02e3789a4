/**
 * Comparing records by content: canonical JSON (keys sorted at every level, by `safe-stable-stringify`), so the same
 * record compares equal whatever order the platform sent its fields in. (Stored content hashes are computed by
 * PostgreSQL from the `jsonb` text, which is canonical too: see `record-store.ts`.)
 */
import { configure } from 'safe-stable-stringify';

const canonical = configure({ deterministic: true, bigint: true, circularValue: Error });

/** Canonical JSON of a value (sorted keys). */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

/**
 * Whether two JSON values are equal (object key order ignored).
 * @example
 * sameJson({ b: 1, a: 2 }, { a: 2, b: 1 }); // true
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return canonicalJson(a) === canonicalJson(b);
}
