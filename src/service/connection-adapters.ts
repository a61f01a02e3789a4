/**
 * An adapter for a stored connection: its credentials opened from the vault, the deployment's platform overrides
 * (base URL, OAuth client) applied, tenant-supplied hosts kept off private networks except the CIDRs the operator
 * allows (`ENGARDE_ALLOW_PRIVATE_NETWORK`), and OAuth renewals coordinated across processes by a per-connection
 * Postgres lock (`oauth/token-refresh.ts`): renewed tokens are stored (sealed) before they are used.
 */

import { type ConnectionRow, loadCredentials, openCredentials } from '../db/repositories/connection-repository.js';
import { MeteredRateLimitStore } from '../observability/metered-rate-limit-store.js';
import { recordPlatformAttempt } from '../observability/metrics.js';
import type { AdapterOptions, OAuthClient, PlatformMeta, TokenSet } from '../runtime/adapter-types.js';
import type { OAuthClientRegistration, OAuthEndpoint, TokenFetch } from '../runtime/auth/oauth2-token-client.js';
import type { RuntimeOptions } from '../runtime/base-adapter.js';
import { hostVariables } from '../runtime/base-url.js';
import { guardedFetch } from '../runtime/http/guarded-fetch.js';
import type { AttemptEvent } from '../runtime/http/http-client.js';
import { PrivateNetworkGuard } from '../runtime/http/private-network-guard.js';
import { defaultMemoryRateLimitStore } from '../runtime/rate-limit/memory-rate-limit-store.js';
import type { AnyAdapter } from '../runtime/registry.js';
import { connectionTokenRefresh } from './oauth/token-refresh.js';
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

/**
 * The deployment's whole OAuth app for a platform: the client, and the endpoint URLs that replace the platform's
 * (`authorizationUrl`, `tokenUrl`, `revocationUrl`). `undefined` without a client id.
 *
 * @example
 * const client = oauthRegistrationFor(ctx, 'zoom');
 * if (!client) throw new Error('configure ENGARDE_PLATFORM_OVERRIDES zoom.oauth.clientId');
 */
export function oauthRegistrationFor(ctx: ServiceContext, platform: string): OAuthClientRegistration | undefined {
  const oauth = ctx.settings.platformOverrides[platform]?.oauth;
  const client = oauthClientFor(ctx, platform);
  if (!oauth || !client) return undefined;
  return {
    ...client,
    ...(oauth.authorizationUrl ? { authorizationUrl: oauth.authorizationUrl } : {}),
    ...(oauth.revocationUrl ? { revocationUrl: oauth.revocationUrl } : {}),
  };
}

/**
 * The variable of the connection config that chooses an OAuth endpoint's host (`shop` in
 * `https://{shop}.myshopify.com/admin/oauth/access_token`), when the deployment does not replace that endpoint: the
 * host is then a tenant's choice. `undefined` for a fixed host or an operator's override.
 *
 * @example
 * tenantHostVariable(gitlabMeta, 'tokenUrl', undefined); // 'host'
 */
export function tenantHostVariable(
  meta: PlatformMeta,
  endpoint: OAuthEndpoint | 'baseUrl',
  client: OAuthClientRegistration | undefined,
  baseUrlOverride?: string | undefined,
): string | undefined {
  if (endpoint === 'baseUrl') return baseUrlOverride ? undefined : hostVariables(meta.baseUrl)[0];
  if (meta.auth.kind !== 'oauth2' || client?.[endpoint]) return undefined;
  const template = meta.auth[endpoint];
  return template === undefined ? undefined : hostVariables(template)[0];
}

/**
 * The transport for a token or revocation request: the private-network guard (with the operator's allowed CIDRs)
 * when the endpoint's host comes from connection config; `undefined` (plain `fetch`) for a fixed or operator-given
 * host.
 *
 * @example
 * const fetch = oauthEndpointFetch(ctx, meta, 'tokenUrl', client); // guarded for Shopify's {shop}
 * await exchangeAuthorizationCode({ meta, connectionConfig, client, redirectUri, code, codeVerifier, fetch });
 */
export function oauthEndpointFetch(
  ctx: ServiceContext,
  meta: PlatformMeta,
  endpoint: OAuthEndpoint,
  client: OAuthClientRegistration | undefined,
): TokenFetch | undefined {
  const variable = tenantHostVariable(meta, endpoint, client);
  if (variable === undefined) return undefined;
  const allow = ctx.settings.allowPrivateNetwork;
  return guardedFetch(
    new PrivateNetworkGuard({
      platformId: meta.id,
      field: `connectionConfig.${variable}`,
      ...(allow.length > 0 ? { allow } : {}),
    }),
  );
}

/**
 * Adapter options common to every connection of a deployment, for given credentials and connection config. Every
 * HTTP attempt is counted in the platform metrics (`onAttempt`), and every rate-limit wait (the budget's store,
 * metered).
 */
export function adapterOptions(
  ctx: ServiceContext,
  platform: string,
  input: {
    credentials: Record<string, unknown>;
    connectionConfig: Record<string, unknown>;
    tenantId: string;
    connectionId?: string | undefined;
    onTokens?: ((tokens: TokenSet) => Promise<void>) | undefined;
    /** OAuth2 renewals across processes (see `connectionTokenRefresh`). */
    tokenRefresh?: AdapterOptions<unknown, unknown>['tokenRefresh'] | undefined;
  },
): AdapterOptions<Record<string, unknown>, Record<string, unknown>> & {
  logger: ServiceContext['logger'];
  onAttempt: (attempt: AttemptEvent) => void;
} {
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
    ...(input.tokenRefresh ? { tokenRefresh: input.tokenRefresh } : {}),
    ...(allow.length > 0 ? { allowPrivateNetwork: allow } : {}),
    ...(input.connectionId ? { rateLimitKey: input.connectionId } : {}),
    // The same store as without the wrapper (the context's, else the runtime's default), waits counted.
    rateLimitStore: new MeteredRateLimitStore(ctx.rateLimitStore ?? defaultMemoryRateLimitStore, platform),
    logger: ctx.logger.child({ tenantId: input.tenantId, connectionId: input.connectionId }),
    onAttempt: (attempt) => recordPlatformAttempt(platform, attempt),
  };
}

/**
 * @throws SealedValueError when the stored credentials cannot be opened; AdapterError/ConfigurationError from the
 *   adapter's constructor.
 * @example
 * const adapter = await adapterForConnection(ctx, row);
 * try { await adapter.fetch('orders', { limit: 10 }); } finally { await adapter.close(); }
 */
export async function adapterForConnection(
  ctx: ServiceContext,
  row: ConnectionRow,
  runtime: Pick<RuntimeOptions, 'onAttempt'> = {},
): Promise<AnyAdapter> {
  const { tenantId, connectionId, platform } = row;
  // Read with the row when the caller asked for it (one query fewer), else now.
  const credentials =
    (row.sealedAuth !== undefined
      ? openCredentials(ctx.settings.keyRing, row)
      : await loadCredentials(ctx.db, ctx.settings.keyRing, tenantId, connectionId)) ?? {};
  const options = adapterOptions(ctx, platform, {
    credentials,
    connectionConfig: row.connectionConfig,
    tenantId,
    connectionId,
    tokenRefresh: connectionTokenRefresh(ctx, row),
  });
  const onAttempt = runtime.onAttempt;
  if (!onAttempt) return ctx.registry.create(platform, options);
  // The caller's listener (a sync run's own counts) beside the platform metrics.
  const metrics = options.onAttempt;
  return ctx.registry.create(platform, {
    ...options,
    onAttempt: (attempt: AttemptEvent) => {
      metrics(attempt);
      onAttempt(attempt);
    },
  });
}
