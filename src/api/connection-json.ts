/** How the API shows a connection, on every route that answers one. */
import type { ConnectionRow } from '../db/repositories/connection-repository.js';

/** A connection as the API shows it: never a credential. */
export function connectionJson(row: ConnectionRow) {
  return {
    connection_id: row.connectionId,
    platform: row.platform,
    label: row.label,
    status: row.status,
    health: row.health,
    last_sync_at: row.lastSyncAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    scopes: row.scopes,
  };
}
