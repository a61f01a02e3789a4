/**
 * The sync engine's tables: the local store of synced records, the outbox of local changes to push, the conflicts
 * queue, sync runs with their resumable checkpoints, the ids a full pass has seen, and the statistics rollups the
 * dashboard's charts read. Same rules as the first migration: `tenant_id` first in every key and index.
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
    .alterTable('platform_sync_status')
    .addColumn('next_run_at', 'timestamptz')
    .addColumn('current_run_id', 'uuid')
    .execute();
  await db.schema
    .createIndex('platform_sync_status_due')
    .on('platform_sync_status')
    .columns(['next_run_at'])
    .where(sql.ref('next_run_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('sync_records')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    /** The platform's id; `local:<uuid>` for a record created here and not pushed yet. */
    .addColumn('external_id', 'text', (c) => c.notNull())
    /** The local copy in the platform's own shape: the last pulled record with unpushed local changes applied. */
    .addColumn('data', 'jsonb', (c) => c.notNull())
    /** `data` as its standard entity (null where the entity has none, or normalization failed). */
    .addColumn('normalized', 'jsonb')
    /** SHA-256 of the platform's record as last pulled (canonical JSON): an unchanged record is not rewritten. */
    .addColumn('content_hash', 'bytea')
    /** The version both sides last agreed on: the base of a three-way merge. */
    .addColumn('base_data', 'jsonb')
    .addColumn('remote_updated_at', 'timestamptz')
    .addColumn('local_updated_at', 'timestamptz')
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('deleted_at', 'timestamptz')
    /** The last push's refusal (a platform validation error), shown with the record until the next change. */
    .addColumn('push_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sync_records_pkey', ['tenant_id', 'connection_id', 'entity_type', 'external_id'])
    .$call(belongsToConnection('sync_records'))
    .execute();
  await db.schema
    .createIndex('sync_records_updated')
    .on('sync_records')
    .columns(['tenant_id', 'connection_id', 'entity_type', 'updated_at'])
    .execute();

  await db.schema
    .createTable('sync_outbox')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('outbox_id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull().check(sql`operation in ('create', 'update', 'delete')`))
    /** The changed fields (create: the whole record). */
    .addColumn('changes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    /** The record's base when the change was made: what "changed remotely since" is measured against. */
    .addColumn('base_data', 'jsonb')
    /** Sent as the platform's idempotency header where it takes one: a retried push never writes twice. */
    .addColumn('idempotency_key', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'failed', 'conflict', 'discarded')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('sync_outbox_pkey', ['tenant_id', 'outbox_id'])
    .$call(belongsToConnection('sync_outbox'))
    .execute();
  // One unsent change per record: later edits fold into it.
  await db.schema
    .createIndex('sync_outbox_one_pending')
    .on('sync_outbox')
    .columns(['tenant_id', 'connection_id', 'entity_type', 'external_id'])
    .unique()
    .where(sql.ref('status'), 'in', sql`('pending', 'conflict')`)
    .execute();
  await db.schema
    .createIndex('sync_outbox_queue')
    .on('sync_outbox')
    .columns(['tenant_id', 'connection_id', 'entity_type', 'status', 'outbox_id'])
    .execute();

  await db.schema
    .createTable('sync_conflicts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('conflict_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'resolved')`))
    /** `{ <field>: { base, local, remote } }` for every field changed on both sides. */
    .addColumn('fields', 'jsonb', (c) => c.notNull())
    /** The whole record on each side when the conflict was found (`remote` null when deleted there). */
    .addColumn('base_data', 'jsonb')
    .addColumn('local_data', 'jsonb')
    .addColumn('remote_data', 'jsonb')
    .addColumn('outbox_id', 'bigint')
    .addColumn('resolution', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addPrimaryKeyConstraint('sync_conflicts_pkey', ['tenant_id', 'conflict_id'])
    .$call(belongsToConnection('sync_conflicts'))
    .execute();
  await db.schema
    .createIndex('sync_conflicts_list')
    .on('sync_conflicts')
    .columns(['tenant_id', 'connection_id', 'status', 'created_at', 'conflict_id'])
    .execute();
  await db.schema
    .createIndex('sync_conflicts_one_open')
    .on('sync_conflicts')
    .columns(['tenant_id', 'connection_id', 'entity_type', 'external_id'])
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('incremental', 'full', 'push')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('running').check(sql`status in ('running', 'succeeded', 'failed')`),
    )
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    /** Envelope-encrypted resume point: the next page's request (a platform's next link could carry anything). */
    .addColumn('checkpoint_data', 'jsonb')
    /** The incremental cursor this run started from, and the highest value it has seen. */
    .addColumn('since_cursor', 'text')
    .addColumn('high_water', 'text')
    .addColumn('records_pulled', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('records_changed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('records_deleted', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('records_pushed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    /** Request counters and the latency histogram (see `sync-metrics.ts`). */
    .addColumn('metrics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('resumes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('sync_runs_pkey', ['tenant_id', 'run_id'])
    .$call(belongsToConnection('sync_runs'))
    .execute();
  await db.schema
    .createIndex('sync_runs_entity')
    .on('sync_runs')
    .columns(['tenant_id', 'connection_id', 'entity_type', 'started_at'])
    .execute();
  await db.schema.createIndex('sync_runs_finished').on('sync_runs').columns(['finished_at']).execute();

  await db.schema
    .createTable('sync_run_seen')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_run_seen_pkey', ['tenant_id', 'run_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('connection_stats')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    /** Start of the 10-minute bucket. */
    .addColumn('bucket_start', 'timestamptz', (c) => c.notNull())
    .addColumn('api_calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rate_limited', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('p95_latency_ms', 'integer')
    .addColumn('records_pulled', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('records_pushed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('sync_runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sync_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('health_checks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('health_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('connection_stats_pkey', ['tenant_id', 'connection_id', 'bucket_start'])
    .$call(belongsToConnection('connection_stats'))
    .execute();

  /** Each health check's outcome, rolled up into `connection_stats` and pruned by the cleanup job. */
  await db.schema
    .createTable('connection_health_checks')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('healthy', 'boolean', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('connection_health_checks_pkey', ['tenant_id', 'connection_id', 'checked_at'])
    .$call(belongsToConnection('connection_health_checks'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'connection_health_checks',
    'connection_stats',
    'sync_run_seen',
    'sync_runs',
    'sync_conflicts',
    'sync_outbox',
    'sync_records',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.dropIndex('platform_sync_status_due').ifExists().execute();
  await db.schema.alterTable('platform_sync_status').dropColumn('next_run_at').dropColumn('current_run_id').execute();
}
