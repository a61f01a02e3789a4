/**
 * An adapter for a stored connection: its credentials opened from the vault, the deployment's platform overrides
 * (base URL, OAuth client) applied, tenant-supplied hosts kept off private networks except the CIDRs the operator
 * allows (`ENGARDE_ALLOW_PRIVATE_NETWORK`), and renewed OAuth tokens stored back (sealed) before they are used.
 */

import { type ConnectionRow, loadCredentials, saveCredentials } from '../db/repositories/connection-repository.js';
import type { AdapterOptions, OAuthClient, TokenSet } from '../runtime/adapter-types.js';
import type { AnyAdapter } from '../runtime/registry.js';
import type { ServiceContext } from './service-context.js';

/** The OAuth client a deployment configured for a platform (`ENGARDE_PLATFORM_OVERRIDES`), if any. */
export function oauthClientFor(ctx: ServiceContext, platform: string): OAuthClient | undefined {
  const oauth = ctx.settings.platformOverrides[platform]?.oauth;
  if (!oauth?.clientId) return undefined;
  return {
    clientId: oauth.clientId,
    ...(oauth.clientSecret ? { clientSecret: oauth.clientSecret } : {}),
    ...(oauth.tokenUrl ? { tokenUrl: oauth.tokenUrl } : {}),
  };
}

/** Adapter options common to every connection of a deployment, for given credentials and connection config. */
export function adapterOptions(
  ctx: ServiceContext,
  platform: string,
  input: {
    credentials: Record<string, unknown>;
    connectionConfig: Record<string, unknown>;
    tenantId: string;
    connectionId?: string | undefined;
    onTokens?: ((tokens: TokenSet) => Promise<void>) | undefined;
  },
): AdapterOptions<Record<string, unknown>, Record<string, unknown>> & { logger: ServiceContext['logger'] } {
  const override = ctx.settings.platformOverrides[platform];
  const oauthClient = oauthClientFor(ctx, platform);
  const allow = ctx.settings.allowPrivateNetwork;
  return {
    credentials: input.credentials,
    connectionConfig: input.connectionConfig,
    tenantId: input.tenantId,
    ...(override?.baseUrl ? { baseUrl: override.baseUrl } : {}),
    ...(oauthClient ? { oauthClient } : {}),
    ...(input.onTokens ? { onTokens: input.onTokens } : {}),
    ...(allow.length > 0 ? { allowPrivateNetwork: allow } : {}),
    ...(input.connectionId ? { rateLimitKey: input.connectionId } : {}),
    logger: ctx.logger.child({ tenantId: input.tenantId, connectionId: input.connectionId }),
  };
}

/**
 * @throws SealedValueError when the stored credentials cannot be opened; AdapterError/ConfigurationError from the
 *   adapter's constructor.
 * @example
 * const adapter = await adapterForConnection(ctx, row);
 * try { await adapter.fetch('orders', { limit: 10 }); } finally { await adapter.close(); }
 */
export async function adapterForConnection(ctx: ServiceContext, row: ConnectionRow): Promise<AnyAdapter> {
  const { tenantId, connectionId, platform } = row;
  const credentials = (await loadCredentials(ctx.db, ctx.settings.keyRing, tenantId, connectionId)) ?? {};
  return ctx.registry.create(
    platform,
    adapterOptions(ctx, platform, {
      credentials,
      connectionConfig: row.connectionConfig,
      tenantId,
      connectionId,
      onTokens: async (tokens) => {
        const { extra, ...core } = tokens;
        const current = (await loadCredentials(ctx.db, ctx.settings.keyRing, tenantId, connectionId)) ?? {};
        await saveCredentials(ctx.db, ctx.settings.keyRing, tenantId, connectionId, { ...current, ...core, ...extra });
      },
    }),
  );
}
