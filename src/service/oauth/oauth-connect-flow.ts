/**
 * Connecting an account through the platform's OAuth consent: the authorization-code grant with PKCE S256
 * (oauth4webapi, through the runtime's `createAuthorizationRequest` and `exchangeAuthorizationCode`).
 *
 * Initiate checks the platform, the deployment's OAuth app and the tenant's connection config (templated hosts
 * such as Shopify's `{shop}`: pattern, host safety, private-network refusal), then stores a pending authorization
 * keyed by the SHA-256 of a fresh `state` (see `oauth-state-value.ts`) with the sealed code verifier; it expires
 * after ten minutes. The callback consumes that row atomically, so a state works once; the tenant, platform,
 * connection config and redirect target come from the row, never from the callback's request. It checks `iss`
 * (RFC 9207) when the deployment configured the issuer, exchanges the code and stores the connection, sealed.
 *
 * Failures are {@link OAuthFlowError}s: a status, a short `code` (what a redirect's `?error=` carries), words a
 * person can act on, and never a code, token, verifier or client secret.
 */
import { audit } from '../../db/repositories/audit-repository.js';
import { type ConnectionRow, insertConnection } from '../../db/repositories/connection-repository.js';
import {
  consumeOAuthState,
  insertOAuthState,
  oauthStateFailure,
} from '../../db/repositories/oauth-state-repository.js';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { createAuthorizationRequest, exchangeAuthorizationCode } from '../../runtime/auth/oauth2-authorization.js';
import { type OAuthClientRegistration, resolveOAuthEndpoint } from '../../runtime/auth/oauth2-token-client.js';
import { connectionValue, resolveBaseUrl } from '../../runtime/base-url.js';
import { AdapterError, AuthenticationError, ConfigurationError, PrivateNetworkError } from '../../runtime/errors.js';
import { PrivateNetworkGuard } from '../../runtime/http/private-network-guard.js';
import { oauthEndpointFetch, oauthRegistrationFor, tenantHostVariable } from '../connection-adapters.js';
import type { ServiceContext } from '../service-context.js';
import { newOAuthState, oauthStateHash, parseOAuthState } from './oauth-state-value.js';

/** How long an authorization may take, from initiate to callback. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** The callback's path; the redirect URI is `ENGARDE_PUBLIC_URL` + this. */
export const OAUTH_CALLBACK_PATH = '/platform-integrations/oauth/callback';

/** The audit-log actor of everything the (unauthenticated) callback does. */
const CALLBACK_ACTOR = 'oauth_callback';

export interface OAuthFieldProblem {
  in: string;
  path: string;
  message: string;
}

/** A refused step of the flow, as the API answers it. */
export class OAuthFlowError extends Error {
  override readonly name = 'OAuthFlowError';
  constructor(
    readonly status: number,
    /** A short token: `invalid_state`, `state_expired`, `access_denied`, `iss_mismatch`, … */
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: {
      errors?: OAuthFieldProblem[] | undefined;
      /** Where the browser goes back to (`?error=<code>`), when the pending authorization named it. */
      redirectAfter?: string | null | undefined;
    } = {},
  ) {
    super(detail);
  }
}

/**
 * @example
 * oauthRedirectUri(ctx.settings); // 'https://engarde.example.com/platform-integrations/oauth/callback'
 */
export function oauthRedirectUri(settings: ServiceContext['settings']): string {
  return `${settings.publicUrl}${OAUTH_CALLBACK_PATH}`;
}

export interface OAuthInitiateInput {
  tenantId: string;
  /** The audit actor (`api_key:<id>`). */
  actor: string;
  platform: string;
  connectionConfig?: Record<string, string> | undefined;
  scopes?: readonly string[] | undefined;
  redirectAfter?: string | undefined;
  label?: string | undefined;
}

export interface OAuthInitiated {
  /** Where to send the user's browser. */
  authorizationUrl: string;
  state: string;
  expiresAt: Date;
}

/**
 * Starts an authorization: checks everything it can before the user is sent away, then stores it.
 *
 * @throws OAuthFlowError 404 for an unknown platform; 422 for a platform without an authorization-code grant, bad
 *   connection config (each field named) or a `redirect_after` elsewhere; 409 when the deployment has no OAuth app for
 *   the platform (the message says what to configure).
 * @example
 * const { authorizationUrl, state } = await initiateOAuthConnection(ctx, {
 *   tenantId, actor: 'api_key:…', platform: 'shopify', connectionConfig: { shop: 'acme' }, redirectAfter: '/connected',
 * });
 */
export async function initiateOAuthConnection(ctx: ServiceContext, input: OAuthInitiateInput): Promise<OAuthInitiated> {
  const { platform, tenantId } = input;
  if (!ctx.registry.has(platform)) {
    throw new OAuthFlowError(404, 'unknown_platform', 'Not found', `integration "${platform}" was not found`);
  }
  const meta = await ctx.registry.meta(platform);
  if (meta.auth.kind !== 'oauth2' || meta.auth.grantType !== 'authorization_code') {
    const how =
      meta.auth.kind === 'oauth2'
        ? `it uses the ${meta.auth.grantType} grant, with no user consent`
        : `it uses ${meta.auth.kind} credentials`;
    const message = `${meta.name} does not connect through an OAuth consent (${how}); connect it with POST /integrations/${platform}/connect`;
    throw new OAuthFlowError(422, 'not_oauth', 'Unprocessable content', message, {
      errors: [{ in: 'body', path: '/platform', message }],
    });
  }
  const redirectUri = oauthRedirectUri(ctx.settings);
  const client = oauthRegistrationFor(ctx, platform);
  if (!client) {
    throw new OAuthFlowError(
      409,
      'oauth_not_configured',
      'OAuth app not configured',
      `the operator must configure an OAuth app for ${platform}: in the ENGARDE_PLATFORM_OVERRIDES file, ` +
        `{"${platform}": {"oauth": {"clientId": "…", "clientSecret": "…"}}}, with ${redirectUri} registered at ${meta.name} as its redirect URI`,
    );
  }

  const connectionConfig = { ...(input.connectionConfig ?? {}) };
  const problems = connectionConfigProblems(meta, connectionConfig);
  if (problems.length > 0) throw invalidInput(problems);
  const redirectAfter = input.redirectAfter === undefined ? null : checkRedirectAfter(input.redirectAfter, ctx);
  const scopes = [...(input.scopes ?? meta.auth.scopes)];

  const state = newOAuthState(tenantId);
  let authorization: Awaited<ReturnType<typeof createAuthorizationRequest>>;
  try {
    authorization = await createAuthorizationRequest({ meta, connectionConfig, client, redirectUri, scopes, state });
    checkTenantHosts(ctx, meta, connectionConfig, client);
  } catch (error) {
    throw configurationProblem(error, platform);
  }

  const expiresAt = new Date(ctx.now().getTime() + OAUTH_STATE_TTL_MS);
  await ctx.db.transaction().execute(async (trx) => {
    await insertOAuthState(trx, ctx.settings.keyRing, {
      tenantId,
      stateHash: oauthStateHash(state),
      platform,
      codeVerifier: authorization.codeVerifier,
      connectionConfig,
      scopes,
      label: input.label ?? null,
      redirectAfter,
      expiresAt,
    });
    await audit(trx, {
      tenantId,
      actor: input.actor,
      action: 'oauth.initiated',
      targetType: 'platform',
      targetId: platform,
      details: {
        platform,
        scopes,
        connection_config: Object.keys(connectionConfig).sort(),
        expires_at: expiresAt.toISOString(),
      },
    });
  });
  return { authorizationUrl: authorization.url, state, expiresAt };
}

export interface OAuthCallbackInput {
  code?: string | undefined;
  state?: string | undefined;
  iss?: string | undefined;
  error?: string | undefined;
}

export interface OAuthConnected {
  connection: ConnectionRow;
  /** Where the initiate call asked the browser to be sent afterwards. */
  redirectAfter: string | null;
}

/**
 * Finishes an authorization from the platform's redirect.
 *
 * @throws OAuthFlowError 400 for a missing, forged, used or expired state (no redirect: nothing says where to), and,
 *   with the pending authorization's `redirectAfter`, 400 for a refusal at the platform (`error=access_denied`), an
 *   `iss` other than the configured issuer, a missing code or a code the platform refuses; 422 for a tenant host the
 *   private-network guard refuses; 502 when the platform's token endpoint fails or does not answer.
 * @example
 * const { connection } = await completeOAuthConnection(ctx, { code, state, iss });
 */
export async function completeOAuthConnection(ctx: ServiceContext, input: OAuthCallbackInput): Promise<OAuthConnected> {
  const parsed = parseOAuthState(input.state);
  if (!parsed) {
    throw new OAuthFlowError(
      400,
      'invalid_state',
      'Invalid OAuth state',
      input.state === undefined || input.state === ''
        ? 'the state parameter is missing; start the authorization again with POST /platform-integrations/oauth/initiate'
        : 'the state parameter is not one EnGarde issued; start the authorization again',
    );
  }
  const now = ctx.now();
  const { tenantId, stateHash } = parsed;
  const pending = await consumeOAuthState(ctx.db, ctx.settings.keyRing, tenantId, stateHash, now);
  if (!pending) {
    const why = await oauthStateFailure(ctx.db, tenantId, stateHash, now);
    const [code, detail] =
      why === 'used'
        ? ['state_used', 'this authorization was already completed (a state works once); start the authorization again']
        : why === 'expired'
          ? [
              'state_expired',
              'the authorization took longer than 10 minutes and expired; start the authorization again',
            ]
          : ['invalid_state', 'the state parameter is not one EnGarde issued; start the authorization again'];
    throw new OAuthFlowError(400, code, 'Invalid OAuth state', detail);
  }

  const { platform, redirectAfter } = pending;
  const fail = async (status: number, code: string, title: string, detail: string, errors?: OAuthFieldProblem[]) => {
    await audit(ctx.db, {
      tenantId,
      actor: CALLBACK_ACTOR,
      action: 'oauth.failed',
      targetType: 'platform',
      targetId: platform,
      details: { platform, reason: code },
    });
    return new OAuthFlowError(status, code, title, detail, { errors, redirectAfter });
  };

  const issuer = ctx.settings.platformOverrides[platform]?.oauth?.issuer;
  if (issuer !== undefined && input.iss !== issuer) {
    throw await fail(
      400,
      'iss_mismatch',
      'Authorization response from another issuer',
      input.iss === undefined
        ? `the authorization response has no iss parameter, but the issuer of ${platform} is configured (RFC 9207); it was refused`
        : `the authorization response's iss is not the configured issuer of ${platform} (RFC 9207); it was refused`,
    );
  }
  if (input.error !== undefined) {
    const code = /^[\w.-]{1,64}$/.test(input.error) ? input.error : 'authorization_failed';
    const detail =
      code === 'access_denied'
        ? `the authorization was declined at ${platform} (access_denied); no connection was made`
        : `${platform} refused the authorization (${code}); no connection was made`;
    throw await fail(400, code, 'Authorization refused', detail);
  }
  if (input.code === undefined || input.code === '') {
    throw await fail(400, 'invalid_request', 'Bad request', 'the authorization response has no code');
  }

  const meta = ctx.registry.has(platform) ? await ctx.registry.meta(platform) : undefined;
  const client = oauthRegistrationFor(ctx, platform);
  if (!meta || !client) {
    throw await fail(
      409,
      'oauth_not_configured',
      'OAuth app not configured',
      `the OAuth app for ${platform} is no longer configured (ENGARDE_PLATFORM_OVERRIDES ${platform}.oauth.clientId)`,
    );
  }
  let tokens: Awaited<ReturnType<typeof exchangeAuthorizationCode>>;
  try {
    tokens = await exchangeAuthorizationCode({
      meta,
      connectionConfig: pending.connectionConfig,
      client,
      redirectUri: oauthRedirectUri(ctx.settings),
      code: input.code,
      codeVerifier: pending.codeVerifier,
      fetch: oauthEndpointFetch(ctx, meta, 'tokenUrl', client),
      logger: ctx.logger.child({ tenantId, platform }),
      now: () => ctx.now().getTime(),
    });
  } catch (error) {
    if (error instanceof AuthenticationError) {
      throw await fail(400, 'token_exchange_failed', 'Authorization code refused', error.message);
    }
    if (error instanceof ConfigurationError) {
      const problem = configurationProblem(error, platform);
      throw await fail(problem.status, problem.code, problem.title, problem.detail, problem.extra.errors);
    }
    if (error instanceof AdapterError) {
      throw await fail(502, 'platform_unavailable', 'Bad gateway', error.message);
    }
    throw error;
  }

  const credentials: Record<string, unknown> = { ...tokens.extra, accessToken: tokens.accessToken };
  if (tokens.refreshToken !== undefined) credentials.refreshToken = tokens.refreshToken;
  if (tokens.expiresAt !== undefined) credentials.expiresAt = tokens.expiresAt;
  const connection = await ctx.db.transaction().execute(async (trx) => {
    const row = await insertConnection(trx, ctx.settings.keyRing, {
      tenantId,
      platform,
      label: pending.label,
      credentials,
      connectionConfig: pending.connectionConfig,
      scopes: pending.scopes,
    });
    await audit(trx, {
      tenantId,
      actor: CALLBACK_ACTOR,
      action: 'oauth.connected',
      targetType: 'connection',
      targetId: row.connectionId,
      details: { platform, scopes: pending.scopes, refresh_token: tokens.refreshToken !== undefined },
    });
    return row;
  });
  return { connection, redirectAfter };
}

/** Every connection-config field at fault: unknown names, values the platform's pattern refuses. */
function connectionConfigProblems(meta: PlatformMeta, connectionConfig: Record<string, string>): OAuthFieldProblem[] {
  const problems: OAuthFieldProblem[] = [];
  const expected = Object.keys(meta.connectionConfig);
  for (const name of Object.keys(connectionConfig).sort()) {
    const path = `/connection_config/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!Object.hasOwn(meta.connectionConfig, name)) {
      problems.push({
        in: 'body',
        path,
        message:
          expected.length > 0
            ? `is not a connection setting of ${meta.name} (expected ${expected.join(', ')})`
            : `${meta.name} takes no connection settings`,
      });
      continue;
    }
    try {
      connectionValue(meta, connectionConfig, name);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push({ in: 'body', path, message: fieldMessage(error) });
    }
  }
  return problems;
}

/**
 * Hosts built from the tenant's connection config (OAuth endpoints, the API's base URL) must not name a private or
 * metadata address (`PrivateNetworkGuard.checkHostname`; names are checked again when they resolve, at the token
 * exchange and at every API request).
 */
function checkTenantHosts(
  ctx: ServiceContext,
  meta: PlatformMeta,
  connectionConfig: Record<string, string>,
  client: OAuthClientRegistration,
): void {
  const allow = ctx.settings.allowPrivateNetwork;
  const check = (variable: string | undefined, url: () => string | undefined) => {
    if (variable === undefined) return;
    const resolved = url();
    if (resolved === undefined) return;
    new PrivateNetworkGuard({
      platformId: meta.id,
      field: `connectionConfig.${variable}`,
      ...(allow.length > 0 ? { allow } : {}),
    }).checkHostname(new URL(resolved).hostname);
  };
  for (const endpoint of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) {
    check(tenantHostVariable(meta, endpoint, client), () =>
      resolveOAuthEndpoint(meta, connectionConfig, endpoint, client),
    );
  }
  const baseUrlOverride = ctx.settings.platformOverrides[meta.id]?.baseUrl;
  const baseVariable = tenantHostVariable(meta, 'baseUrl', client, baseUrlOverride);
  // The base URL may need settings that only exist after the consent; its host is checked when it can be built.
  if (baseVariable !== undefined && connectionConfig[baseVariable] !== undefined) {
    check(baseVariable, () => resolveBaseUrl(meta, connectionConfig));
  }
}

/** A runtime refusal as the API's problem: the tenant's connection config (422), else the deployment's (409). */
function configurationProblem(error: unknown, platform: string): OAuthFlowError {
  if (!(error instanceof ConfigurationError)) throw error;
  if (error.field.startsWith('connectionConfig.')) {
    const name = error.field.slice('connectionConfig.'.length);
    return invalidInput([
      {
        in: 'body',
        path: `/connection_config/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: fieldMessage(error),
      },
    ]);
  }
  return new OAuthFlowError(
    409,
    'oauth_misconfigured',
    'OAuth app misconfigured',
    `the deployment's OAuth settings for ${platform} cannot be used (${error.message}); the operator must correct ENGARDE_PLATFORM_OVERRIDES or ENGARDE_PUBLIC_URL`,
  );
}

function invalidInput(errors: OAuthFieldProblem[]): OAuthFlowError {
  return new OAuthFlowError(
    422,
    'invalid_request',
    'Unprocessable content',
    errors.map((e) => `${e.in}${e.path}: ${e.message}`).join('; '),
    { errors },
  );
}

/** A ConfigurationError's message without its `<platform>: <field>` prefix. */
function fieldMessage(error: ConfigurationError): string {
  const prefix = `${error.platformId}: ${error.field} `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  // The runtime names its adapter option; a deployment sets the environment variable.
  return error instanceof PrivateNetworkError
    ? text.replace(/\ballowPrivateNetwork\b/, 'ENGARDE_ALLOW_PRIVATE_NETWORK')
    : text;
}

/**
 * `redirect_after` may only lead back to the deployment: a path (`/connected`) or an absolute URL on the origin of
 * `ENGARDE_PUBLIC_URL`. Anything else would make the callback an open redirect.
 */
function checkRedirectAfter(value: string, ctx: ServiceContext): string {
  const base = new URL(`${ctx.settings.publicUrl}/`);
  const refuse = (): never => {
    const message = `must be a path ("/connected") or a URL on ${base.origin}`;
    throw invalidInput([{ in: 'body', path: '/redirect_after', message }]);
  };
  // Control characters and backslashes are normalised differently by browsers: refused outright.
  if (value.trim() !== value || /[\\\p{Cc}]/u.test(value)) refuse();
  let url: URL;
  try {
    if (value.startsWith('/') && !value.startsWith('//')) url = new URL(value, base);
    else if (/^https?:\/\//i.test(value)) url = new URL(value);
    else return refuse();
  } catch {
    return refuse();
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') refuse();
  return url.toString();
}
