/**
 * The config-driven emulator honours a `header` incremental filter (Xero's and Zoho CRM's `If-Modified-Since`):
 * with the header it lists only the records changed at or after the instant, without it every record, and an
 * unreadable value is a 400, as it does for query-parameter filters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import { cursorInstant } from '../../src/runtime/incremental-filter.js';
import type { PlatformMeta } from '../../src/runtime/index.js';
import { type RunningConfigDrivenEmulator, startConfigDrivenEmulator } from '../../src/sandbox/config-driven/index.js';
import { entity, makeMeta } from '../runtime/support/test-meta.js';
import { call } from './http-helpers.js';

const metaWith = (format: 'iso8601' | 'iso8601-offset'): PlatformMeta =>
  makeMeta({
    pagination: { kind: 'none', reason: 'one page' },
    entities: {
      contacts: entity({
        path: '/Contacts',
        recordsPath: 'Contacts',
        fields: { id: 'string', UpdatedDateUTC: 'string' },
        incremental: { kind: 'header', cursorField: 'UpdatedDateUTC', header: 'If-Modified-Since', format },
      }),
    },
  });

let emulator: RunningConfigDrivenEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function listWith(meta: PlatformMeta, header: (cursorOf: (i: number) => number) => string | undefined) {
  emulator = await startConfigDrivenEmulator(meta, { records: 8, rateLimit: false });
  const seeded = emulator.control.records('contacts');
  const cursorOf = (i: number) => cursorInstant(seeded[i], 'UpdatedDateUTC') ?? Number.NaN;
  const value = header(cursorOf);
  const token = String(emulator.control.credentials.token);
  const res = await call(emulator.baseUrl, `${emulator.baseUrl}/Contacts`, {
    headers: { authorization: `Bearer ${token}`, ...(value === undefined ? {} : { 'if-modified-since': value }) },
  });
  const ids = (getPath(res.body, 'Contacts') as unknown[] | undefined)?.map((r) => getPath(r, 'id'));
  return { status: res.status, ids, all: seeded.map((r) => getPath(r, 'id')) };
}

describe('the config-driven emulator filters by an If-Modified-Since header', () => {
  it.each([
    ['ISO 8601 (Xero)', 'iso8601' as const, (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`],
    [
      'ISO 8601 with an offset (Zoho CRM)',
      'iso8601-offset' as const,
      (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`,
    ],
  ])('lists only the records changed at or after the header instant: %s', async (_name, format, write) => {
    const { status, ids, all } = await listWith(metaWith(format), (cursorOf) => write(cursorOf(5)));
    expect(status).toBe(200);
    expect(ids).toEqual(all.slice(5));
  });

  it('lists every record without the header', async () => {
    const { status, ids, all } = await listWith(metaWith('iso8601'), () => undefined);
    expect(status).toBe(200);
    expect(ids).toEqual(all);
    expect(all).toHaveLength(8);
  });

  it('answers 400 to an unreadable header value', async () => {
    const { status } = await listWith(metaWith('iso8601'), () => 'not a date');
    expect(status).toBe(400);
  });
});
