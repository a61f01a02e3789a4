/**
 * The records and conflicts routes as a client uses them, against the Capsule CRM sandbox: the synced copy listed
 * page by page; local creates, updates and deletes answered 202 and pushed (a create takes the platform's id); our
 * own write coming back in the next pull is no change; a platform's validation error is not retried and shows on
 * the record and in the sync status; conflicts resolved with local, remote or merged data; writes refused where the
 * entity only pulls; another tenant sees nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const ENTITY = 'parties';
const BASE = `/integrations/capsule-crm`;
let clock = Date.parse('2026-06-01T00:00:00Z');
let h: SyncHarness;
let headers: { authorization: string };

beforeAll(async () => {
  h = await startSyncHarness({ platform: 'capsule-crm', records: 30, now: () => clock });
  headers = h.service.auth(h.apiKey);
  expect((await h.configure(ENTITY, { sync_direction: 'bidirectional', conflict_strategy: 'manual' })).statusCode).toBe(
    202,
  );
  await h.sync(ENTITY);
});
afterAll(async () => {
  await h?.close();
});

const remote = (id: string) => h.control.records(ENTITY).find((r) => String(r.id) === id);

describe('GET …/records/{entity}', () => {
  it('lists the synced copy in pages on a stable key, every record once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await h.inject({
        method: 'GET',
        url: `${BASE}/records/${ENTITY}?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers,
      });
      expect(response.statusCode).toBe(200);
      const body = response.json() as {
        records: Array<{ external_id: string; data: object; normalized: object }>;
        next_cursor: string | null;
      };
      seen.push(...body.records.map((r) => r.external_id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it.each([
    ['an entity the platform does not have', `${BASE}/records/nonsense`, 404],
    ['a platform the tenant has not connected', `/integrations/stripe/records/customers`, 404],
    ['a forged cursor', `${BASE}/records/${ENTITY}?cursor=abc.def`, 400],
    ['a limit above 500', `${BASE}/records/${ENTITY}?limit=501`, 400],
  ])('answers %s (%s) with %i', async (_what, url, status) => {
    expect((await h.inject({ method: 'GET', url, headers })).statusCode).toBe(status);
  });

  it('shows another tenant nothing (404)', async () => {
    const other = await h.service.tenant('Other');
    const response = await h.inject({
      method: 'GET',
      url: `${BASE}/records/${ENTITY}?connection_id=${h.connectionId}`,
      headers: h.service.auth(other.apiKey),
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('local changes', () => {
  it('creates a record here, then on the platform, where it takes the platform’s id', async () => {
    const response = await h.inject({
      method: 'POST',
      url: `${BASE}/records/${ENTITY}`,
      headers,
      payload: { data: { firstName: 'Ada', lastName: 'Lovelace', type: 'person' } },
    });
    expect(response.statusCode).toBe(202);
    const { record } = response.json() as { record: { external_id: string } };
    expect(record.external_id).toMatch(/^local:/);
    await h.push(ENTITY);
    const created = h.control.records(ENTITY).find((r) => r.firstName === 'Ada');
    expect(created).toBeDefined();
    const ids = await h.storedIds(ENTITY);
    expect(ids).toContain(String(created?.id));
    expect(ids.some((id) => id.startsWith('local:'))).toBe(false);
  });

  it('pushes an update, and the next pull sees our own write as no change', async () => {
    const id = String(h.control.records(ENTITY)[0]?.id);
    clock += 60_000;
    const response = await h.inject({
      method: 'PATCH',
      url: `${BASE}/records/${ENTITY}/${id}`,
      headers,
      payload: { data: { jobTitle: 'Engineer' } },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ record: { external_id: id, data: { jobTitle: 'Engineer' } } });
    await h.push(ENTITY);
    expect(remote(id)).toMatchObject({ jobTitle: 'Engineer' });
    const outcome = await h.sync(ENTITY);
    expect(outcome).toMatchObject({ status: 'succeeded', pull: { recordsChanged: 0 } });
  });

  it('keeps a platform’s validation error on the record and in the sync status, without retrying', async () => {
    const id = String(h.control.records(ENTITY)[1]?.id);
    await h.inject({
      method: 'PATCH',
      url: `${BASE}/records/${ENTITY}/${id}`,
      headers,
      payload: { data: { jobTitle: '__invalid__' } },
    });
    const result = await h.push(ENTITY);
    expect(result).toMatchObject({ failed: 1, pushed: 0 });
    const listed = (await h.inject({ method: 'GET', url: `${BASE}/records/${ENTITY}?limit=500`, headers })).json() as {
      records: Array<{ external_id: string; push_error?: string }>;
    };
    expect(listed.records.find((r) => r.external_id === id)?.push_error).toMatch(/422|invalid/i);
    const status = (await h.inject({ method: 'GET', url: `${BASE}/sync`, headers })).json();
    expect(status.entities[0].error).toMatch(/422|invalid/i);
    const outbox = await h.service.ctx.db
      .selectFrom('sync_outbox')
      .select(['status', 'attempts'])
      .where('external_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(outbox).toEqual({ status: 'failed', attempts: 1 });
  });

  it('deletes on the platform', async () => {
    const id = String(h.control.records(ENTITY)[2]?.id);
    expect((await h.inject({ method: 'DELETE', url: `${BASE}/records/${ENTITY}/${id}`, headers })).statusCode).toBe(
      202,
    );
    await h.push(ENTITY);
    expect(remote(id)).toBeUndefined();
    expect(await h.storedIds(ENTITY)).not.toContain(id);
  });

  it('answers 404 for a record that does not exist', async () => {
    const response = await h.inject({
      method: 'PATCH',
      url: `${BASE}/records/${ENTITY}/999999`,
      headers,
      payload: { data: { jobTitle: 'x' } },
    });
    expect(response.statusCode).toBe(404);
  });

  it('refuses writes (409) to an entity that only pulls', async () => {
    expect((await h.configure('tasks', { sync_direction: 'pull' })).statusCode).toBe(202);
    const response = await h.inject({ method: 'POST', url: `${BASE}/records/tasks`, headers, payload: { data: {} } });
    expect(response.statusCode).toBe(409);
  });
});

describe('conflicts', () => {
  async function conflictOn(index: number): Promise<{ id: string; conflictId: string }> {
    const id = String(h.control.records(ENTITY)[index]?.id);
    clock += 60_000;
    h.control.updateRecord(ENTITY, id, { firstName: 'remote' });
    await h.inject({
      method: 'PATCH',
      url: `${BASE}/records/${ENTITY}/${id}`,
      headers,
      payload: { data: { firstName: 'local' } },
    });
    await h.push(ENTITY);
    const listed = (await h.inject({ method: 'GET', url: `${BASE}/conflicts`, headers })).json() as {
      conflicts: Array<{ conflict_id: string; external_id: string; fields: Record<string, unknown> }>;
    };
    const conflict = listed.conflicts.find((c) => c.external_id === id);
    expect(conflict?.fields.firstName).toEqual({ base: expect.any(String), local: 'local', remote: 'remote' });
    return { id, conflictId: conflict?.conflict_id as string };
  }

  it.each([
    ['local', undefined, 'local'],
    ['remote', undefined, 'remote'],
    ['merge', { firstName: 'merged' }, 'merged'],
  ] as const)('resolves with %s: the chosen value lands on both sides', async (resolution, data, expected) => {
    const { id, conflictId } = await conflictOn(resolution === 'local' ? 5 : resolution === 'remote' ? 6 : 7);
    const response = await h.inject({
      method: 'POST',
      url: `${BASE}/conflicts/${conflictId}/resolve`,
      headers,
      payload: { resolution, ...(data ? { data } : {}) },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ conflict: { conflict_id: conflictId, status: 'resolved' } });
    await h.push(ENTITY);
    expect(remote(id)).toMatchObject({ firstName: expected });
    const record = await h.service.ctx.db
      .selectFrom('sync_records')
      .select('data')
      .where('external_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(record.data).toMatchObject({ firstName: expected });
  });

  it('resolves with merge by setting only the given fields: the rest of the record keeps the platform values', async () => {
    const { id, conflictId } = await conflictOn(9);
    const before = remote(id) as Record<string, unknown>;
    const response = await h.inject({
      method: 'POST',
      url: `${BASE}/conflicts/${conflictId}/resolve`,
      headers,
      payload: { resolution: 'merge', data: { firstName: 'merged' } },
    });
    expect(response.statusCode).toBe(200);
    await h.push(ENTITY);
    const { firstName: _first, ...untouched } = before;
    expect(remote(id)).toMatchObject({ ...untouched, firstName: 'merged' });
    const record = await h.service.ctx.db
      .selectFrom('sync_records')
      .select('data')
      .where('external_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(record.data).toMatchObject({ ...untouched, firstName: 'merged' });
  });

  it.each([
    ['merge without data', { resolution: 'merge' }, 422],
    ['an unknown resolution', { resolution: 'both' }, 400],
  ])('refuses %s', async (_what, payload, status) => {
    const { conflictId } = await conflictOn(8);
    const response = await h.inject({
      method: 'POST',
      url: `${BASE}/conflicts/${conflictId}/resolve`,
      headers,
      payload,
    });
    expect(response.statusCode).toBe(status);
  });

  it('answers 409 for a conflict already resolved, 404 for one that does not exist', async () => {
    const resolved = (await h.inject({ method: 'GET', url: `${BASE}/conflicts?status=resolved`, headers })).json()
      .conflicts[0].conflict_id;
    const again = await h.inject({
      method: 'POST',
      url: `${BASE}/conflicts/${resolved}/resolve`,
      headers,
      payload: { resolution: 'remote' },
    });
    expect(again.statusCode).toBe(409);
    const missing = await h.inject({
      method: 'POST',
      url: `${BASE}/conflicts/00000000-0000-4000-8000-000000000000/resolve`,
      headers,
      payload: { resolution: 'remote' },
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('POST …/sync', () => {
  it.each([
    ['an unknown entity', { entities: ['nonsense'], sync_direction: 'pull' }, '/entities/0'],
    [
      'a frequency that is not one',
      { entities: [ENTITY], sync_direction: 'pull', frequency: 'sometimes' },
      '/frequency',
    ],
    ['an invalid cron', { entities: [ENTITY], sync_direction: 'pull', frequency: '61 * * * *' }, '/frequency'],
    [
      'field rules for another entity',
      { entities: [ENTITY], sync_direction: 'pull', field_rules: { tasks: { a: 'local' } } },
      '/field_rules/tasks',
    ],
  ])('answers 422 naming the field for %s', async (_what, payload, path) => {
    const response = await h.inject({ method: 'POST', url: `${BASE}/sync`, headers, payload });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('schedules the next run from the frequency', async () => {
    const response = await h.inject({
      method: 'POST',
      url: `${BASE}/sync`,
      headers,
      payload: { entities: [ENTITY], sync_direction: 'bidirectional', frequency: '0 3 * * *' },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json().sync.next_run_at).toMatch(/T03:00:00\.000Z$/);
  });
});
