/**
 * Where a sealed value lives: its table, field, tenant and row. The envelope cipher authenticates this context as
 * AES-GCM associated data, so a ciphertext copied to another tenant, row, field or table does not open.
 *
 * The encoding is a JSON array of strings, which is injective (no two contexts encode alike, whatever characters
 * the ids hold), with a label per layer so that the data-key wrapping and the value can never stand in for each
 * other:
 *
 * ```
 * value:    ["engarde-sealed-value",1,"value",<table>,<field>,<tenantId>,<rowId>]
 * data key: ["engarde-sealed-value",1,"data-key",<kid>,<table>,<field>,<tenantId>,<rowId>]
 * ```
 */

export interface SealContext {
  /** The table that holds the value (`platform_connections`). */
  table: string;
  /** Its column (`auth_data`). */
  field: string;
  /** The owning tenant. */
  tenantId: string;
  /** The row within the tenant: the connection id, the webhook id, the OAuth state hash (hex). */
  rowId: string;
}

const FORMAT_LABEL = 'engarde-sealed-value';
const FORMAT_VERSION = 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PART = 512;

/**
 * A checked copy of a context: every part a non-empty string of at most 512 characters; UUIDs lower-cased, as
 * Postgres returns them, so that a value sealed with `randomUUID().toUpperCase()` still opens from the row.
 *
 * @throws TypeError naming the bad part (a programming error, not bad data).
 * @example
 * sealContext({ table: 'platform_connections', field: 'auth_data', tenantId, rowId: connectionId });
 */
export function sealContext(context: SealContext): SealContext {
  const part = (name: keyof SealContext): string => {
    const value: unknown = (context as unknown as Record<string, unknown> | null)?.[name];
    if (typeof value !== 'string' || value === '' || value.length > MAX_PART) {
      throw new TypeError(`seal context: ${name} must be a non-empty string of at most ${MAX_PART} characters`);
    }
    return UUID.test(value) ? value.toLowerCase() : value;
  };
  return { table: part('table'), field: part('field'), tenantId: part('tenantId'), rowId: part('rowId') };
}

/**
 * The credentials of a connection: `platform_connections.auth_data`.
 *
 * @example
 * const sealed = seal(ring, connectionAuthContext(tenantId, connectionId), { accessToken, refreshToken });
 */
export function connectionAuthContext(tenantId: string, connectionId: string): SealContext {
  return sealContext({ table: 'platform_connections', field: 'auth_data', tenantId, rowId: connectionId });
}

/**
 * The signing secrets of a webhook registration: `platform_webhooks.secret_data` (bound to the webhook's own id,
 * as a connection may have several).
 *
 * @example
 * const sealed = seal(ring, webhookSecretContext(tenantId, webhookId), { secrets: [secret] });
 */
export function webhookSecretContext(tenantId: string, webhookId: string): SealContext {
  return sealContext({ table: 'platform_webhooks', field: 'secret_data', tenantId, rowId: webhookId });
}

/**
 * A sync run's resume point: `sync_runs.checkpoint_data` (the next page's request, which may hold whatever a
 * platform put in its next link).
 *
 * @example
 * const sealed = seal(ring, syncCheckpointContext(tenantId, runId), { next });
 */
export function syncCheckpointContext(tenantId: string, runId: string): SealContext {
  return sealContext({ table: 'sync_runs', field: 'checkpoint_data', tenantId, rowId: runId });
}

/**
 * The PKCE code verifier of a pending OAuth flow: `platform_oauth_states.verifier_data`, bound to the state's
 * hash (the row's key with the tenant).
 *
 * @example
 * const stateHash = createHash('sha256').update(state).digest();
 * const sealed = seal(ring, oauthVerifierContext(tenantId, stateHash), codeVerifier);
 */
export function oauthVerifierContext(tenantId: string, stateHash: Uint8Array | string): SealContext {
  const rowId = typeof stateHash === 'string' ? stateHash.toLowerCase() : Buffer.from(stateHash).toString('hex');
  return sealContext({ table: 'platform_oauth_states', field: 'verifier_data', tenantId, rowId });
}

/**
 * The Standard Webhooks signing secret of a tenant's alert destination: `alert_destinations.secret_data` (one row
 * per tenant, so the row is the tenant).
 *
 * @example
 * const sealed = seal(ring, alertDestinationSecretContext(tenantId), secret);
 */
export function alertDestinationSecretContext(tenantId: string): SealContext {
  return sealContext({ table: 'alert_destinations', field: 'secret_data', tenantId, rowId: tenantId });
}

/** Associated data of the value's own encryption. */
export function valueAssociatedData(context: SealContext): Buffer {
  const c = sealContext(context);
  return Buffer.from(JSON.stringify([FORMAT_LABEL, FORMAT_VERSION, 'value', c.table, c.field, c.tenantId, c.rowId]));
}

/** Associated data of the data key's wrapping under master key `kid`. */
export function dataKeyAssociatedData(context: SealContext, kid: string): Buffer {
  const c = sealContext(context);
  return Buffer.from(
    JSON.stringify([FORMAT_LABEL, FORMAT_VERSION, 'data-key', kid, c.table, c.field, c.tenantId, c.rowId]),
  );
}

/** `platform_connections.auth_data of tenant … row …`: how errors name a value (ids only, never content). */
export function describeContext(context: SealContext): string {
  return `${context.table}.${context.field} of tenant ${context.tenantId} row ${context.rowId}`;
}
