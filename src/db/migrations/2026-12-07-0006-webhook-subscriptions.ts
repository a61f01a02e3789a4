/**
 * Webhooks subscribed through a platform's API: whether the registration is made through the API at all, the
 * platform's ids of the subscriptions (several where it takes one event type each), when the daily reconcile last found them, what went wrong the last time we tried, whether the
 * connection accepts deliveries only from the vendor's published addresses, and when they were removed at the
 * platform (disconnect).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('platform_webhooks')
    .addColumn('through_api', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('platform_webhook_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('ip_allowlist', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('reconciled_at', 'timestamptz')
    .addColumn('registration_error', 'text')
    .addColumn('unregistered_at', 'timestamptz')
    .execute();
  await sql`update platform_webhooks set platform_webhook_ids = array[platform_webhook_id]
            where platform_webhook_id is not null`.execute(db);
  await db.schema.alterTable('platform_webhooks').dropColumn('platform_webhook_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('platform_webhooks').addColumn('platform_webhook_id', 'text').execute();
  await sql`update platform_webhooks set platform_webhook_id = platform_webhook_ids[1]`.execute(db);
  await db.schema
    .alterTable('platform_webhooks')
    .dropColumn('through_api')
    .dropColumn('platform_webhook_ids')
    .dropColumn('ip_allowlist')
    .dropColumn('reconciled_at')
    .dropColumn('registration_error')
    .dropColumn('unregistered_at')
    .execute();
}
