/**
 * A tenant's platform connections. Credentials are sealed (envelope-encrypted, bound to the tenant, the connection
 * and the column) before they reach the database and opened only to build an adapter; nothing here returns them.
 * Every query is scoped by `tenant_id`: another tenant's connection is simply not found.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { openJson, seal } from '../crypto/envelope-cipher.js';
import type { KeyRing } from '../crypto/key-ring.js';
import { connectionAuthContext } from '../crypto/seal-context.js';
import type { Database } from '../schema.js';

export interface ConnectionRow {
  tenantId: string;
  connectionId: string;
  platform: string;
  label: string | null;
  status: 'active' | 'needs_reauth' | 'disconnected';
  connectionConfig: Record<string, unknown>;
  accountInfo: Record<string, unknown>;
  scopes: string[];
  tokenExpiresAt: Date | null;
  health: 'unknown' | 'healthy' | 'unhealthy';
  consecutiveFailures: number;
  lastHealthCheckAt: Date | null;
  lastHealthError: string | null;
  lastSyncAt: Date | null;
  createdAt: Date;
  /**
   * The sealed credentials as read with the row (still encrypted; `openCredentials` opens them), so building an
   * adapter costs no second query. Never part of what the API shows.
   */
  sealedAuth?: unknown;
}

export interface NewConnection {
  tenantId: string;
  platform: string;
  label?: string | null | undefined;
  credentials: Record<string, unknown>;
  connectionConfig: Record<string, unknown>;
  accountInfo?: Record<string, unknown> | undefined;
  scopes?: readonly string[] | undefined;
}

type Db = Kysely<Database> | Transaction<Database>;

const COLUMNS = [
  'tenant_id',
  'connection_id',
  'platform',
  'label',
  'status',
  'platform_config',
  'account_info',
  'scopes',
  'token_expires_at',
  'connection_health',
  'consecutive_failures',
  'last_health_check_at',
  'last_health_error',
  'last_sync_at',
  'created_at',
] as const;

type Selected = {
  tenant_id: string;
  connection_id: string;
  platform: string;
  label: string | null;
  status: ConnectionRow['status'];
  platform_config: Record<string, unknown>;
  account_info: Record<string, unknown>;
  scopes: string[];
  token_expires_at: Date | null;
  connection_health: ConnectionRow['health'];
  consecutive_failures: number;
  last_health_check_at: Date | null;
  last_health_error: string | null;
  last_sync_at: Date | null;
  created_at: Date;
  auth_data?: unknown;
};

function toRow(r: Selected): ConnectionRow {
  return {
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    platform: r.platform,
    label: r.label,
    status: r.status,
    connectionConfig: r.platform_config,
    accountInfo: r.account_info,
    scopes: r.scopes,
    tokenExpiresAt: r.token_expires_at,
    health: r.connection_health,
    consecutiveFailures: r.consecutive_failures,
    lastHealthCheckAt: r.last_health_check_at,
    lastHealthError: r.last_health_error,
    lastSyncAt: r.last_sync_at,
    createdAt: r.created_at,
    ...(r.auth_data === undefined ? {} : { sealedAuth: r.auth_data }),
  };
}

/** OAuth token expiry (epoch ms in `expiresAt`) as a date, for the refresh sweep's index. */
function expiryOf(credentials: Record<string, unknown>): Date | null {
  const at = credentials.expiresAt;
  return typeof at === 'number' && Number.isFinite(at) ? new Date(at) : null;
}

/**
 * Stores a new connection with its credentials sealed.
 * @example
 * const row = await insertConnection(db, ring, { tenantId, platform: 'stripe', credentials: { apiKey }, connectionConfig: {} });
 */
export async function insertConnection(db: Db, ring: KeyRing, input: NewConnection): Promise<ConnectionRow> {
  const connectionId = randomUUID();
  const sealed = seal(ring, connectionAuthContext(input.tenantId, connectionId), input.credentials);
  const row = await db
    .insertInto('platform_connections')
    .values({
      tenant_id: input.tenantId,
      connection_id: connectionId,
      platform: input.platform,
      label: input.label ?? null,
      auth_data: JSON.stringify(sealed),
      platform_config: JSON.stringify(input.connectionConfig),
      account_info: JSON.stringify(input.accountInfo ?? {}),
      scopes: [...(input.scopes ?? [])],
      token_expires_at: expiryOf(input.credentials),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toRow(row as Selected);
}

/** A tenant's connections that are not disconnected, oldest first, after `afterId` (keyset pagination). */
export async function listConnections(
  db: Db,
  tenantId: string,
  options: {
    limit: number;
    after?: { createdAt: Date; connectionId: string } | undefined;
    platform?: string;
    withCredentials?: boolean;
  },
): Promise<ConnectionRow[]> {
  let query = db
    .selectFrom('platform_connections')
    .select(options.withCredentials ? [...COLUMNS, 'auth_data'] : COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('status', '!=', 'disconnected');
  if (options.platform !== undefined) query = query.where('platform', '=', options.platform);
  if (options.after) {
    const { createdAt, connectionId } = options.after;
    query = query.where(sql<boolean>`(created_at, connection_id) > (${createdAt}, ${connectionId}::uuid)`);
  }
  const rows = await query.orderBy('created_at').orderBy('connection_id').limit(options.limit).execute();
  return rows.map((r) => toRow(r as Selected));
}

/**
 * One connection of the tenant (any status), or `undefined`. `withCredentials` also reads the sealed credentials
 * (`sealedAuth`), for a caller about to build the connection's adapter.
 */
export async function getConnection(
  db: Db,
  tenantId: string,
  connectionId: string,
  options: { withCredentials?: boolean } = {},
): Promise<ConnectionRow | undefined> {
  const row = await db
    .selectFrom('platform_connections')
    .select(options.withCredentials ? [...COLUMNS, 'auth_data'] : COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  return row ? toRow(row as Selected) : undefined;
}

/**
 * The connection's credentials, opened. `undefined` after a disconnect erased them.
 * @throws SealedValueError when they cannot be opened (a key missing from the ring, a tampered row).
 */
export async function loadCredentials(
  db: Db,
  ring: KeyRing,
  tenantId: string,
  connectionId: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('platform_connections')
    .select('auth_data')
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  if (!row?.auth_data) return undefined;
  return openJson<Record<string, unknown>>(ring, connectionAuthContext(tenantId, connectionId), row.auth_data);
}

/**
 * Opens credentials read with a row (`sealedAuth`); `undefined` when erased.
 * @throws SealedValueError when they cannot be opened.
 */
export function openCredentials(ring: KeyRing, row: ConnectionRow): Record<string, unknown> | undefined {
  if (row.sealedAuth === undefined || row.sealedAuth === null) return undefined;
  return openJson<Record<string, unknown>>(ring, connectionAuthContext(row.tenantId, row.connectionId), row.sealedAuth);
}

/** Replaces the connection's credentials (a token refresh), sealed under the active key. */
export async function saveCredentials(
  db: Db,
  ring: KeyRing,
  tenantId: string,
  connectionId: string,
  credentials: Record<string, unknown>,
): Promise<void> {
  const sealed = seal(ring, connectionAuthContext(tenantId, connectionId), credentials);
  await db
    .updateTable('platform_connections')
    .set({
      auth_data: JSON.stringify(sealed),
      token_expires_at: expiryOf(credentials),
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .execute();
}

/** Marks a connection disconnected and erases its credentials. */
export async function markDisconnected(db: Db, tenantId: string, connectionId: string): Promise<void> {
  await db
    .updateTable('platform_connections')
    .set({
      status: 'disconnected',
      auth_data: null,
      token_expires_at: null,
      disconnected_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .execute();
}

/** Sets the status (`needs_reauth` after a refused refresh). */
export async function setConnectionStatus(
  db: Db,
  tenantId: string,
  connectionId: string,
  status: ConnectionRow['status'],
): Promise<void> {
  await db
    .updateTable('platform_connections')
    .set({ status, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .execute();
}

/** Records a health check's outcome (consecutive failures counted). */
export async function recordHealth(
  db: Db,
  tenantId: string,
  connectionId: string,
  outcome: { healthy: boolean; error?: string | undefined; at: Date },
): Promise<void> {
  await db
    .updateTable('platform_connections')
    .set((eb) => ({
      connection_health: outcome.healthy ? 'healthy' : 'unhealthy',
      consecutive_failures: outcome.healthy ? 0 : eb('consecutive_failures', '+', 1),
      last_health_check_at: outcome.at,
      last_health_error: outcome.healthy ? null : (outcome.error ?? null),
    }))
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .execute();
}
