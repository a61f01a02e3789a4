/**
 * Dotted-path access into parsed JSON (`paging.next.after`, `data.items.0.id`): the one place the runtime reads
 * and writes nested values by config-given paths.
 */

/**
 * The value at a dotted path; the empty path is the value itself. Array elements are addressed by index.
 * Only own properties are read. A key that itself contains dots (Microsoft Graph's `@odata.nextLink`) is found as
 * one key: at each level the longest run of segments that names an existing key wins.
 *
 * @example
 * getPath({ paging: { next: { after: 'A2' } } }, 'paging.next.after'); // 'A2'
 * getPath({ '@odata.nextLink': 'https://…' }, '@odata.nextLink');       // 'https://…'
 * getPath([1, 2], '');                                                // [1, 2]
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  if (!path.includes('.')) {
    // One key, the common case (ids, records paths): no splitting.
    return value !== null && typeof value === 'object' && Object.hasOwn(value, path)
      ? (value as Record<string, unknown>)[path]
      : undefined;
  }
  const segments = path.split('.');
  let current: unknown = value;
  let i = 0;
  while (i < segments.length) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = segments[i] as string;
    if (Object.hasOwn(current, key) && !dottedKeyAhead(current, segments, i)) {
      current = (current as Record<string, unknown>)[key];
      i++;
      continue;
    }
    // The rare case: a key that itself contains dots.
    let next = -1;
    for (let j = segments.length; j > i + 1; j--) {
      if (Object.hasOwn(current, segments.slice(i, j).join('.'))) {
        next = j;
        break;
      }
    }
    if (next < 0) return undefined;
    current = (current as Record<string, unknown>)[segments.slice(i, next).join('.')];
    i = next;
  }
  return current;
}

/** Whether a longer dotted key starting at segment `i` exists too (it wins over the single segment). */
function dottedKeyAhead(node: object, segments: readonly string[], i: number): boolean {
  if (i + 1 >= segments.length) return false;
  for (const key of Object.keys(node)) {
    if (key.length > (segments[i] as string).length && key.includes('.') && key.startsWith(`${segments[i]}.`))
      return true;
  }
  return false;
}

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * A copy of `target` with `value` set at a dotted path, creating objects along the way; `target` is not changed.
 *
 * @example
 * setPath({ variables: { first: 50 } }, 'variables.after', 'C1'); // { variables: { first: 50, after: 'C1' } }
 */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (head === undefined || head === '' || UNSAFE_KEYS.has(head)) throw new TypeError(`cannot set path "${path}"`);
  if (rest.length === 0) return { ...target, [head]: value };
  const child = target[head];
  const base =
    child !== null && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
  return { ...target, [head]: setPath(base, rest.join('.'), value) };
}
