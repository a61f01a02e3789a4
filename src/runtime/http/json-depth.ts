/**
 * Nesting depth of parsed JSON. V8's `JSON.parse` accepts bodies nested tens of thousands of levels deep, but
 * everything recursive after it (`JSON.stringify`, error descriptions, redaction, a database's jsonb) overflows the
 * stack on them; no real API nests anywhere near the cap, so deeper bodies are refused at the boundary.
 */

/** Levels of arrays and objects a response body may nest. */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether a parsed JSON value nests more than `max` levels of arrays and objects. Stops as soon as it knows, so
 * its own recursion never goes deeper than `max + 1`.
 *
 * @example
 * exceedsJsonDepth(JSON.parse('[[1]]'), 1); // true
 * exceedsJsonDepth({ a: { b: 1 } }, 2);     // false
 */
export function exceedsJsonDepth(value: unknown, max: number): boolean {
  return deeper(value, max, 0);
}

function deeper(value: unknown, max: number, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth >= max) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (deeper(item, max, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (deeper((value as Record<string, unknown>)[key], max, depth + 1)) return true;
  }
  return false;
}
