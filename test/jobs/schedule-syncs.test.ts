/**
 * The scheduler sweep (`schedule_syncs`, every minute): it queues a sync for each entity whose time has come, moves
 * its next run on by its frequency, leaves manual and disconnected ones alone, queues each once when two workers
 * sweep at the same moment, and re-queues pushes for local changes left pending.
 */
import type { JobHelpers } from 'graphile-worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scheduleSyncsTask } from '../../src/jobs/tasks/schedule_syncs.js';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

let h: SyncHarness;
let now = new Date('2026-07-01T12:00:30Z');
const helpers = { logger: { info() {}, warn() {}, error() {}, debug() {} } } as unknown as JobHelpers;

beforeAll(async () => {
  h = await startSyncHarness({ platform: 'capsule-crm', records: 5 });
  h.service.ctx.now = () => now;
  for (const entity of ['parties', 'tasks']) {
    expect((await h.configure(entity, { sync_direction: 'pull', frequency: 'hourly' })).statusCode).toBe(202);
  }
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await sql`delete from graphile_worker._private_jobs`.execute(h.service.ctx.db);
});

async function queued(task: string): Promise<string[]> {
  const { rows } = await sql<{ entity: string }>`
    select j.payload->>'entity_type' as entity from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${task} order by 1`.execute(
    h.service.ctx.db,
  );
  return rows.map((r) => r.entity);
}

async function setDue(entity: string, at: Date | null) {
  await h.service.ctx.db
    .updateTable('platform_sync_status')
    .set({ next_run_at: at })
    .where('entity_type', '=', entity)
    .execute();
}

describe('schedule_syncs', () => {
  it('queues the entities whose time has come, and moves their next run on by the frequency', async () => {
    await setDue('parties', new Date(now.getTime() - 1000));
    await setDue('tasks', new Date(now.getTime() + 600_000));
    await scheduleSyncsTask(h.service.ctx)({}, helpers);
    expect(await queued('sync_entity')).toEqual(['parties']);
    const row = await h.service.ctx.db
      .selectFrom('platform_sync_status')
      .select(['next_run_at', 'sync_status'])
      .where('entity_type', '=', 'parties')
      .executeTakeFirstOrThrow();
    expect(row.sync_status).toBe('queued');
    expect(row.next_run_at?.getTime()).toBeGreaterThan(now.getTime());
    expect(row.next_run_at?.getTime()).toBeLessThanOrEqual(now.getTime() + 3600_000);
  });

  it('queues each due entity once when two workers sweep at the same moment', async () => {
    await setDue('parties', new Date(now.getTime() - 1000));
    await setDue('tasks', new Date(now.getTime() - 1000));
    await Promise.all([scheduleSyncsTask(h.service.ctx)({}, helpers), scheduleSyncsTask(h.service.ctx)({}, helpers)]);
    expect(await queued('sync_entity')).toEqual(['parties', 'tasks']);
  });

  it('leaves manual entities and disconnected connections alone', async () => {
    await setDue('parties', null);
    await setDue('tasks', new Date(now.getTime() - 1000));
    await h.service.ctx.db.updateTable('platform_connections').set({ status: 'disconnected' }).execute();
    try {
      await scheduleSyncsTask(h.service.ctx)({}, helpers);
      expect(await queued('sync_entity')).toEqual([]);
    } finally {
      await h.service.ctx.db.updateTable('platform_connections').set({ status: 'active' }).execute();
    }
  });

  it('re-queues the push of local changes still pending after a minute', async () => {
    await setDue('tasks', null);
    expect((await h.configure('parties', { sync_direction: 'bidirectional' })).statusCode).toBe(202);
    await h.sync('parties');
    const id = (await h.storedIds('parties'))[0];
    const patched = await h.inject({
      method: 'PATCH',
      url: `/integrations/capsule-crm/records/parties/${id}`,
      headers: h.service.auth(h.apiKey),
      payload: { data: { firstName: 'x' } },
    });
    expect(patched.statusCode).toBe(202);
    await sql`delete from graphile_worker._private_jobs`.execute(h.service.ctx.db); // as if the queued push were lost
    now = new Date(Date.now() + 120_000);
    await scheduleSyncsTask(h.service.ctx)({}, helpers);
    expect(await queued('push_records')).toEqual(['parties']);
  });
});
