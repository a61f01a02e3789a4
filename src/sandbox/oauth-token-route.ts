/**
 * The token endpoint every OAuth emulator serves: counts the request, checks the method, reads the form (or JSON,
 * or query) fields, runs the grant against the emulator's {@link TokenIssuer}, and answers in the platform's own
 * shapes, which each emulator supplies (`issued`, `refused`, `methodNotAllowed`).
 */
import type { EmulatorCounters } from './emulator-control.js';
import { type EmulatorRequest, type EmulatorResponse, formFields } from './emulator-server.js';
import type { IssuedTokens, TokenIssuer } from './oauth-token-issuer.js';

/**
 * Grants a platform's token endpoint may support: the code exchange (with PKCE where the platform checks it), the
 * refresh, and Meta's exchange of a valid access token for a long-lived one.
 */
export type TokenGrant = 'authorization_code' | 'refresh_token' | 'fb_exchange_token';

/** Why a token request was refused. */
export interface TokenRefusal {
  error: 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';
  description: string;
}

/** What the platform's answer may depend on. */
export interface TokenRequestContext {
  request: EmulatorRequest;
  /** The request's form, JSON or query fields. */
  fields: Record<string, string>;
  /** The grant asked for (after `grantOf`); may be unsupported or missing. */
  grant: string | undefined;
}

export interface OAuthTokenRouteOptions {
  tokens: TokenIssuer;
  counters: EmulatorCounters;
  /** Paths the endpoint answers on (the control's `tokenPath` first, then any legacy aliases). */
  paths: readonly string[];
  /** The grants the platform supports; any other is refused as `unsupported_grant_type`. */
  grants: readonly TokenGrant[];
  /** Which grant a request asks for (default: its `grant_type`), for platforms that assume one. */
  grantOf?: (fields: Record<string, string>) => string | undefined;
  /** Whether the code exchange passes `code_verifier` on to the PKCE check (default true). */
  pkce?: boolean;
  /** The platform's answer to a method other than POST; without it every method is served (Meta takes GET). */
  methodNotAllowed?: (request: EmulatorRequest) => EmulatorResponse;
  /** The platform's answer when it issues tokens. */
  issued(tokens: IssuedTokens, context: TokenRequestContext): EmulatorResponse;
  /** The platform's answer when it refuses. */
  refused(refusal: TokenRefusal, context: TokenRequestContext): EmulatorResponse;
}

/** Answers token requests; `undefined` for a request to another path. */
export type OAuthTokenRoute = (request: EmulatorRequest) => EmulatorResponse | undefined;

/**
 * Builds an emulator's token endpoint.
 *
 * @example
 * const tokenRoute = oauthTokenRoute({
 *   tokens, counters, paths: ['/token'], grants: ['authorization_code', 'refresh_token'],
 *   methodNotAllowed: () => ({ status: 405, body: { error: 'invalid_request' } }),
 *   issued: (t) => ({ status: 200, body: { access_token: t.accessToken, expires_in: t.expiresIn } }),
 *   refused: (r) => ({ status: 400, body: { error: r.error, error_description: r.description } }),
 * });
 * const answer = tokenRoute(request); // undefined when the request is not for /token
 */
export function oauthTokenRoute(options: OAuthTokenRouteOptions): OAuthTokenRoute {
  const paths = new Set(options.paths);
  const supported = new Set<string>(options.grants);
  const grantOf = options.grantOf ?? ((fields: Record<string, string>) => fields.grant_type);
  const pkce = options.pkce ?? true;
  const { tokens } = options;

  const run = (grant: TokenGrant, fields: Record<string, string>) => {
    const client = { clientId: fields.client_id, clientSecret: fields.client_secret };
    switch (grant) {
      case 'refresh_token':
        return tokens.refresh(fields.refresh_token, client);
      case 'authorization_code':
        return tokens.exchangeCode(fields.code, pkce ? fields.code_verifier : undefined, client);
      case 'fb_exchange_token': {
        const result = tokens.exchangeAccessToken(fields.fb_exchange_token, client);
        if (!result.ok) return result;
        const issued: IssuedTokens = {
          accessToken: result.accessToken,
          refreshToken: tokens.current.refreshToken,
          expiresIn: result.expiresIn,
          refreshTokenRotated: false,
        };
        return { ok: true as const, tokens: issued };
      }
    }
  };

  return (request) => {
    if (!paths.has(request.url.pathname)) return undefined;
    options.counters.tokenRequests += 1;
    if (options.methodNotAllowed && request.method !== 'POST') return options.methodNotAllowed(request);
    const fields = formFields(request);
    const grant = grantOf(fields);
    const context: TokenRequestContext = { request, fields, grant };
    if (grant === undefined || !supported.has(grant)) {
      return options.refused(
        { error: 'unsupported_grant_type', description: `unsupported grant_type ${grant}` },
        context,
      );
    }
    const result = run(grant as TokenGrant, fields);
    return result.ok ? options.issued(result.tokens, context) : options.refused(result, context);
  };
}
