/**
 * Alerts: the alerts the evaluator opens and resolves (at most one open per tenant, rule and connection, by a unique
 * partial index), each tenant's delivery destination (its Standard Webhooks signing secret sealed like a credential),
 * the outbox of deliveries, and the inbound webhook deliveries refused for a bad or missing signature (the
 * signature-failure rule counts them). Also a per-run count of records that failed normalization (the data-quality
 * rule reads it), and partial indexes for the evaluator's cross-tenant sweeps. Same rules as the first migration:
 * `tenant_id` first in every key and foreign key.
 */
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';

/** The foreign key from a per-connection table to its connection (deleted with it). */
function belongsToConnection(table: string) {
  return <T extends CreateTableBuilder<string, string>>(builder: T): T =>
    builder.addForeignKeyConstraint(
      `${table}_connection_fkey`,
      ['tenant_id', 'connection_id'],
      'platform_connections',
      ['tenant_id', 'connection_id'],
      (c) => c.onDelete('cascade'),
    ) as T;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.tenant_id').onDelete('cascade'))
    .addColumn('alert_id', 'uuid', (c) => c.notNull())
    /** Null for a tenant-wide alert (e.g. refused webhook deliveries that named no connection). */
    .addColumn('connection_id', 'uuid')
    /** The connection's platform, kept for listing (and for tenant-wide alerts about one platform). */
    .addColumn('platform', 'text')
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'resolved')`))
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info', 'warning', 'critical')`))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    /** The audit-log actor who acknowledged it (`api_key:<id>`). */
    .addColumn('acknowledged_by', 'text')
    /** Evaluations that found the condition while the alert was open (1 when it opens). */
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('alerts_pkey', ['tenant_id', 'alert_id'])
    .$call(belongsToConnection('alerts'))
    .execute();
  // One open alert per (tenant, rule, connection); a tenant-wide alert counts as the nil connection.
  await sql`create unique index alerts_one_open on alerts
    (tenant_id, rule, coalesce(connection_id, '00000000-0000-0000-0000-000000000000'::uuid))
    where status = 'open'`.execute(db);
  await db.schema
    .createIndex('alerts_listing')
    .on('alerts')
    .columns(['tenant_id', 'first_seen_at', 'alert_id'])
    .execute();
  // The evaluator's sweep: a rule's open alerts across tenants.
  await db.schema
    .createIndex('alerts_open_by_rule')
    .on('alerts')
    .columns(['rule'])
    .where(sql.ref('status'), '=', 'open')
    .execute();

  await db.schema
    .createTable('alert_destinations')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.tenant_id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    /** Envelope-encrypted Standard Webhooks signing secret (`whsec_…`). */
    .addColumn('secret_data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('delivery_id', 'uuid', (c) => c.notNull())
    .addColumn('alert_id', 'uuid', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull().check(sql`event_type in ('alert.opened', 'alert.resolved')`))
    /** The message body as of the event (the same on every attempt; only the signature's timestamp changes). */
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'delivered', 'failed', 'skipped')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    /** The receiver's HTTP status on the last attempt (null: no answer). */
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addPrimaryKeyConstraint('alert_deliveries_pkey', ['tenant_id', 'delivery_id'])
    .addForeignKeyConstraint(
      'alert_deliveries_alert_fkey',
      ['tenant_id', 'alert_id'],
      'alerts',
      ['tenant_id', 'alert_id'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('alert_deliveries_alert')
    .on('alert_deliveries')
    .columns(['tenant_id', 'alert_id'])
    .execute();

  /** Inbound webhook deliveries refused for their signature (written by the webhook route, read by the evaluator). */
  await db.schema
    .createTable('webhook_rejections')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.tenant_id').onDelete('cascade'))
    .addColumn('rejection_id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    /** Null when the delivery identified the tenant but no connection. */
    .addColumn('connection_id', 'uuid')
    .addColumn('platform', 'text', (c) => c.notNull())
    /** `verifyWebhook`'s reason (`signature-mismatch`, `missing-header`, `timestamp-out-of-tolerance`, …). */
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_rejections_pkey', ['tenant_id', 'rejection_id'])
    .$call(belongsToConnection('webhook_rejections'))
    .execute();
  await db.schema
    .createIndex('webhook_rejections_connection')
    .on('webhook_rejections')
    .columns(['tenant_id', 'connection_id', 'received_at'])
    .execute();
  // The evaluator's sweep over the last minutes, across tenants.
  await db.schema.createIndex('webhook_rejections_received').on('webhook_rejections').column('received_at').execute();
  await db.schema
    .createIndex('platform_event_logs_failed')
    .on('platform_event_logs')
    .column('received_at')
    .where(sql.ref('processing_status'), '=', 'failed')
    .execute();

  /** Records of the run that its platform's mapping could not normalize into their standard entity. */
  await db.schema
    .alterTable('sync_runs')
    .addColumn('records_unnormalized', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sync_runs').dropColumn('records_unnormalized').execute();
  await db.schema.dropIndex('platform_event_logs_failed').ifExists().execute();
  for (const table of ['webhook_rejections', 'alert_deliveries', 'alert_destinations', 'alerts']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
