/**
 * The conflict matrix: each conflict strategy × (local change only, remote change only, both sides on different
 * fields, both on the same field, a local delete against a remote update), against the Capsule CRM sandbox (records
 * re-read before every push). Local changes go through the records routes, remote ones through the emulator; then
 * the push job and a pull run, and both sides are compared.
 *
 * The emulator's clock stands in the past of the service's, so under last_write_wins the local side is the later
 * writer (one case puts the platform's clock in the future to show the other way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const ENTITY = 'parties';
const PAST = Date.parse('2026-06-01T00:00:00Z');
let clock = PAST;
let h: SyncHarness;
let nextRecord = 0;

beforeAll(async () => {
  h = await startSyncHarness({ platform: 'capsule-crm', records: 60, now: () => clock });
});
afterAll(async () => {
  await h?.close();
});

type Strategy = 'platform_wins' | 'local_wins' | 'last_write_wins' | 'manual';
type Case =
  | 'local only'
  | 'remote only'
  | 'both, different fields'
  | 'both, same field'
  | 'local delete vs remote update';

interface Expected {
  /** The field values on the platform afterwards (`null`: the record is gone there). */
  remote: Record<string, unknown> | null;
  /** The local copy afterwards (`null`: deleted here). */
  local: Record<string, unknown> | null;
  /** Fields of the open conflict, when one is expected. */
  conflict?: string[];
}

const L = 'local value';
const R = 'remote value';
const original = (id: string) => ({
  firstName: `firstName-${Number(id) - 1000}`,
  jobTitle: `jobTitle-${Number(id) - 1000}`,
});

/** The same outcome under every strategy. */
function everyStrategy(expected: (id: string) => Expected): Record<Strategy, (id: string) => Expected> {
  return { platform_wins: expected, local_wins: expected, last_write_wins: expected, manual: expected };
}

const matrix: Record<Case, Record<Strategy, (id: string) => Expected>> = {
  'local only': everyStrategy((id) => ({
    remote: { ...original(id), firstName: L },
    local: { ...original(id), firstName: L },
  })),
  'remote only': everyStrategy((id) => ({
    remote: { ...original(id), jobTitle: R },
    local: { ...original(id), jobTitle: R },
  })),
  'both, different fields': everyStrategy(() => ({
    remote: { firstName: L, jobTitle: R },
    local: { firstName: L, jobTitle: R },
  })),
  'both, same field': {
    platform_wins: (id) => ({ remote: { ...original(id), firstName: R }, local: { ...original(id), firstName: R } }),
    local_wins: (id) => ({ remote: { ...original(id), firstName: L }, local: { ...original(id), firstName: L } }),
    last_write_wins: (id) => ({ remote: { ...original(id), firstName: L }, local: { ...original(id), firstName: L } }),
    manual: (id) => ({
      remote: { ...original(id), firstName: R },
      local: { ...original(id), firstName: L },
      conflict: ['firstName'],
    }),
  },
  'local delete vs remote update': {
    platform_wins: (id) => ({ remote: { ...original(id), jobTitle: R }, local: { ...original(id), jobTitle: R } }),
    local_wins: () => ({ remote: null, local: null }),
    last_write_wins: () => ({ remote: null, local: null }),
    manual: (id) => ({
      remote: { ...original(id), jobTitle: R },
      local: null,
      conflict: ['_deleted', 'jobTitle', 'updatedAt'],
    }),
  },
};

async function local(id: string) {
  return h.service.ctx.db
    .selectFrom('sync_records')
    .select(['data', 'deleted'])
    .where('connection_id', '=', h.connectionId)
    .where('entity_type', '=', ENTITY)
    .where('external_id', '=', id)
    .executeTakeFirstOrThrow();
}

function remote(id: string) {
  return h.control.records(ENTITY).find((r) => String(r.id) === id) ?? null;
}

async function runCase(strategy: Strategy, which: Case): Promise<{ id: string; conflicts: Array<{ fields: object }> }> {
  expect((await h.configure(ENTITY, { sync_direction: 'bidirectional', conflict_strategy: strategy })).statusCode).toBe(
    202,
  );
  await h.sync(ENTITY);
  const id = String(h.control.records(ENTITY)[nextRecord++]?.id);
  clock += 60_000;
  if (which !== 'local only') {
    h.control.updateRecord(ENTITY, id, which === 'both, same field' ? { firstName: R } : { jobTitle: R });
  }
  const url = `/integrations/capsule-crm/records/${ENTITY}/${id}`;
  const headers = h.service.auth(h.apiKey);
  if (which === 'local delete vs remote update') {
    expect((await h.inject({ method: 'DELETE', url, headers })).statusCode).toBe(202);
  } else if (which !== 'remote only') {
    expect((await h.inject({ method: 'PATCH', url, headers, payload: { data: { firstName: L } } })).statusCode).toBe(
      202,
    );
  }
  await h.push(ENTITY);
  await h.sync(ENTITY);
  const conflicts = (await h.inject({ method: 'GET', url: '/integrations/capsule-crm/conflicts', headers })).json()
    .conflicts as Array<{ external_id: string; fields: object }>;
  return { id, conflicts: conflicts.filter((c) => c.external_id === id) };
}

const strategies: Strategy[] = ['platform_wins', 'local_wins', 'last_write_wins', 'manual'];
const cases = Object.keys(matrix) as Case[];

describe.each(strategies)('conflict_strategy %s', (strategy) => {
  it.each(cases)('%s', async (which) => {
    const { id, conflicts } = await runCase(strategy, which);
    const expected = matrix[which][strategy](id);
    const there = remote(id);
    if (expected.remote === null) expect(there).toBeNull();
    else expect(there).toMatchObject(expected.remote);
    const here = await local(id);
    if (expected.local === null) expect(here.deleted).toBe(true);
    else {
      expect(here.deleted).toBe(false);
      expect(here.data).toMatchObject(expected.local);
    }
    if (expected.conflict) {
      expect(conflicts).toHaveLength(1);
      expect(Object.keys(conflicts[0]?.fields ?? {}).sort()).toEqual(expected.conflict);
    } else {
      expect(conflicts).toEqual([]);
    }
  });
});

describe('last_write_wins with the platform writing later', () => {
  it('keeps the platform’s value', async () => {
    expect(
      (await h.configure(ENTITY, { sync_direction: 'bidirectional', conflict_strategy: 'last_write_wins' })).statusCode,
    ).toBe(202);
    await h.sync(ENTITY);
    const id = String(h.control.records(ENTITY)[nextRecord++]?.id);
    const headers = h.service.auth(h.apiKey);
    await h.inject({
      method: 'PATCH',
      url: `/integrations/capsule-crm/records/${ENTITY}/${id}`,
      headers,
      payload: { data: { firstName: L } },
    });
    clock = Date.now() + 3600_000; // the platform's write is an hour after ours
    h.control.updateRecord(ENTITY, id, { firstName: R });
    await h.push(ENTITY);
    clock = PAST + 3600_000 * 24;
    expect(remote(id)).toMatchObject({ firstName: R });
    expect((await local(id)).data).toMatchObject({ firstName: R });
  });
});
