/**
 * The audit trail: one row per tenant, key, connection, credential and OAuth action — who, what, when, on what.
 * `details` holds ids and names only, never a secret.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

export interface AuditEntry {
  tenantId: string;
  /** `api_key:<id>`, `cli`, `system`, `oauth_callback`. */
  actor: string;
  /** `connection.created`, `connection.disconnected`, `oauth.initiated`, `credentials.refreshed`, … */
  action: string;
  targetType: string;
  targetId?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

/**
 * @example
 * await audit(db, { tenantId, actor: 'api_key:…', action: 'connection.created', targetType: 'connection', targetId });
 */
export async function audit(db: Kysely<Database> | Transaction<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      tenant_id: entry.tenantId,
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
