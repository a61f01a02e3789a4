/** Conflict values shown and edited as text, and read back as JSON of the remote value's kind. */
import { describe, expect, it } from 'vitest';
import { conflictValueText, editableText, mergedData, parseEdited } from '../../web/src/conflict-values.js';

describe('conflictValueText and editableText', () => {
  it.each([
    ['a string', { given: 'Ada', display: 'Ada', edit: 'Ada' }],
    ['null', { given: null, display: '(empty)', edit: '' }],
    ['missing', { given: undefined, display: '(empty)', edit: '' }],
    ['a number', { given: 42, display: '42', edit: '42' }],
    ['a boolean', { given: false, display: 'false', edit: 'false' }],
    ['an object', { given: { a: [1] }, display: '{"a":[1]}', edit: '{"a":[1]}' }],
  ])('%s', (_name, { given, display, edit }) => {
    expect(conflictValueText(given)).toBe(display);
    expect(editableText(given)).toBe(edit);
  });
});

describe('parseEdited', () => {
  it.each([
    ['text stays text when the remote is text', { text: '42', like: 'x', want: '42' }],
    ['an empty box stays empty text when the remote is text', { text: '', like: 'x', want: '' }],
    ['a number when the remote is a number', { text: '42', like: 7, want: 42 }],
    ['a boolean when the remote is one', { text: 'true', like: false, want: true }],
    ['an object', { text: '{"a":1}', like: { a: 0 }, want: { a: 1 } }],
    ['not JSON: kept as text', { text: 'forty', like: 7, want: 'forty' }],
    ['an empty box is null for a non-text remote', { text: '  ', like: 7, want: null }],
    ['JSON when the remote was null', { text: '3', like: null, want: 3 }],
    ['text when the remote was null and it is not JSON', { text: 'Ada', like: null, want: 'Ada' }],
  ])('%s', (_name, { text, like, want }) => {
    expect(parseEdited(text, like)).toEqual(want);
  });
});

describe('mergedData', () => {
  it.each([
    [
      'edited values, parsed like the remote',
      {
        fields: { name: { remote: 'R' }, count: { remote: 1 } },
        edits: { name: 'Merged', count: '5' },
        want: { name: 'Merged', count: 5 },
      },
    ],
    [
      'a field without an edit keeps the remote value',
      { fields: { name: { remote: 'R' } }, edits: {}, want: { name: 'R' } },
    ],
    [
      'the deletion pseudo-field is left out',
      {
        fields: { _deleted: { remote: false }, name: { remote: 'R' } },
        edits: { _deleted: 'true' },
        want: { name: 'R' },
      },
    ],
  ])('%s', (_name, { fields, edits, want }) => {
    expect(mergedData(fields, edits)).toEqual(want);
  });
});
