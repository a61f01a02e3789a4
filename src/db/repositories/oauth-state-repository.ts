/**
 * Pending OAuth authorizations (`platform_oauth_states`): one row per initiate call, keyed by tenant and the SHA-256
 * of its `state` (the value itself is never stored), holding the sealed PKCE verifier and what the connection will
 * be made of. A row is consumed once, atomically, and only before it expires.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { openJson, seal } from '../crypto/envelope-cipher.js';
import type { KeyRing } from '../crypto/key-ring.js';
import { oauthVerifierContext } from '../crypto/seal-context.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewOAuthState {
  tenantId: string;
  /** SHA-256 of the state value. */
  stateHash: Buffer;
  platform: string;
  /** The PKCE code verifier (sealed before it is stored); `undefined` for a platform without PKCE. */
  codeVerifier: string | undefined;
  connectionConfig: Record<string, unknown>;
  scopes: readonly string[];
  label: string | null;
  redirectAfter: string | null;
  expiresAt: Date;
}

export interface ConsumedOAuthState {
  tenantId: string;
  platform: string;
  codeVerifier: string | undefined;
  connectionConfig: Record<string, unknown>;
  scopes: string[];
  label: string | null;
  redirectAfter: string | null;
}

/** Why a state could not be consumed. */
export type OAuthStateFailure = 'unknown' | 'used' | 'expired';

/**
 * Stores a pending authorization, and drops the tenant's states that expired more than a day ago.
 * @example
 * await insertOAuthState(db, ring, { tenantId, stateHash, platform: 'zoom', codeVerifier, connectionConfig: {}, scopes: [], label: null, redirectAfter: null, expiresAt });
 */
export async function insertOAuthState(db: Db, ring: KeyRing, input: NewOAuthState): Promise<void> {
  const sealed = seal(ring, oauthVerifierContext(input.tenantId, input.stateHash), {
    codeVerifier: input.codeVerifier ?? null,
  });
  await db
    .insertInto('platform_oauth_states')
    .values({
      tenant_id: input.tenantId,
      state_hash: input.stateHash,
      platform: input.platform,
      verifier_data: JSON.stringify(sealed),
      connection_config: JSON.stringify(input.connectionConfig),
      scopes: [...input.scopes],
      label: input.label,
      redirect_after: input.redirectAfter,
      expires_at: input.expiresAt,
    })
    .execute();
  await db
    .deleteFrom('platform_oauth_states')
    .where('tenant_id', '=', input.tenantId)
    .where('expires_at', '<', new Date(input.expiresAt.getTime() - 24 * 3_600_000))
    .execute();
}

/**
 * Consumes a state: one statement marks it used if it is unused and unexpired at `now`, and returns it; so of any
 * number of concurrent callbacks with the same state, exactly one gets it.
 *
 * @returns `undefined` when the state is unknown, used or expired (see {@link oauthStateFailure}).
 * @throws SealedValueError when the verifier cannot be opened (a key removed from the ring).
 * @example
 * const pending = await consumeOAuthState(db, ring, tenantId, stateHash, new Date());
 */
export async function consumeOAuthState(
  db: Db,
  ring: KeyRing,
  tenantId: string,
  stateHash: Buffer,
  now: Date,
): Promise<ConsumedOAuthState | undefined> {
  const row = await db
    .updateTable('platform_oauth_states')
    .set({ consumed_at: now })
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['platform', 'verifier_data', 'connection_config', 'scopes', 'label', 'redirect_after'])
    .executeTakeFirst();
  if (!row) return undefined;
  const verifier = openJson<{ codeVerifier: string | null }>(
    ring,
    oauthVerifierContext(tenantId, stateHash),
    row.verifier_data,
  );
  return {
    tenantId,
    platform: row.platform,
    codeVerifier: verifier.codeVerifier ?? undefined,
    connectionConfig: row.connection_config,
    scopes: row.scopes,
    label: row.label,
    redirectAfter: row.redirect_after,
  };
}

/** Why {@link consumeOAuthState} found nothing: no such state, already used, or expired at `now`. */
export async function oauthStateFailure(
  db: Db,
  tenantId: string,
  stateHash: Buffer,
  now: Date,
): Promise<OAuthStateFailure> {
  const row = await db
    .selectFrom('platform_oauth_states')
    .select(['consumed_at', sql<boolean>`expires_at <= ${now}`.as('expired')])
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .executeTakeFirst();
  if (!row) return 'unknown';
  if (row.consumed_at !== null) return 'used';
  return row.expired ? 'expired' : 'unknown';
}
