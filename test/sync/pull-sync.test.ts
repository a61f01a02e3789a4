/**
 * Pull against the config-driven sandbox of Capsule CRM (link-header pagination, an incremental `since` filter on
 * `updatedAt`): every record stored once with its normalized form, an unchanged record never rewritten, incremental
 * runs from the last cursor minus the lookback, full refreshes marking absent records deleted, and progress in
 * `GET …/sync`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const ENTITY = 'parties';
let h: SyncHarness;
let clock = Date.parse('2026-06-01T00:00:00Z');

beforeAll(async () => {
  h = await startSyncHarness({ platform: 'capsule-crm', records: 120, now: () => clock });
  const configured = await h.configure(ENTITY, { sync_direction: 'pull' });
  expect(configured.statusCode).toBe(202);
});
afterAll(async () => {
  await h?.close();
});

function remoteIds(): string[] {
  return h.control
    .records(ENTITY)
    .map((r) => String(r.id))
    .sort();
}

async function storedRow(id: string) {
  return h.service.ctx.db
    .selectFrom('sync_records')
    .selectAll()
    .where('connection_id', '=', h.connectionId)
    .where('entity_type', '=', ENTITY)
    .where('external_id', '=', id)
    .executeTakeFirstOrThrow();
}

describe('a first pull', () => {
  it('stores every record of the platform exactly once, raw and normalized, over several pages', async () => {
    const outcome = await h.sync(ENTITY, { pageSize: 25 });
    expect(outcome).toMatchObject({ status: 'succeeded', pull: { mode: 'full', recordsPulled: 120, pages: 5 } });
    expect(await h.storedIds(ENTITY)).toEqual(remoteIds());
    const first = remoteIds()[0] as string;
    const row = await storedRow(first);
    expect(row.data).toEqual(h.control.records(ENTITY).find((r) => String(r.id) === first));
    expect(row.normalized).toMatchObject({ id: first });
    expect(row.content_hash).toBeInstanceOf(Buffer);
  });

  it('shows the run in GET …/sync: succeeded, records_total, last_run', async () => {
    const response = await h.inject({
      method: 'GET',
      url: '/integrations/capsule-crm/sync',
      headers: h.service.auth(h.apiKey),
    });
    expect(response.statusCode).toBe(200);
    const [entity] = response.json().entities;
    expect(entity).toMatchObject({
      entity_type: ENTITY,
      sync_direction: 'pull',
      sync_status: 'succeeded',
      records_total: 120,
      last_run: { records_pulled: 120, records_pushed: 0 },
      conflicts_open: 0,
    });
  });
});

describe('an incremental pull', () => {
  it('asks only for records changed since the last cursor (minus the lookback) and rewrites only changed ones', async () => {
    const before = await storedRow(remoteIds()[5] as string);
    clock += 24 * 3600_000;
    const changedId = remoteIds()[3] as string;
    h.control.updateRecord(ENTITY, changedId, { about: 'changed remotely' });
    const outcome = await h.sync(ENTITY, { pageSize: 25 });
    expect(outcome).toMatchObject({ status: 'succeeded', pull: { mode: 'incremental', recordsChanged: 1 } });
    if (outcome.status !== 'succeeded') throw new Error('sync failed');
    expect(outcome.pull?.recordsPulled).toBeLessThan(120);
    expect((await storedRow(changedId)).data).toMatchObject({ about: 'changed remotely' });
    // An unchanged record keeps its row as it was (not rewritten).
    expect((await storedRow(remoteIds()[5] as string)).updated_at).toEqual(before.updated_at);
  });

  it('picks up records created remotely since the last run', async () => {
    clock += 3600_000;
    const created = h.control.insertRecord(ENTITY, { about: 'new' });
    await h.sync(ENTITY);
    expect(await h.storedIds(ENTITY)).toContain(String(created.id));
    expect(await h.storedIds(ENTITY)).toEqual(remoteIds());
  });

  it('sees again, without storing twice, records that share the cursor timestamp across the boundary', async () => {
    clock += 3600_000;
    const [a, b] = [remoteIds()[10] as string, remoteIds()[11] as string];
    h.control.updateRecord(ENTITY, a, { about: 'same second A' });
    await h.sync(ENTITY);
    // B changes in the same second as A, after the run that saw A: the lookback brings it in.
    h.control.updateRecord(ENTITY, b, { about: 'same second B' });
    await h.sync(ENTITY);
    expect((await storedRow(b)).data).toMatchObject({ about: 'same second B' });
    expect(await h.storedIds(ENTITY)).toEqual(remoteIds());
  });

  it('copes with a platform clock behind ours: changes stamped before the cursor still arrive within the lookback', async () => {
    const id = remoteIds()[20] as string;
    const skewed = clock - 2 * 60_000; // the platform's clock runs two minutes behind
    const saved = clock;
    clock = skewed;
    h.control.updateRecord(ENTITY, id, { about: 'written by a slow clock' });
    clock = saved;
    await h.sync(ENTITY);
    expect((await storedRow(id)).data).toMatchObject({ about: 'written by a slow clock' });
  });
});
