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
  return value !== null && typeof value === 'object' && deeper(value, max, 0);
}

function deeper(value: object, max: number, depth: number): boolean {
  if (depth >= max) return true;
  // Primitives are skipped in the loop rather than in a call: most of a page's nodes are primitives.
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && deeper(item, max, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && deeper(item, max, depth + 1)) return true;
  }
  return false;
}
