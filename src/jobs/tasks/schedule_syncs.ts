/**
 * `schedule_syncs` (crontab, every minute): queues a `sync_entity` job for every entity whose `next_run_at` has come
 * (active connections only) and moves `next_run_at` to the next time its frequency names. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several workers sweeping at once queue each sync once. It also re-queues pushes for
 * local changes still pending after a minute (a safety net: each change queues its push when it is made).
 */
import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { ServiceContext } from '../../service/service-context.js';
import { nextRunAt } from '../../sync/sync-schedule.js';
import { queuePush, queueSync } from '../job-queue.js';

const BATCH = 500;

export function scheduleSyncsTask(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const now = ctx.now();
    let queued = 0;
    for (;;) {
      const claimed = await ctx.db.transaction().execute(async (trx) => {
        const due = await sql<{ tenant_id: string; connection_id: string; entity_type: string; frequency: string }>`
          select s.tenant_id, s.connection_id, s.entity_type, s.frequency
          from platform_sync_status s
          join platform_connections c using (tenant_id, connection_id)
          where s.next_run_at <= ${now} and c.status = 'active'
          order by s.next_run_at
          limit ${BATCH}
          for update of s skip locked`.execute(trx);
        for (const row of due.rows) {
          let next: Date | null;
          try {
            next = nextRunAt(row.frequency, row.connection_id, now);
          } catch {
            next = null; // a frequency that no longer parses stops scheduling; the settings route never stores one
          }
          const payload = { tenant_id: row.tenant_id, connection_id: row.connection_id, entity_type: row.entity_type };
          await queueSync(trx, payload);
          await trx
            .updateTable('platform_sync_status')
            .set({
              next_run_at: next,
              sync_status: sql`case when sync_status = 'running' then sync_status else 'queued' end`,
              updated_at: now,
            })
            .where('tenant_id', '=', row.tenant_id)
            .where('connection_id', '=', row.connection_id)
            .where('entity_type', '=', row.entity_type)
            .execute();
        }
        return due.rows.length;
      });
      queued += claimed;
      if (claimed < BATCH) break;
    }
    const stale = await sql<{ tenant_id: string; connection_id: string; entity_type: string }>`
      select distinct o.tenant_id, o.connection_id, o.entity_type from sync_outbox o
      join platform_connections c using (tenant_id, connection_id)
      where o.status = 'pending' and o.created_at < ${new Date(now.getTime() - 60_000)} and c.status = 'active'`.execute(
      ctx.db,
    );
    for (const row of stale.rows) await queuePush(ctx.db, row);
    if (queued + stale.rows.length > 0) {
      helpers.logger.info(`queued ${queued} scheduled syncs and ${stale.rows.length} pending pushes`);
    }
  };
}
