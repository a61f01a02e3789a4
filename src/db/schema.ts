/**
 * The typed shape of the service's tables, as the migrations in `migrations/` create them (kysely's `Database`
 * interface). `Generated` columns have database defaults; `Timestamp` reads as a `Date`.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
/** A JSON column with a database default: optional on insert. */
type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;

/** An envelope-encrypted value, as `src/db/crypto` writes it (never plaintext). */
export interface SealedValue {
  /** Format version. */
  v: 1;
  /** Id of the master key that wrapped the data key (`v2`). */
  kid: string;
  /** The data key, wrapped (AES-256-GCM under the master key): base64. */
  key: string;
  /** IV and tag of the data-key wrapping, and of the value: base64. */
  kiv: string;
  ktag: string;
  iv: string;
  tag: string;
  /** The value's ciphertext: base64. */
  ct: string;
}

export type ConnectionStatus = 'active' | 'needs_reauth' | 'disconnected';
export type ConnectionHealth = 'unknown' | 'healthy' | 'unhealthy';

export interface TenantsTable {
  tenant_id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface ApiKeysTable {
  tenant_id: string;
  api_key_id: string;
  secret_hash: Buffer;
  label: string | null;
  created_at: Generated<Date>;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface PlatformConnectionsTable {
  tenant_id: string;
  connection_id: string;
  platform: string;
  label: string | null;
  status: Generated<ConnectionStatus>;
  auth_data: Json<SealedValue> | null;
  platform_config: JsonWithDefault<Record<string, unknown>>;
  account_info: JsonWithDefault<Record<string, unknown>>;
  scopes: Generated<string[]>;
  token_expires_at: Timestamp | null;
  connection_health: Generated<ConnectionHealth>;
  consecutive_failures: Generated<number>;
  last_health_check_at: Timestamp | null;
  last_health_error: string | null;
  last_sync_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  disconnected_at: Timestamp | null;
}

export interface PlatformSyncStatusTable {
  tenant_id: string;
  connection_id: string;
  entity_type: string;
  sync_direction: 'pull' | 'push' | 'bidirectional';
  frequency: Generated<string>;
  sync_status: Generated<'idle' | 'queued' | 'running' | 'succeeded' | 'failed'>;
  conflict_strategy: Generated<string>;
  field_rules: JsonWithDefault<Record<string, Record<string, 'platform' | 'local'>>>;
  cursor: Json | null;
  last_sync_attempt: Timestamp | null;
  last_success_at: Timestamp | null;
  records_total: ColumnType<string, number | bigint | string | undefined, number | bigint | string>;
  error: string | null;
  updated_at: Generated<Date>;
  /** When the scheduler next queues a run (null: manual, or not scheduled). */
  next_run_at: Timestamp | null;
  /** The run in progress or last started. */
  current_run_id: string | null;
}

export interface PlatformWebhooksTable {
  tenant_id: string;
  webhook_id: string;
  connection_id: string;
  platform: string;
  events: Generated<string[]>;
  endpoint_url: string;
  secret_data: Json<SealedValue> | null;
  /** Subscribed through the platform's API (not set up by hand with a dashboard secret): the reconcile checks it. */
  through_api: Generated<boolean>;
  /** The platform's ids of the subscriptions made through its API (one per event where it takes one each). */
  platform_webhook_ids: Generated<string[]>;
  registered_at_platform: Generated<boolean>;
  /** Deliveries accepted only from the vendor's published sender addresses (`webhooks.sourceIps`). */
  ip_allowlist: Generated<boolean>;
  /** When the daily reconcile last found the subscriptions at the platform. */
  reconciled_at: Date | null;
  /** Why the last registration through the platform's API failed (the reconcile job tries again). */
  registration_error: string | null;
  /** When the subscriptions were removed at the platform (disconnect). */
  unregistered_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PlatformAdAccountsTable {
  tenant_id: string;
  connection_id: string;
  ad_account_id: string;
  name: string | null;
  currency: string | null;
  timezone: string | null;
  status: string | null;
  raw: JsonWithDefault<Record<string, unknown>>;
  updated_at: Generated<Date>;
}

export interface PlatformEventLogsTable {
  tenant_id: string;
  event_id: string;
  connection_id: string;
  platform: string;
  delivery_id: string;
  event_type: string;
  payload: Json;
  received_at: Generated<Date>;
  processing_status: Generated<'pending' | 'processing' | 'processed' | 'failed'>;
  error: string | null;
  processed_at: Timestamp | null;
  /** The registration the delivery came through. */
  webhook_id: string | null;
  attempts: Generated<number>;
}

export interface PlatformRateLimitsTable {
  tenant_id: string;
  connection_id: string;
  platform: string;
  limit_per_window: number | null;
  remaining: number | null;
  reset_at: Timestamp | null;
  paused_until: Timestamp | null;
  observed_at: Generated<Date>;
}

export interface PlatformOAuthStatesTable {
  tenant_id: string;
  state_hash: Buffer;
  platform: string;
  verifier_data: Json<SealedValue>;
  connection_config: JsonWithDefault<Record<string, unknown>>;
  scopes: Generated<string[]>;
  label: string | null;
  redirect_after: string | null;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
}

export interface PlatformDataSourcesTable {
  tenant_id: string;
  connection_id: string;
  data_source_id: string;
  kind: Generated<string>;
  name: string | null;
  enabled: Generated<boolean>;
  config: JsonWithDefault<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface AuditLogTable {
  tenant_id: string;
  audit_id: Generated<string>;
  at: Generated<Date>;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: JsonWithDefault<Record<string, unknown>>;
}

export interface WorkerHeartbeatsTable {
  worker_id: string;
  process: string;
  beat_at: Generated<Date>;
}

export interface SyncRecordsTable {
  tenant_id: string;
  connection_id: string;
  entity_type: string;
  external_id: string;
  data: Json<Record<string, unknown>>;
  normalized: Json<Record<string, unknown>> | null;
  content_hash: Buffer | null;
  base_data: Json<Record<string, unknown>> | null;
  remote_updated_at: Timestamp | null;
  local_updated_at: Timestamp | null;
  deleted: Generated<boolean>;
  deleted_at: Timestamp | null;
  push_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type OutboxOperation = 'create' | 'update' | 'delete';
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'conflict' | 'discarded';

export interface SyncOutboxTable {
  tenant_id: string;
  outbox_id: Generated<string>;
  connection_id: string;
  entity_type: string;
  external_id: string;
  operation: OutboxOperation;
  changes: JsonWithDefault<Record<string, unknown>>;
  base_data: Json<Record<string, unknown>> | null;
  idempotency_key: string;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  error: string | null;
  created_at: Generated<Date>;
  finished_at: Timestamp | null;
}

export interface ConflictField {
  base: unknown;
  local: unknown;
  remote: unknown;
}

export interface SyncConflictsTable {
  tenant_id: string;
  conflict_id: string;
  connection_id: string;
  entity_type: string;
  external_id: string;
  status: Generated<'open' | 'resolved'>;
  fields: Json<Record<string, ConflictField>>;
  base_data: Json<Record<string, unknown>> | null;
  local_data: Json<Record<string, unknown>> | null;
  remote_data: Json<Record<string, unknown>> | null;
  outbox_id: string | null;
  resolution: string | null;
  created_at: Generated<Date>;
  resolved_at: Timestamp | null;
}

type Counter = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;

export interface SyncRunsTable {
  tenant_id: string;
  run_id: string;
  connection_id: string;
  entity_type: string;
  /** `push`: a run that only sent local changes. */
  mode: 'incremental' | 'full' | 'push';
  status: Generated<'running' | 'succeeded' | 'failed'>;
  started_at: Generated<Date>;
  finished_at: Timestamp | null;
  checkpoint_data: Json<SealedValue> | null;
  since_cursor: string | null;
  high_water: string | null;
  records_pulled: Counter;
  records_changed: Counter;
  records_deleted: Counter;
  records_pushed: Counter;
  pages: Generated<number>;
  metrics: JsonWithDefault<Record<string, unknown>>;
  resumes: Generated<number>;
  error: string | null;
  /** Records the run stored that could not be normalized into their standard entity (the data-quality alert). */
  records_unnormalized: Counter;
}

export interface SyncRunSeenTable {
  tenant_id: string;
  run_id: string;
  external_id: string;
}

export interface ConnectionStatsTable {
  tenant_id: string;
  connection_id: string;
  bucket_start: Timestamp;
  api_calls: Generated<number>;
  errors: Generated<number>;
  retries: Generated<number>;
  rate_limited: Generated<number>;
  p95_latency_ms: number | null;
  records_pulled: Counter;
  records_pushed: Counter;
  sync_runs: Generated<number>;
  sync_failures: Generated<number>;
  health_checks: Generated<number>;
  health_failures: Generated<number>;
  updated_at: Generated<Date>;
}

export interface ConnectionHealthChecksTable {
  tenant_id: string;
  connection_id: string;
  checked_at: Timestamp;
  healthy: boolean;
  latency_ms: number;
  error: string | null;
}

export type AlertStatus = 'open' | 'resolved';
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertEventType = 'alert.opened' | 'alert.resolved';

export interface AlertsTable {
  tenant_id: string;
  alert_id: string;
  /** Null for a tenant-wide alert. */
  connection_id: string | null;
  platform: string | null;
  rule: string;
  status: Generated<AlertStatus>;
  severity: AlertSeverity;
  message: string;
  details: JsonWithDefault<Record<string, unknown>>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  resolved_at: Timestamp | null;
  acknowledged_at: Timestamp | null;
  acknowledged_by: string | null;
  occurrences: Generated<number>;
}

export interface AlertDestinationsTable {
  tenant_id: string;
  url: string;
  /** The sealed `whsec_…` signing secret. */
  secret_data: Json<SealedValue>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AlertDeliveriesTable {
  tenant_id: string;
  delivery_id: string;
  alert_id: string;
  event_type: AlertEventType;
  payload: Json<Record<string, unknown>>;
  status: Generated<'pending' | 'delivered' | 'failed' | 'skipped'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  delivered_at: Timestamp | null;
}

export interface WebhookRejectionsTable {
  tenant_id: string;
  rejection_id: Generated<string>;
  connection_id: string | null;
  platform: string;
  reason: string;
  received_at: Generated<Date>;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  platform_connections: PlatformConnectionsTable;
  platform_sync_status: PlatformSyncStatusTable;
  platform_webhooks: PlatformWebhooksTable;
  platform_ad_accounts: PlatformAdAccountsTable;
  platform_event_logs: PlatformEventLogsTable;
  platform_rate_limits: PlatformRateLimitsTable;
  platform_oauth_states: PlatformOAuthStatesTable;
  platform_data_sources: PlatformDataSourcesTable;
  audit_log: AuditLogTable;
  worker_heartbeats: WorkerHeartbeatsTable;
  sync_records: SyncRecordsTable;
  sync_outbox: SyncOutboxTable;
  sync_conflicts: SyncConflictsTable;
  sync_runs: SyncRunsTable;
  sync_run_seen: SyncRunSeenTable;
  connection_stats: ConnectionStatsTable;
  connection_health_checks: ConnectionHealthChecksTable;
  alerts: AlertsTable;
  alert_destinations: AlertDestinationsTable;
  alert_deliveries: AlertDeliveriesTable;
  webhook_rejections: WebhookRejectionsTable;
}
