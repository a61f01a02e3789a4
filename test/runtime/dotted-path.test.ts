import { describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';

describe('dotted paths', () => {
  it.each([
    ['a nested path', { paging: { next: { after: 'A2' } } }, 'paging.next.after', 'A2'],
    ['an array index', { data: [{ id: 'x' }] }, 'data.0.id', 'x'],
    [
      'a key that contains dots (Graph @odata.nextLink)',
      { '@odata.nextLink': 'https://graph.test/next' },
      '@odata.nextLink',
      'https://graph.test/next',
    ],
    ['a dotted key below a plain one', { meta: { 'x.y': 1 } }, 'meta.x.y', 1],
    ['a missing key', { a: 1 }, 'b', undefined],
  ])('getPath reads %s', (_name, value, path, want) => {
    expect(getPath(value, path)).toBe(want);
  });
});
