/**
 * Every column that holds sealed values, with its table's primary key and the context its values are sealed
 * for. Key rotation walks this list; a new encrypted column is added here (and its context helper in
 * `seal-context.ts`), or rotation leaves it under the old key.
 */
import {
  alertDestinationSecretContext,
  connectionAuthContext,
  oauthVerifierContext,
  type SealContext,
  syncCheckpointContext,
  webhookSecretContext,
} from './seal-context.js';

export type SealedTable =
  | 'platform_connections'
  | 'platform_webhooks'
  | 'platform_oauth_states'
  | 'sync_runs'
  | 'alert_destinations';

export interface SealedColumn {
  table: SealedTable;
  column: string;
  /** The primary key's columns, in index order (`tenant_id` first). */
  primaryKey: readonly string[];
  /** The context a row's value is sealed for, from its primary-key columns as `pg` returns them. */
  context(key: Readonly<Record<string, unknown>>): SealContext;
}

/**
 * @example
 * for (const { table, column } of SEALED_COLUMNS) console.log(`${table}.${column}`);
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: 'platform_connections',
    column: 'auth_data',
    primaryKey: ['tenant_id', 'connection_id'],
    context: (key) => connectionAuthContext(text(key.tenant_id), text(key.connection_id)),
  },
  {
    table: 'platform_webhooks',
    column: 'secret_data',
    primaryKey: ['tenant_id', 'webhook_id'],
    context: (key) => webhookSecretContext(text(key.tenant_id), text(key.webhook_id)),
  },
  {
    table: 'platform_oauth_states',
    column: 'verifier_data',
    primaryKey: ['tenant_id', 'state_hash'],
    context: (key) => oauthVerifierContext(text(key.tenant_id), bytes(key.state_hash)),
  },
  {
    table: 'sync_runs',
    column: 'checkpoint_data',
    primaryKey: ['tenant_id', 'run_id'],
    context: (key) => syncCheckpointContext(text(key.tenant_id), text(key.run_id)),
  },
  {
    table: 'alert_destinations',
    column: 'secret_data',
    primaryKey: ['tenant_id'],
    context: (key) => alertDestinationSecretContext(text(key.tenant_id)),
  },
];

function text(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`sealed column key: expected text, got ${typeof value}`);
  return value;
}

function bytes(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`sealed column key: expected bytea, got ${typeof value}`);
  return value;
}
