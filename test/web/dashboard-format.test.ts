/** The dashboard's words and numbers: tables of given → want. */
import { describe, expect, it } from 'vitest';
import {
  cellText,
  formatDuration,
  formatInstant,
  frequencyName,
  isSyncBusy,
  oauthErrorText,
  previewFields,
  ruleName,
  runDuration,
  syncNowRequests,
} from '../../web/src/dashboard-format.js';

describe('formatDuration', () => {
  it.each([
    ['under a second', { given: 850, want: '850 ms' }],
    ['zero', { given: 0, want: '0 ms' }],
    ['seconds', { given: 12_400, want: '12 s' }],
    ['minutes and seconds', { given: 185_000, want: '3 min 5 s' }],
    ['whole minutes', { given: 120_000, want: '2 min' }],
    ['hours and minutes', { given: 7_800_000, want: '2 h 10 min' }],
    ['days and hours', { given: 273_600_000, want: '3 d 4 h' }],
    ['negative', { given: -5, want: '—' }],
    ['not a number', { given: Number.NaN, want: '—' }],
  ])('%s', (_name, { given, want }) => {
    expect(formatDuration(given)).toBe(want);
  });
});

describe('formatInstant', () => {
  it.each([
    ['an instant in UTC', { given: '2025-05-14T09:03:59.000Z', zone: 'UTC', want: '2025-05-14 09:03' }],
    ['midnight is 00, not 24', { given: '2025-05-14T00:00:00.000Z', zone: 'UTC', want: '2025-05-14 00:00' }],
    ['another zone', { given: '2025-05-14T23:30:00.000Z', zone: 'Europe/Paris', want: '2025-05-15 01:30' }],
    ['null', { given: null, zone: 'UTC', want: 'Never' }],
    ['not a date', { given: 'soon', zone: 'UTC', want: 'soon' }],
  ])('%s', (_name, { given, zone, want }) => {
    expect(formatInstant(given, zone)).toBe(want);
  });
});

describe('runDuration', () => {
  it.each([
    ['finished', { given: ['2025-01-01T00:00:00Z', '2025-01-01T00:00:42Z'] as const, want: '42 s' }],
    ['still running', { given: ['2025-01-01T00:00:00Z', null] as const, want: '1 min 30 s' }],
  ])('%s', (_name, { given, want }) => {
    expect(runDuration(given[0], given[1], new Date('2025-01-01T00:01:30Z'))).toBe(want);
  });
});

describe('words', () => {
  it.each([
    ['a named frequency', { given: () => frequencyName('every_15_minutes'), want: 'Every 15 minutes' }],
    ['a cron frequency', { given: () => frequencyName('0 */6 * * *'), want: 'Cron "0 */6 * * *"' }],
    ['a known rule', { given: () => ruleName('sync_failed'), want: 'Sync failed' }],
    ['an unknown rule', { given: () => ruleName('new_rule_x'), want: 'new rule x' }],
    [
      'a known OAuth error',
      {
        given: () => oauthErrorText('access_denied'),
        want: 'the authorization was declined at the platform (access_denied)',
      },
    ],
    ['an unknown OAuth error', { given: () => oauthErrorText('weird'), want: 'weird' }],
    ['a short cell', { given: () => cellText('ada@example.com'), want: 'ada@example.com' }],
    ['a null cell', { given: () => cellText(null), want: '' }],
    ['an object cell', { given: () => cellText({ a: 1 }), want: '{"a":1}' }],
    ['a long cell', { given: () => cellText('x'.repeat(100), 10), want: `${'x'.repeat(9)}…` }],
  ])('%s', (_name, { given, want }) => {
    expect(given()).toBe(want);
  });
});

describe('isSyncBusy', () => {
  it.each([
    ['nothing set up', { given: [], want: false }],
    ['all finished', { given: ['succeeded', 'failed', 'idle'], want: false }],
    ['one queued', { given: ['succeeded', 'queued'], want: true }],
    ['one running', { given: ['running'], want: true }],
  ])('%s', (_name, { given, want }) => {
    expect(isSyncBusy(given.map((sync_status) => ({ sync_status })))).toBe(want);
  });
});

describe('syncNowRequests', () => {
  const entity = (entity_type: string, sync_direction: string, frequency = 'manual', conflict_strategy = 'manual') => ({
    entity_type,
    sync_direction,
    frequency,
    conflict_strategy,
    sync_status: 'succeeded',
  });
  it.each([
    ['nothing set up', { given: [], want: [] }],
    [
      'one group, entities sorted',
      {
        given: [entity('invoices', 'pull'), entity('customers', 'pull')],
        want: [
          {
            sync_direction: 'pull',
            frequency: 'manual',
            conflict_strategy: 'manual',
            entities: ['customers', 'invoices'],
          },
        ],
      },
    ],
    [
      'one request per distinct setting',
      {
        given: [entity('b', 'push', 'hourly'), entity('a', 'pull'), entity('c', 'pull')],
        want: [
          { sync_direction: 'pull', frequency: 'manual', conflict_strategy: 'manual', entities: ['a', 'c'] },
          { sync_direction: 'push', frequency: 'hourly', conflict_strategy: 'manual', entities: ['b'] },
        ],
      },
    ],
  ])('%s', (_name, { given, want }) => {
    expect(syncNowRequests(given)).toEqual(want);
  });
});

describe('previewFields', () => {
  it.each([
    ['no records', { given: [], max: 3, want: [] }],
    [
      'preferred names first, ids skipped',
      { given: [{ id: 'c1', created: 1, email: 'a@b', name: 'Ada' }], max: 3, want: ['name', 'email', 'created'] },
    ],
    [
      'then the most common scalar fields, objects skipped',
      {
        given: [
          { id: 1, zeta: 1, alpha: 2, meta: { a: 1 } },
          { id: 2, zeta: 3 },
        ],
        max: 2,
        want: ['zeta', 'alpha'],
      },
    ],
  ])('%s', (_name, { given, max, want }) => {
    expect(previewFields(given, max)).toEqual(want);
  });
});
