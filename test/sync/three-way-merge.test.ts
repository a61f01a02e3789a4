/**
 * The three-way merge on its own: per field against the base, one-sided changes merge, two-sided ones follow the
 * field rule or the strategy, deletions are whole-record conflicts.
 */
import { describe, expect, it } from 'vitest';
import { type MergeInput, threeWayMerge } from '../../src/sync/three-way-merge.js';

const base = { id: 1, name: 'Ada', city: 'London', tier: 'gold' };
const earlier = new Date('2026-01-01T00:00:00Z');
const later = new Date('2026-01-02T00:00:00Z');

describe('threeWayMerge', () => {
  it.each<[string, Partial<MergeInput>, ReturnType<typeof threeWayMerge>]>([
    [
      'nothing changed: nothing to write',
      { local: base, remote: base },
      { kind: 'merged', record: base, write: { op: 'none' } },
    ],
    [
      'a local change only is written',
      { local: { ...base, name: 'Ada L.' }, remote: base },
      { kind: 'merged', record: { ...base, name: 'Ada L.' }, write: { op: 'update', changes: { name: 'Ada L.' } } },
    ],
    [
      'a remote change only is taken',
      { local: base, remote: { ...base, city: 'Paris' } },
      { kind: 'merged', record: { ...base, city: 'Paris' }, write: { op: 'none' } },
    ],
    [
      'changes to different fields merge',
      { local: { ...base, name: 'Ada L.' }, remote: { ...base, city: 'Paris' } },
      {
        kind: 'merged',
        record: { ...base, name: 'Ada L.', city: 'Paris' },
        write: { op: 'update', changes: { name: 'Ada L.' } },
      },
    ],
    [
      'the same change on both sides is no conflict',
      { local: { ...base, city: 'Paris' }, remote: { ...base, city: 'Paris' } },
      { kind: 'merged', record: { ...base, city: 'Paris' }, write: { op: 'none' } },
    ],
    [
      'a field removed here is written as null',
      { local: { id: 1, name: 'Ada', city: 'London' }, remote: base },
      {
        kind: 'merged',
        record: { id: 1, name: 'Ada', city: 'London' },
        write: { op: 'update', changes: { tier: null } },
      },
    ],
    [
      'manual: a field changed on both sides is a conflict with base, local and remote',
      { local: { ...base, city: 'Rome' }, remote: { ...base, city: 'Paris' } },
      { kind: 'conflict', fields: { city: { base: 'London', local: 'Rome', remote: 'Paris' } } },
    ],
    [
      'platform_wins keeps the platform’s value',
      { strategy: 'platform_wins', local: { ...base, city: 'Rome' }, remote: { ...base, city: 'Paris' } },
      { kind: 'merged', record: { ...base, city: 'Paris' }, write: { op: 'none' } },
    ],
    [
      'local_wins writes ours',
      { strategy: 'local_wins', local: { ...base, city: 'Rome' }, remote: { ...base, city: 'Paris' } },
      { kind: 'merged', record: { ...base, city: 'Rome' }, write: { op: 'update', changes: { city: 'Rome' } } },
    ],
    [
      'last_write_wins: the later local edit wins',
      {
        strategy: 'last_write_wins',
        local: { ...base, city: 'Rome' },
        remote: { ...base, city: 'Paris' },
        localUpdatedAt: later,
        remoteUpdatedAt: earlier,
      },
      { kind: 'merged', record: { ...base, city: 'Rome' }, write: { op: 'update', changes: { city: 'Rome' } } },
    ],
    [
      'last_write_wins: a tie goes to the platform',
      {
        strategy: 'last_write_wins',
        local: { ...base, city: 'Rome' },
        remote: { ...base, city: 'Paris' },
        localUpdatedAt: later,
        remoteUpdatedAt: later,
      },
      { kind: 'merged', record: { ...base, city: 'Paris' }, write: { op: 'none' } },
    ],
    [
      'a field rule overrides the strategy for its field only',
      {
        strategy: 'manual',
        fieldRules: { city: 'local' },
        local: { ...base, city: 'Rome', tier: 'silver' },
        remote: { ...base, city: 'Paris', tier: 'bronze' },
      },
      { kind: 'conflict', fields: { tier: { base: 'gold', local: 'silver', remote: 'bronze' } } },
    ],
    [
      'a local delete of an unchanged record is written',
      { local: null, remote: base },
      { kind: 'merged', record: null, write: { op: 'delete' } },
    ],
    [
      'manual: a local delete against a remote change is a conflict of the whole record',
      { local: null, remote: { ...base, city: 'Paris' } },
      {
        kind: 'conflict',
        fields: {
          _deleted: { base: false, local: true, remote: false },
          city: { base: 'London', local: null, remote: 'Paris' },
        },
      },
    ],
    [
      'platform_wins: a remote delete drops our change',
      { strategy: 'platform_wins', local: { ...base, city: 'Rome' }, remote: null },
      { kind: 'merged', record: null, write: { op: 'none' } },
    ],
    [
      'local_wins: a remote delete is undone by creating ours again',
      { strategy: 'local_wins', local: { ...base, city: 'Rome' }, remote: null },
      { kind: 'merged', record: { ...base, city: 'Rome' }, write: { op: 'create', data: { ...base, city: 'Rome' } } },
    ],
    [
      'last_write_wins keeps a remote delete (its time is unknown)',
      { strategy: 'last_write_wins', local: { ...base, city: 'Rome' }, remote: null, localUpdatedAt: later },
      { kind: 'merged', record: null, write: { op: 'none' } },
    ],
    [
      'a record created here is created there',
      { base: null, local: { name: 'New' }, remote: null },
      { kind: 'merged', record: { name: 'New' }, write: { op: 'create', data: { name: 'New' } } },
    ],
    [
      'nested values compare by content, not key order',
      {
        base: { id: 1, address: { a: 1, b: 2 } },
        local: { id: 1, address: { b: 2, a: 1 } },
        remote: { id: 1, address: { a: 1, b: 2 } },
      },
      { kind: 'merged', record: { id: 1, address: { a: 1, b: 2 } }, write: { op: 'none' } },
    ],
  ])('%s', (_what, input, expected) => {
    expect(threeWayMerge({ base, local: base, remote: base, strategy: 'manual', ...input })).toEqual(expected);
  });
});
