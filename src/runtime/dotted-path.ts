/**
 * Dotted-path access into parsed JSON (`paging.next.after`, `data.items.0.id`): the one place the runtime reads
 * and writes nested values by config-given paths.
 */

/**
 * The value at a dotted path; the empty path is the value itself. Array elements are addressed by index.
 * Only own properties are read.
 *
 * @example
 * getPath({ paging: { next: { after: 'A2' } } }, 'paging.next.after'); // 'A2'
 * getPath([1, 2], '');                                                // [1, 2]
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
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
