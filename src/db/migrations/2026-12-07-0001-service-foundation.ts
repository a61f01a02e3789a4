/**
 * The service's first tables: tenants and their API keys, the seed's eight platform tables, and the audit log.
 *
 * Every tenant-owned table has `tenant_id` first in its primary key and in every index, and every foreign key
 * includes it, so a deployment that outgrows one Postgres can distribute the tables by `tenant_id` (Citus
 * `create_distributed_table(…, 'tenant_id')`) without changing a key. Secrets live only in `*_data` columns that
 * hold envelope-encrypted JSON (`{ v, kid, key, kiv, ktag, iv, tag, ct }`), never plaintext.
 *
 * A migration imports nothing from the application: its schema is frozen here as written.
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
    .createTable('tenants')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.tenant_id').onDelete('cascade'))
    .addColumn('api_key_id', 'uuid', (c) => c.notNull())
    .addColumn('secret_hash', 'bytea', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('api_keys_pkey', ['tenant_id', 'api_key_id'])
    .execute();

  await db.schema
    .createTable('platform_connections')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.tenant_id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status in ('active', 'needs_reauth', 'disconnected')`),
    )
    /** Envelope-encrypted credentials (API keys, OAuth tokens). */
    .addColumn('auth_data', 'jsonb')
    /** The connection config (shop, region, host…): not secret. */
    .addColumn('platform_config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('account_info', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('token_expires_at', 'timestamptz')
    .addColumn('connection_health', 'text', (c) =>
      c.notNull().defaultTo('unknown').check(sql`connection_health in ('unknown', 'healthy', 'unhealthy')`),
    )
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_health_check_at', 'timestamptz')
    .addColumn('last_health_error', 'text')
    .addColumn('last_sync_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disconnected_at', 'timestamptz')
    .addPrimaryKeyConstraint('platform_connections_pkey', ['tenant_id', 'connection_id'])
    .execute();
  await db.schema
    .createIndex('platform_connections_tenant_platform')
    .on('platform_connections')
    .columns(['tenant_id', 'platform', 'status'])
    .execute();
  await db.schema
    .createIndex('platform_connections_token_expiry')
    .on('platform_connections')
    .columns(['tenant_id', 'token_expires_at'])
    .where(sql.ref('status'), '=', 'active')
    .execute();

  await db.schema
    .createTable('platform_sync_status')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('sync_direction', 'text', (c) =>
      c.notNull().check(sql`sync_direction in ('pull', 'push', 'bidirectional')`),
    )
    .addColumn('frequency', 'text', (c) => c.notNull().defaultTo('manual'))
    .addColumn('sync_status', 'text', (c) =>
      c.notNull().defaultTo('idle').check(sql`sync_status in ('idle', 'queued', 'running', 'succeeded', 'failed')`),
    )
    .addColumn('conflict_strategy', 'text', (c) => c.notNull().defaultTo('manual'))
    .addColumn('field_rules', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('cursor', 'jsonb')
    .addColumn('last_sync_attempt', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('records_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('platform_sync_status_pkey', ['tenant_id', 'connection_id', 'entity_type'])
    .$call(belongsToConnection('platform_sync_status'))
    .execute();

  await db.schema
    .createTable('platform_webhooks')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('webhook_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('events', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('endpoint_url', 'text', (c) => c.notNull())
    /** Envelope-encrypted signing secrets (several during rotation). */
    .addColumn('secret_data', 'jsonb')
    .addColumn('platform_webhook_id', 'text')
    .addColumn('registered_at_platform', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('platform_webhooks_pkey', ['tenant_id', 'webhook_id'])
    .$call(belongsToConnection('platform_webhooks'))
    .execute();
  await db.schema
    .createIndex('platform_webhooks_connection')
    .on('platform_webhooks')
    .columns(['tenant_id', 'connection_id'])
    .execute();

  await db.schema
    .createTable('platform_ad_accounts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('ad_account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('currency', 'text')
    .addColumn('timezone', 'text')
    .addColumn('status', 'text')
    .addColumn('raw', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('platform_ad_accounts_pkey', ['tenant_id', 'connection_id', 'ad_account_id'])
    .$call(belongsToConnection('platform_ad_accounts'))
    .execute();

  await db.schema
    .createTable('platform_event_logs')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    /** The platform's own id of the delivery (`evt_…`, `X-Shopify-Webhook-Id`); stored once per connection. */
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('processing_status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`processing_status in ('pending', 'processing', 'processed', 'failed')`),
    )
    .addColumn('error', 'text')
    .addColumn('processed_at', 'timestamptz')
    .addPrimaryKeyConstraint('platform_event_logs_pkey', ['tenant_id', 'event_id'])
    .addUniqueConstraint('platform_event_logs_delivery', ['tenant_id', 'connection_id', 'delivery_id'])
    .$call(belongsToConnection('platform_event_logs'))
    .execute();
  await db.schema
    .createIndex('platform_event_logs_received')
    .on('platform_event_logs')
    .columns(['tenant_id', 'connection_id', 'received_at', 'event_id'])
    .execute();

  await db.schema
    .createTable('platform_rate_limits')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('limit_per_window', 'integer')
    .addColumn('remaining', 'integer')
    .addColumn('reset_at', 'timestamptz')
    .addColumn('paused_until', 'timestamptz')
    .addColumn('observed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('platform_rate_limits_pkey', ['tenant_id', 'connection_id'])
    .$call(belongsToConnection('platform_rate_limits'))
    .execute();

  await db.schema
    .createTable('platform_oauth_states')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.tenant_id').onDelete('cascade'))
    /** SHA-256 of the `state` value: the value itself is never stored. */
    .addColumn('state_hash', 'bytea', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    /** Envelope-encrypted PKCE code verifier. */
    .addColumn('verifier_data', 'jsonb', (c) => c.notNull())
    .addColumn('connection_config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('label', 'text')
    .addColumn('redirect_after', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .addPrimaryKeyConstraint('platform_oauth_states_pkey', ['tenant_id', 'state_hash'])
    .execute();
  await db.schema
    .createIndex('platform_oauth_states_expiry')
    .on('platform_oauth_states')
    .columns(['tenant_id', 'expires_at'])
    .execute();

  await db.schema
    .createTable('platform_data_sources')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    /** An entity of the platform (`orders`), or a sub-account such as an ad account. */
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('entity'))
    .addColumn('name', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('platform_data_sources_pkey', ['tenant_id', 'connection_id', 'data_source_id'])
    .$call(belongsToConnection('platform_data_sources'))
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('audit_id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    /** `api_key:<id>`, `cli`, `system`, `oauth_callback`. */
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addPrimaryKeyConstraint('audit_log_pkey', ['tenant_id', 'audit_id'])
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['tenant_id', 'at', 'audit_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_log',
    'platform_data_sources',
    'platform_oauth_states',
    'platform_rate_limits',
    'platform_event_logs',
    'platform_ad_accounts',
    'platform_webhooks',
    'platform_sync_status',
    'platform_connections',
    'api_keys',
    'tenants',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
