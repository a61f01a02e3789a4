/**
 * Token-endpoint and revocation-endpoint calls through oauth4webapi: the refresh_token, client_credentials and
 * authorization_code grants, and RFC 7009 revocation, with the platform's client authentication.
 *
 * oauth4webapi builds the requests and validates the answers. Two things are ours:
 *
 * - **Transport.** Requests go through an injectable fetch (`customFetch`), with a timeout. Plain `http:` is
 *   allowed only for loopback hosts (tests, `engarde sandbox`); every other endpoint must be `https:`.
 * - **Lenient token responses.** Several platforms answer the token endpoint outside RFC 6749 §5.1 (Shopify omits
 *   `token_type`; some send `null` for absent fields or a scope array). Before oauth4webapi validates a 200
 *   answer, {@link lenientTokenResponse} makes a short, named list of repairs; everything else (a string
 *   `access_token`, a numeric `expires_in`, a string `refresh_token`, OAuth error bodies) is still checked by
 *   oauth4webapi. The access token is sent with the platform's configured header template, so `token_type` is
 *   informational for us.
 *
 * Errors never carry a token, code, verifier or client secret: messages name only the grant, the status and the
 * OAuth `error` code; bodies and headers are redacted; oauth4webapi's own errors (whose `cause` can hold the whole
 * token response) are replaced by plain copies of their name, code and message.
 */

import * as oauth from 'oauth4webapi';
import type { Logger } from 'pino';
import type { OAuthClient, PlatformMeta, TokenSet } from '../adapter-types.js';
import { resolveUrlTemplate } from '../base-url.js';
import { camelCase } from '../camel-case.js';
import {
  AdapterError,
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  errorFromResponse,
  TimeoutError,
} from '../errors.js';
import type { AuthConfig } from '../platform-schema.js';
import { type RedactionOptions, redactString, redactUrl, sentSecrets } from '../secret-redaction.js';

export type OAuth2AuthConfig = Extract<AuthConfig, { kind: 'oauth2' }>;

/** A fetch for token, revocation requests (oauth4webapi's `customFetch` signature); `globalThis.fetch` fits. */
export type TokenFetch = (url: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) => Promise<Response>;

/**
 * An OAuth client registration as a deployment configures it (`ENGARDE_PLATFORM_OVERRIDES`): the client, and
 * optionally endpoint URLs replacing the platform's (tests and sandboxes point them at loopback).
 */
export interface OAuthClientRegistration extends OAuthClient {
  authorizationUrl?: string | undefined;
  revocationUrl?: string | undefined;
}

export type OAuthEndpoint = 'authorizationUrl' | 'tokenUrl' | 'revocationUrl';

/** Default time allowed for one token-endpoint request. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/**
 * Whether a URL is plain `http:` to a loopback host (`127.0.0.0/8`, `localhost`, `[::1]`).
 *
 * @example
 * isLoopbackHttpUrl('http://127.0.0.1:4010/token'); // true
 * isLoopbackHttpUrl('http://auth.example.com/token'); // false
 */
export function isLoopbackHttpUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:') return false;
  const host = parsed.hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * An OAuth endpoint's URL for a connection: the client registration's override when it has one (it may use the
 * same placeholders, and may be `http:` only to a loopback host), else the platform's template, filled and
 * checked by `resolveUrlTemplate`. `undefined` when neither exists (e.g. no revocation endpoint).
 *
 * @throws ConfigurationError for a missing or malformed connection variable, or an `http:` URL to another host.
 * @example
 * resolveOAuthEndpoint(shopifyMeta, { shop: 'acme' }, 'tokenUrl'); // 'https://acme.myshopify.com/admin/oauth/access_token'
 */
export function resolveOAuthEndpoint(
  meta: PlatformMeta,
  connectionConfig: Readonly<Record<string, unknown>> | undefined,
  endpoint: OAuthEndpoint,
  client?: OAuthClientRegistration | undefined,
): string | undefined {
  const auth = meta.auth;
  if (auth.kind !== 'oauth2') {
    throw new ConfigurationError(`${meta.id}: the platform does not use OAuth2`, {
      field: 'auth.kind',
      platformId: meta.id,
    });
  }
  const override = client?.[endpoint];
  if (override !== undefined && override !== '') {
    const field = `oauthClient.${endpoint}`;
    const url = resolveUrlTemplate(override, meta, connectionConfig, { field, allowHttp: true });
    if (url.startsWith('http:') && !isLoopbackHttpUrl(url)) {
      throw new ConfigurationError(`${meta.id}: ${field} must be an https:// URL (http:// only for loopback hosts)`, {
        field,
        platformId: meta.id,
      });
    }
    return url;
  }
  const template = auth[endpoint];
  if (template === undefined) return undefined;
  return resolveUrlTemplate(template, meta, connectionConfig, { field: `auth.${endpoint}` });
}

/** What {@link lenientTokenResponse} changed, by name (logged; never values). */
export type TokenResponseRepair =
  | 'token_type defaulted to bearer'
  | 'null expires_in dropped'
  | 'null refresh_token dropped'
  | 'scope array joined'
  | 'id_token dropped'
  | 'form-encoded body read';

/**
 * The repairs made to a successful token response before oauth4webapi validates it:
 *
 * - a missing, `null` or empty `token_type` becomes `bearer` (Shopify, and others that only ever issue bearer
 *   tokens); a present one is left alone (oauth4webapi lowercases it, so Meta's `bearer` and Salesforce's
 *   `Bearer` both pass, and still refuses types it cannot use, such as `mac`);
 * - `expires_in` / `refresh_token` that are `null` or `""` are treated as absent;
 * - a `scope` array is joined with spaces (RFC 6749 says a space-delimited string);
 * - `id_token` is dropped: the runtime does not use OpenID Connect, and oauth4webapi would otherwise validate its
 *   issuer against an issuer we do not know (Google includes one for the `openid` scope).
 *
 * Other fields (Salesforce `instance_url`, `signature`, `issued_at`) pass through untouched.
 *
 * @example
 * lenientTokenResponse({ access_token: 'shpat_1', scope: 'read_orders' });
 * // { body: { access_token: 'shpat_1', scope: 'read_orders', token_type: 'bearer' }, repairs: ['token_type defaulted to bearer'] }
 */
export function lenientTokenResponse(body: Readonly<Record<string, unknown>>): {
  body: Record<string, unknown>;
  repairs: TokenResponseRepair[];
} {
  const out: Record<string, unknown> = { ...body };
  const repairs: TokenResponseRepair[] = [];
  const absent = (v: unknown) => v === undefined || v === null || v === '';
  if (absent(out.token_type) && typeof out.access_token === 'string') {
    out.token_type = 'bearer';
    repairs.push('token_type defaulted to bearer');
  }
  if (Object.hasOwn(out, 'expires_in') && absent(out.expires_in)) {
    delete out.expires_in;
    repairs.push('null expires_in dropped');
  }
  if (Object.hasOwn(out, 'refresh_token') && absent(out.refresh_token)) {
    delete out.refresh_token;
    repairs.push('null refresh_token dropped');
  }
  if (Array.isArray(out.scope) && out.scope.every((s) => typeof s === 'string')) {
    out.scope = out.scope.join(' ');
    repairs.push('scope array joined');
  }
  if (Object.hasOwn(out, 'id_token')) {
    delete out.id_token;
    repairs.push('id_token dropped');
  }
  return { body: out, repairs };
}

export type TokenGrant =
  | { grantType: 'refresh_token'; refreshToken: string }
  | { grantType: 'client_credentials'; scopes?: readonly string[] | undefined }
  | { grantType: 'authorization_code'; code: string; redirectUri: string; codeVerifier?: string | undefined };

export interface OAuth2TokenClientOptions {
  platformId: string;
  config: OAuth2AuthConfig;
  client: OAuthClient;
  /** The token endpoint, resolved (see {@link resolveOAuthEndpoint}). */
  tokenUrl: string;
  /** The revocation endpoint, resolved; needed only by `revoke`. */
  revocationUrl?: string | undefined;
  /** Default: `globalThis.fetch`. */
  fetch?: TokenFetch | undefined;
  /** Per request; default {@link DEFAULT_TOKEN_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
  /** More values to keep out of errors and logs (the connection's current credentials). */
  secrets?: (() => readonly string[]) | undefined;
}

interface ReadResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, else the text; `undefined` when empty. */
  body: unknown;
  /** A fresh Response for oauth4webapi, with the lenient repairs applied to a 200 token answer. */
  response: Response;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

const GRANT_WORDS: Record<TokenGrant['grantType'] | 'revocation', { what: string; hint: string }> = {
  refresh_token: { what: 'refreshing the access token', hint: '; the connection must be authorized again' },
  client_credentials: {
    what: 'obtaining an access token (client_credentials)',
    hint: '; check the OAuth client id and secret',
  },
  authorization_code: { what: 'exchanging the authorization code', hint: '; start the authorization again' },
  revocation: { what: 'revoking the token', hint: '' },
};

/**
 * One platform's token and revocation endpoints, for one OAuth client.
 *
 * @example
 * const tokens = await new OAuth2TokenClient({ platformId, config: meta.auth, client, tokenUrl })
 *   .request({ grantType: 'refresh_token', refreshToken });
 */
export class OAuth2TokenClient {
  readonly #options: OAuth2TokenClientOptions;
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #now: () => number;

  /** @throws ConfigurationError when the client id is missing or an endpoint is neither https nor loopback http. */
  constructor(options: OAuth2TokenClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const { platformId, client } = options;
    if (!client.clientId) {
      throw new ConfigurationError(`${platformId}: an OAuth client (oauthClient.clientId) is required`, {
        field: 'oauthClient.clientId',
        platformId,
      });
    }
    checkEndpoint(platformId, 'tokenUrl', options.tokenUrl);
    if (options.revocationUrl !== undefined) checkEndpoint(platformId, 'revocationUrl', options.revocationUrl);
    this.#as = {
      issuer: new URL(options.tokenUrl).origin,
      token_endpoint: options.tokenUrl,
      ...(options.revocationUrl === undefined ? {} : { revocation_endpoint: options.revocationUrl }),
    };
    this.#client = { client_id: client.clientId };
  }

  /**
   * Sends a grant to the token endpoint and reads the tokens. For `refresh_token`, a response without a new
   * refresh token keeps the one sent.
   *
   * @throws AuthenticationError when the endpoint refuses (4xx other than 429, e.g. `invalid_grant`).
   * @throws RateLimitError, ServerError, ApiError for other statuses; ConnectionError / TimeoutError without an
   *   answer; AdapterError for a 200 that is not a usable token response; the signal's reason when aborted.
   */
  async request(grant: TokenGrant, signal?: AbortSignal): Promise<TokenSet> {
    const grantSecrets =
      grant.grantType === 'refresh_token'
        ? [grant.refreshToken]
        : grant.grantType === 'authorization_code'
          ? [grant.code, grant.codeVerifier ?? '']
          : [];
    const url = this.#options.tokenUrl;
    const auth = this.#clientAuth();
    const sent: string[] = [];
    const options = this.#requestOptions(url, signal, sent);
    const started = performance.now();
    let read: ReadResponse;
    try {
      let raw: Response;
      if (grant.grantType === 'refresh_token') {
        raw = await oauth.refreshTokenGrantRequest(this.#as, this.#client, auth, grant.refreshToken, options);
      } else if (grant.grantType === 'client_credentials') {
        const scopes = grant.scopes ?? this.#options.config.scopes;
        const parameters: Record<string, string> =
          scopes.length > 0 ? { scope: scopes.join(this.#options.config.scopeSeparator) } : {};
        raw = await oauth.clientCredentialsGrantRequest(this.#as, this.#client, auth, parameters, options);
      } else {
        // The caller compared `state` (see `statesMatch`); oauth4webapi wants the callback parameters validated.
        const callback = oauth.validateAuthResponse(
          this.#as,
          this.#client,
          new URLSearchParams({ code: grant.code }),
          oauth.skipStateCheck,
        );
        raw = await oauth.authorizationCodeGrantRequest(
          this.#as,
          this.#client,
          auth,
          callback,
          grant.redirectUri,
          grant.codeVerifier ?? oauth.nopkce,
          options,
        );
      }
      read = await this.#read(raw, true);
    } catch (error) {
      throw this.#transportError(error, grant.grantType, url, signal, options.signal, [...grantSecrets, ...sent]);
    }
    this.#options.logger?.debug(
      {
        grantType: grant.grantType,
        url: redactUrl(url),
        status: read.status,
        durationMs: Math.round(performance.now() - started),
      },
      'oauth2 token request',
    );
    let result: oauth.TokenEndpointResponse;
    try {
      result =
        grant.grantType === 'refresh_token'
          ? await oauth.processRefreshTokenResponse(this.#as, this.#client, read.response)
          : grant.grantType === 'client_credentials'
            ? await oauth.processClientCredentialsResponse(this.#as, this.#client, read.response)
            : await oauth.processAuthorizationCodeResponse(this.#as, this.#client, read.response);
    } catch (error) {
      throw this.#responseError(error, read, grant.grantType, url, [...grantSecrets, ...sent]);
    }
    return this.#tokenSet(result, grant.grantType === 'refresh_token' ? grant.refreshToken : undefined);
  }

  /**
   * Revokes a token at the revocation endpoint (RFC 7009). A 200 (or 204) answer means revoked, or already
   * invalid.
   *
   * @throws ConfigurationError when the platform has no revocation endpoint; the errors of `request` otherwise.
   */
  async revoke(
    token: string,
    tokenTypeHint?: 'access_token' | 'refresh_token' | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const { platformId, revocationUrl } = this.#options;
    if (revocationUrl === undefined) {
      throw new ConfigurationError(`${platformId}: the platform has no token revocation endpoint`, {
        field: 'auth.revocationUrl',
        platformId,
      });
    }
    const sent: string[] = [];
    const options = {
      ...this.#requestOptions(revocationUrl, signal, sent),
      ...(tokenTypeHint ? { additionalParameters: { token_type_hint: tokenTypeHint } } : {}),
    };
    let read: ReadResponse;
    try {
      const raw = await oauth.revocationRequest(this.#as, this.#client, this.#clientAuth(), token, options);
      read = await this.#read(raw, false);
    } catch (error) {
      throw this.#transportError(error, 'revocation', revocationUrl, signal, options.signal, [token, ...sent]);
    }
    this.#options.logger?.debug({ url: redactUrl(revocationUrl), status: read.status }, 'oauth2 revocation request');
    if (read.status === 204) return;
    try {
      await oauth.processRevocationResponse(read.response);
    } catch (error) {
      throw this.#responseError(error, read, 'revocation', revocationUrl, [token, ...sent]);
    }
  }

  /** `client_secret_basic` / `client_secret_post` per config; a client without a secret is public (`none`). */
  #clientAuth(): oauth.ClientAuth {
    const secret = this.#options.client.clientSecret;
    if (!secret) return oauth.None();
    return this.#options.config.clientAuth === 'client_secret_basic'
      ? oauth.ClientSecretBasic(secret)
      : oauth.ClientSecretPost(secret);
  }

  /**
   * Options for one oauth4webapi call. `sent` collects the credentials the request carries as sent (the
   * `client_secret_basic` Authorization value, form fields such as `client_assertion`), so an endpoint that echoes
   * them into its error cannot leak them.
   */
  #requestOptions(url: string, signal: AbortSignal | undefined, sent: string[]) {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS);
    const fetch = this.#options.fetch ?? (globalThis.fetch as unknown as TokenFetch);
    const recording: TokenFetch = (target, init) => {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      sent.push(...sentSecrets(headers, init.body instanceof URLSearchParams ? init.body : undefined));
      return fetch(target, init);
    };
    return {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      [oauth.customFetch]: recording,
      // Only ever for plain http to 127.0.0.1 / localhost / [::1]; checkEndpoint refuses http elsewhere.
      ...(isLoopbackHttpUrl(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  #redaction(extra: readonly string[]): RedactionOptions {
    const secrets = [...(this.#options.secrets?.() ?? []), ...extra];
    if (this.#options.client.clientSecret) secrets.push(this.#options.client.clientSecret);
    return { secrets: secrets.filter((s) => s !== '') };
  }

  /** Reads the answer once; rebuilds a Response for oauth4webapi (repaired when it is a 200 token answer). */
  async #read(response: Response, tokenAnswer: boolean): Promise<ReadResponse> {
    const text = await response.text();
    let body: unknown = text === '' ? undefined : text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    let outText = text;
    if (tokenAnswer && response.status === 200) {
      let object = isPlainObject(body) ? body : undefined;
      const repairs: TokenResponseRepair[] = [];
      if (object === undefined && typeof body === 'string' && /^\s*[\w.-]+=/.test(body)) {
        const form = new URLSearchParams(body);
        if (form.has('access_token')) {
          object = Object.fromEntries(form);
          repairs.push('form-encoded body read');
        }
      }
      if (object !== undefined) {
        const fixed = lenientTokenResponse(object);
        repairs.push(...fixed.repairs);
        if (repairs.length > 0) {
          outText = JSON.stringify(fixed.body);
          headers.set('content-type', 'application/json');
          this.#options.logger?.debug({ repairs }, 'oauth2 token response repaired');
        }
      }
    }
    const status = response.status;
    return {
      status,
      headers: Object.fromEntries(response.headers),
      body,
      response: new Response(NULL_BODY_STATUSES.has(status) ? null : outText, {
        status,
        statusText: response.statusText,
        headers,
      }),
    };
  }

  /** No answer: network failure, timeout, the caller's abort, or oauth4webapi refusing to send. */
  #transportError(
    error: unknown,
    grantType: TokenGrant['grantType'] | 'revocation',
    url: string,
    callerSignal: AbortSignal | undefined,
    requestSignal: AbortSignal,
    extraSecrets: readonly string[],
  ): Error {
    const { platformId } = this.#options;
    if (callerSignal?.aborted) return callerSignal.reason as Error;
    // Already typed by our own transport (a private-network host refused, a body over the cap): final as it is.
    if (error instanceof AdapterError) return error;
    const redaction = this.#redaction(extraSecrets);
    const { what } = GRANT_WORDS[grantType];
    const cause = plainCause(error, redaction);
    const code = errorCode(error);
    this.#options.logger?.warn({ grantType, url: redactUrl(url, redaction), code }, 'oauth2 token request failed');
    if (requestSignal.aborted) {
      const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
      return new TimeoutError({
        platformId,
        message: `${what}: no answer within ${timeoutMs} ms`,
        method: 'POST',
        url,
        cause,
        redaction,
        timeoutMs,
      });
    }
    const ownCode = (error as { code?: unknown } | null)?.code;
    if (
      error instanceof oauth.OperationProcessingError ||
      (typeof ownCode === 'string' && ownCode.startsWith('ERR_'))
    ) {
      // oauth4webapi refused to build or send the request (an argument or endpoint it does not accept).
      return new AdapterError(redactString(`${platformId}: ${what} failed: ${cause.message}`, redaction.secrets), {
        platformId,
        cause,
      });
    }
    return new ConnectionError({
      platformId,
      message: `${what}: connection failed${code ? ` (${code})` : ''}`,
      method: 'POST',
      url,
      code,
      cause,
      redaction,
    });
  }

  /** An answer oauth4webapi did not accept: an OAuth error body, another status, or an unusable 200. */
  #responseError(
    error: unknown,
    read: ReadResponse,
    grantType: TokenGrant['grantType'] | 'revocation',
    url: string,
    extraSecrets: readonly string[],
  ): Error {
    const { platformId } = this.#options;
    const redaction = this.#redaction(extraSecrets);
    const cause = plainCause(error, redaction);
    const { what, hint } = GRANT_WORDS[grantType];
    const status = read.status;
    const oauthError = describeOAuthError(read.body);
    this.#options.logger?.info(
      { grantType, url: redactUrl(url, redaction), status, error: oauthError || undefined },
      'oauth2 token endpoint refused',
    );
    if (status === 200) {
      return new AdapterError(
        redactString(
          `${platformId}: ${what}: the answer is not a usable token response (${cause.message})`,
          redaction.secrets,
        ),
        { platformId, cause },
      );
    }
    const init = {
      platformId,
      status,
      headers: read.headers,
      body: read.body,
      method: 'POST',
      url,
      cause,
      redaction,
    };
    if (status >= 400 && status < 500 && status !== 429) {
      return new AuthenticationError({
        ...init,
        message: `${platformId}: ${what} failed (${status}${oauthError ? ` ${oauthError}` : ''})${hint}`,
      });
    }
    return errorFromResponse(init);
  }

  #tokenSet(result: oauth.TokenEndpointResponse, previousRefreshToken: string | undefined): TokenSet {
    const { config } = this.#options;
    const expiresIn = typeof result.expires_in === 'number' && result.expires_in > 0 ? result.expires_in : undefined;
    const lifetime = expiresIn ?? config.refresh.defaultExpiresInSeconds;
    const refreshToken =
      typeof result.refresh_token === 'string' && result.refresh_token !== ''
        ? result.refresh_token
        : previousRefreshToken;
    const extra: Record<string, string> = {};
    for (const field of config.tokenResponseFields) {
      const value = result[field];
      if (typeof value === 'string' || typeof value === 'number') extra[camelCase(field)] = String(value);
    }
    const tokens: TokenSet = { accessToken: result.access_token };
    if (refreshToken !== undefined && refreshToken !== '') tokens.refreshToken = refreshToken;
    if (lifetime !== undefined) tokens.expiresAt = this.#now() + lifetime * 1000;
    if (Object.keys(extra).length > 0) tokens.extra = extra;
    return tokens;
  }
}

function checkEndpoint(platformId: string, name: OAuthEndpoint, url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol === 'https:' || (parsed !== undefined && isLoopbackHttpUrl(url))) return;
  throw new ConfigurationError(`${platformId}: ${name} must be an https:// URL (http:// only for loopback hosts)`, {
    field: `oauthClient.${name}`,
    platformId,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const nested = ((error as { cause?: unknown } | null)?.cause as { code?: unknown } | undefined)?.code;
  return typeof nested === 'string' ? nested : undefined;
}

/** A copy of an error with only its name, code and (redacted) message: oauth4webapi's `cause` may hold tokens. */
function plainCause(error: unknown, redaction: RedactionOptions): Error & { code?: string | undefined } {
  const message = error instanceof Error ? error.message : String(error);
  const copy = new Error(redactString(message, redaction.secrets)) as Error & { code?: string | undefined };
  copy.name = error instanceof Error ? error.name : 'Error';
  const code = errorCode(error);
  if (code !== undefined) copy.code = code;
  return copy;
}

/** The OAuth `error` code of an error body, when it is a plain token (never free text). */
function describeOAuthError(body: unknown): string {
  if (!isPlainObject(body)) return '';
  const error = body.error;
  return typeof error === 'string' && /^[\w.-]{1,64}$/.test(error) ? error : '';
}
