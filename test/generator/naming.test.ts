import { describe, expect, it } from 'vitest';
import { pascalCase, propertyKey, singularize } from '../../generator/model/naming.js';
import { canonicalize, commentSafe, fieldTypeToTs } from '../../generator/model/platform-model.js';

describe('naming', () => {
  it.each([
    ['google-ads', 'GoogleAds'],
    ['ad_groups', 'AdGroups'],
    ['hubspot', 'Hubspot'],
    ['x', 'X'],
  ])('pascalCase(%j) is %j', (given, want) => expect(pascalCase(given)).toBe(want));

  it.each([
    ['customers', 'customer'],
    ['opportunities', 'opportunity'],
    ['addresses', 'address'],
    ['boxes', 'box'],
    ['ad_sets', 'ad_set'],
    ['inventory', 'inventory'],
    ['status', 'status'],
  ])('singularize(%j) is %j', (given, want) => expect(singularize(given)).toBe(want));

  it.each([
    ['id', 'id'],
    ['first-name', "'first-name'"],
    ["it's", "'it\\'s'"],
    ['2fa', "'2fa'"],
  ])('propertyKey(%j) is %s', (given, want) => expect(propertyKey(given)).toBe(want));
});

describe('field types', () => {
  it.each([
    ['string', { type: 'string', optional: false }],
    ['integer', { type: 'number', optional: false }],
    ['number|null', { type: 'number | null', optional: false }],
    ['string[]', { type: 'string[]', optional: false }],
    ['object[]?', { type: 'Array<Record<string, unknown>>', optional: true }],
    ['boolean|null?', { type: 'boolean | null', optional: true }],
  ])('%j becomes %j', (given, want) => expect(fieldTypeToTs(given)).toEqual(want));
});

describe('canonical output', () => {
  it('orders object keys and keeps array order', () => {
    expect(JSON.stringify(canonicalize({ b: 1, a: { d: [3, 1], c: 2 } }))).toBe('{"a":{"c":2,"d":[3,1]},"b":1}');
  });

  it('keeps config prose from closing a generated comment', () => {
    expect(commentSafe('matches ^[a-z]*/ and\n  more')).toBe('matches ^[a-z]*\\/ and more');
  });
});
