/**
 * Revoking a connection's OAuth tokens at the platform when it is disconnected (RFC 7009), where the platform has a
 * revocation endpoint (the deployment's `oauth.revocationUrl` override, else the platform's `auth.revocationUrl`).
 * The outcome is reported, never thrown: the disconnect erases the stored secrets whatever the platform answers.
 */
import type { ConnectionRow } from '../../db/repositories/connection-repository.js';
import { OAuth2TokenClient, resolveOAuthEndpoint } from '../../runtime/auth/oauth2-token-client.js';
import { redactString } from '../../runtime/secret-redaction.js';
import { oauthEndpointFetch, oauthRegistrationFor } from '../connection-adapters.js';
import type { ServiceContext } from '../service-context.js';

/** Time allowed for each revocation request: a disconnect should not wait long on a platform. */
const REVOCATION_TIMEOUT_MS = 10_000;

export const NO_REVOCATION_ENDPOINT = 'the platform has no revocation endpoint';

/**
 * Revokes the refresh token, then the access token, of a connection.
 *
 * @param credentials the connection's opened credentials (`undefined` when they could not be read)
 * @returns `revoked: true` when every stored token was revoked; otherwise why not, in words without a secret.
 * @example
 * const credentials = await loadCredentials(ctx.db, ctx.settings.keyRing, row.tenantId, row.connectionId);
 * const { revoked, detail } = await revokeConnectionTokens(ctx, row, credentials);
 * await markDisconnected(ctx.db, row.tenantId, row.connectionId); // erased either way
 */
export async function revokeConnectionTokens(
  ctx: ServiceContext,
  row: ConnectionRow,
  credentials: Record<string, unknown> | undefined,
): Promise<{ revoked: boolean; detail?: string }> {
  const platform = row.platform;
  if (!ctx.registry.has(platform)) return { revoked: false, detail: NO_REVOCATION_ENDPOINT };
  const meta = await ctx.registry.meta(platform);
  if (meta.auth.kind !== 'oauth2') return { revoked: false, detail: NO_REVOCATION_ENDPOINT };
  const client = oauthRegistrationFor(ctx, platform);
  let revocationUrl: string | undefined;
  let tokenUrl: string | undefined;
  try {
    revocationUrl = resolveOAuthEndpoint(meta, row.connectionConfig, 'revocationUrl', client);
    if (revocationUrl === undefined) return { revoked: false, detail: NO_REVOCATION_ENDPOINT };
    tokenUrl = resolveOAuthEndpoint(meta, row.connectionConfig, 'tokenUrl', client);
  } catch (error) {
    return { revoked: false, detail: `the revocation endpoint cannot be built: ${messageOf(error, [])}` };
  }
  if (!client) {
    return {
      revoked: false,
      detail: `no OAuth client is configured for ${platform} (ENGARDE_PLATFORM_OVERRIDES ${platform}.oauth.clientId), so its tokens cannot be revoked`,
    };
  }
  const tokens: Array<{ token: string; hint: 'refresh_token' | 'access_token' }> = [];
  for (const hint of ['refresh_token', 'access_token'] as const) {
    const value = credentials?.[hint === 'refresh_token' ? 'refreshToken' : 'accessToken'];
    if (typeof value === 'string' && value !== '') tokens.push({ token: value, hint });
  }
  if (tokens.length === 0) return { revoked: false, detail: 'no tokens are stored for the connection' };
  const secrets = [...tokens.map((t) => t.token), ...(client.clientSecret ? [client.clientSecret] : [])];

  const failures: string[] = [];
  try {
    const tokenClient = new OAuth2TokenClient({
      platformId: platform,
      config: meta.auth,
      client,
      tokenUrl: tokenUrl ?? revocationUrl,
      revocationUrl,
      fetch: oauthEndpointFetch(ctx, meta, 'revocationUrl', client),
      timeoutMs: REVOCATION_TIMEOUT_MS,
      logger: ctx.logger.child({ tenantId: row.tenantId, connectionId: row.connectionId }),
      now: () => ctx.now().getTime(),
      secrets: () => secrets,
    });
    for (const { token, hint } of tokens) {
      try {
        await tokenClient.revoke(token, hint);
      } catch (error) {
        failures.push(`${hint.replace('_', ' ')}: ${messageOf(error, secrets)}`);
      }
    }
  } catch (error) {
    return { revoked: false, detail: messageOf(error, secrets) };
  }
  if (failures.length > 0) return { revoked: false, detail: `revocation failed (${failures.join('; ')})` };
  return { revoked: true };
}

/** An error's message without any of `secrets` (the runtime's errors are already redacted; this is a backstop). */
function messageOf(error: unknown, secrets: readonly string[]): string {
  const message = error instanceof Error ? error.message : 'an unexpected error';
  return redactString(message, secrets).slice(0, 300);
}
