/**
 * OAuth token renewal across processes: the service's `TokenRefreshCoordinator`.
 *
 * Any number of API and worker processes may hold the same expired access token. Each renewal runs in a transaction
 * that first takes a per-connection advisory lock (`pg_advisory_xact_lock`), so renewals of one connection run one at
 * a time across every process on the database, then reads the stored tokens again:
 *
 * - another process renewed meanwhile (a different access token, not expired): those tokens are used, no request;
 * - otherwise the token endpoint is called with the stored refresh token, and the new tokens (a rotated refresh
 *   token included) are sealed and stored in the same transaction, which commits before any request uses them;
 * - the endpoint refusing (`AuthenticationError`, e.g. `invalid_grant`) marks the connection `needs_reauth` and is
 *   audited (`credentials.refresh_refused`) in the transaction; later renewals of that connection fail at once
 *   without a request, until it is connected again.
 *
 * Within one process, concurrent renewals of a connection share one transaction (and one pooled connection) instead
 * of each waiting for the lock.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { audit } from '../../db/repositories/audit-repository.js';
import {
  type ConnectionRow,
  loadCredentials,
  saveCredentials,
  setConnectionStatus,
} from '../../db/repositories/connection-repository.js';
import type { TokenSet } from '../../runtime/adapter-types.js';
import {
  type TokenRefreshCoordinator,
  type TokenRefreshRequest,
  tokenSetOf,
} from '../../runtime/auth/token-refresh-coordinator.js';
import { AdapterError, AuthenticationError } from '../../runtime/errors.js';
import type { ServiceContext } from '../service-context.js';

/** First key of every renewal lock (`pg_advisory_xact_lock(int, int)`): "EGRT". */
export const REFRESH_LOCK_NAMESPACE = 0x45475254;

/** How long a renewal waits for another process's renewal of the same connection. */
const LOCK_TIMEOUT = '60s';

type ConnectionRef = Pick<ConnectionRow, 'tenantId' | 'connectionId' | 'platform'>;

type Outcome = { tokens: TokenSet } | { refused: AuthenticationError };

/** Renewals in flight in this process, per service context and connection. */
const inFlight = new WeakMap<ServiceContext, Map<string, Promise<TokenSet>>>();

/**
 * The coordinator for one stored connection (pass it as the adapter option `tokenRefresh`).
 *
 * @example
 * const adapter = ctx.registry.create(row.platform, { ...options, tokenRefresh: connectionTokenRefresh(ctx, row) });
 */
export function connectionTokenRefresh(ctx: ServiceContext, connection: ConnectionRef): TokenRefreshCoordinator {
  const ref: ConnectionRef = {
    tenantId: connection.tenantId,
    connectionId: connection.connectionId,
    platform: connection.platform,
  };
  return {
    coordinate(request) {
      let running = inFlight.get(ctx);
      if (!running) {
        running = new Map();
        inFlight.set(ctx, running);
      }
      const key = `${ref.tenantId}/${ref.connectionId}`;
      const joined = running.get(key);
      if (joined) return joined;
      const map = running;
      const renewal = renewUnderLock(ctx, ref, request).finally(() => map.delete(key));
      map.set(key, renewal);
      return renewal;
    },
  };
}

/**
 * The second key of a connection's renewal lock: 32 bits of SHA-256 over tenant and connection (a collision only
 * makes two connections' renewals wait for each other).
 */
export function refreshLockKey(tenantId: string, connectionId: string): number {
  return createHash('sha256').update(`${tenantId.toLowerCase()}/${connectionId.toLowerCase()}`).digest().readInt32BE(0);
}

async function renewUnderLock(ctx: ServiceContext, ref: ConnectionRef, request: TokenRefreshRequest) {
  const { tenantId, connectionId, platform } = ref;
  const ring = ctx.settings.keyRing;
  let outcome: Outcome;
  try {
    outcome = await ctx.db.transaction().execute(async (trx): Promise<Outcome> => {
      await sql`select set_config('lock_timeout', ${LOCK_TIMEOUT}, true)`.execute(trx);
      await sql`select pg_advisory_xact_lock(${REFRESH_LOCK_NAMESPACE}::int4, ${refreshLockKey(tenantId, connectionId)}::int4)`.execute(
        trx,
      );
      const current = await trx
        .selectFrom('platform_connections')
        .select('status')
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connectionId)
        .executeTakeFirst();
      if (current?.status !== 'active') {
        return { refused: notRenewable(platform, current?.status ?? 'disconnected') };
      }
      const stored = await loadCredentials(trx, ring, tenantId, connectionId);
      if (!stored) return { refused: notRenewable(platform, 'disconnected') };
      if (request.usable(stored)) return { tokens: tokenSetOf(stored) };

      let tokens: TokenSet;
      try {
        const refreshToken = typeof stored.refreshToken === 'string' ? stored.refreshToken : undefined;
        tokens = await request.renew(refreshToken);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        await setConnectionStatus(trx, tenantId, connectionId, 'needs_reauth');
        await audit(trx, {
          tenantId,
          actor: 'system',
          action: 'credentials.refresh_refused',
          targetType: 'connection',
          targetId: connectionId,
          details: { platform, status: error.status, error: oauthErrorCode(error.body) ?? null },
        });
        return { refused: error };
      }

      const next: Record<string, unknown> = { ...stored, ...tokens.extra, accessToken: tokens.accessToken };
      if (tokens.refreshToken !== undefined) next.refreshToken = tokens.refreshToken;
      if (tokens.expiresAt !== undefined) next.expiresAt = tokens.expiresAt;
      else delete next.expiresAt;
      await saveCredentials(trx, ring, tenantId, connectionId, next);
      await audit(trx, {
        tenantId,
        actor: 'system',
        action: 'credentials.refreshed',
        targetType: 'connection',
        targetId: connectionId,
        details: {
          platform,
          refresh_token_rotated: tokens.refreshToken !== undefined && tokens.refreshToken !== stored.refreshToken,
          expires_at: tokens.expiresAt === undefined ? null : new Date(tokens.expiresAt).toISOString(),
        },
      });
      return { tokens };
    });
  } catch (error) {
    if (error instanceof AdapterError) throw error;
    // A database failure: the renewed tokens (if any) were not stored, so they are not used either.
    const code = (error as { code?: unknown } | null)?.code;
    throw new AdapterError(
      `${platform}: renewing the access token failed: the database could not lock or store the tokens${typeof code === 'string' ? ` (${code})` : ''}`,
      { platformId: platform, cause: error },
    );
  }
  if ('refused' in outcome) throw outcome.refused;
  return outcome.tokens;
}

/** Why a connection's tokens are not renewed any more, as the error a refused refresh gives. */
function notRenewable(platform: string, status: string): AuthenticationError {
  const why =
    status === 'needs_reauth'
      ? 'its refresh token was refused earlier; the connection must be authorized again'
      : 'the connection was disconnected';
  return new AuthenticationError({
    platformId: platform,
    status: 401,
    message: `${platform}: the access token was not renewed: ${why}`,
  });
}

/** The OAuth `error` code of a token endpoint's answer, when it is a plain token (never free text). */
export function oauthErrorCode(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const error = (body as Record<string, unknown>).error;
  return typeof error === 'string' && /^[\w.-]{1,64}$/.test(error) ? error : undefined;
}
