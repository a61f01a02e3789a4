/**
 * Inbound webhooks: a delivery names its registration by `webhook_id` alone (the platform knows nothing of tenants),
 * so that id is unique on its own; events remember the registration they came through and their attempts.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('platform_webhooks_webhook_id')
    .on('platform_webhooks')
    .column('webhook_id')
    .unique()
    .execute();
  await db.schema
    .alterTable('platform_event_logs')
    .addColumn('webhook_id', 'uuid')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('platform_event_logs_status')
    .on('platform_event_logs')
    .columns(['tenant_id', 'connection_id', 'processing_status', 'received_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('platform_event_logs_status').ifExists().execute();
  await db.schema.alterTable('platform_event_logs').dropColumn('webhook_id').dropColumn('attempts').execute();
  await db.schema.dropIndex('platform_webhooks_webhook_id').ifExists().execute();
}
