/**
 * `process_webhook_event` {tenant_id, connection_id, event_id}: what a stored webhook event makes happen. Where the
 * platform's config maps the event type to an entity (`webhooks.records`), the record inside the payload is upserted
 * into, or deleted from, the synced copy (see `eventEffect`: same change detection and conflict rules as a pull; an
 * event older than the stored version changes nothing). Otherwise the event triggers an incremental sync of every
 * entity the connection pulls (queued with the entity's job key, so a burst of events makes one sync each, not one
 * per event). The effect and the event's `processed` status are written in one transaction, so a job run again
 * after a kill -9 finds the event processed and does nothing. A payload that cannot be applied (no record, no id) is
 * `failed` at once; other failures are retried and `failed` with the error after the last attempt. Queued with the
 * event, in the transaction that stored it.
 */
import type { Task } from 'graphile-worker';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import type { ServiceContext } from '../../service/service-context.js';
import { describeError } from '../../sync/sync-errors.js';
import { applyEventRecord, eventEffect } from '../../webhooks/event-records.js';
import { assertConnectionPayload } from '../job-payloads.js';
import { queueSync } from '../job-queue.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function processWebhookEventTask(ctx: ServiceContext): Task {
  return async (payload, helpers) => {
    const { tenant_id, connection_id } = assertConnectionPayload(payload);
    const eventId = (payload as { event_id?: unknown }).event_id;
    if (typeof eventId !== 'string' || !UUID.test(eventId)) throw new Error('job payload: event_id must be a UUID');
    const where = { tenant_id, connection_id, event_id: eventId };
    try {
      await ctx.db.transaction().execute(async (trx) => {
        const event = await trx
          .updateTable('platform_event_logs')
          .set((eb) => ({ processing_status: 'processing', attempts: eb('attempts', '+', 1) }))
          .where('tenant_id', '=', where.tenant_id)
          .where('connection_id', '=', where.connection_id)
          .where('event_id', '=', where.event_id)
          .where('processing_status', '!=', 'processed')
          .returning(['event_type', 'platform', 'payload'])
          .executeTakeFirst();
        if (!event) return; // processed before (a retried job after its result was lost)
        const meta = ctx.registry.has(event.platform)
          ? ((await ctx.registry.meta(event.platform)) as PlatformMeta)
          : undefined;
        const effect = meta ? eventEffect(meta, event.event_type, event.payload) : ({ kind: 'sync' } as const);
        let error: string | null = null;
        if (effect.kind === 'invalid') {
          error = effect.reason;
        } else if (effect.kind === 'sync') {
          const entities = await trx
            .selectFrom('platform_sync_status')
            .select('entity_type')
            .where('tenant_id', '=', tenant_id)
            .where('connection_id', '=', connection_id)
            .where('sync_direction', '!=', 'push')
            .execute();
          for (const { entity_type } of entities) await queueSync(trx, { tenant_id, connection_id, entity_type });
        } else {
          await applyEventRecord(trx, { tenantId: tenant_id, connectionId: connection_id }, effect);
        }
        await trx
          .updateTable('platform_event_logs')
          .set({ processing_status: error ? 'failed' : 'processed', processed_at: ctx.now(), error })
          .where('tenant_id', '=', where.tenant_id)
          .where('connection_id', '=', where.connection_id)
          .where('event_id', '=', where.event_id)
          .execute();
      });
    } catch (error) {
      const last = helpers.job.attempts >= helpers.job.max_attempts;
      await ctx.db
        .updateTable('platform_event_logs')
        .set({ processing_status: last ? 'failed' : 'pending', error: describeError(error) })
        .where('tenant_id', '=', where.tenant_id)
        .where('connection_id', '=', where.connection_id)
        .where('event_id', '=', where.event_id)
        .execute()
        .catch(() => {});
      throw error;
    }
  };
}
