/**
 * Google service accounts (RFC 7523 JWT bearer grant, as https://developers.google.com/identity/protocols/oauth2/service-account
 * describes): a JWT signed RS256 with the account's private key (`iss` = client e-mail, `scope`, `aud` = token URL,
 * one hour), exchanged at the token URL for an access token that is then sent like an OAuth2 bearer token. The
 * JWT is signed with `jose`, the exchange goes through `oauth4webapi`; renewal is single-flight and happens before
 * expiry and once after a 401.
 */
import { importPKCS8, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { AdapterError, AuthenticationError, ConfigurationError, ConnectionError } from '../errors.js';
import type { AuthConfig } from '../platform-schema.js';
import { redactString } from '../secret-redaction.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';
import { isLoopbackHttpUrl } from './oauth2-token-client.js';

export type GoogleServiceAccountAuthConfig = Extract<AuthConfig, { kind: 'google_service_account' }>;

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Renew this long before the token expires. */
const SKEW_MS = 60_000;

export interface GoogleServiceAccountAuthOptions {
  config: GoogleServiceAccountAuthConfig;
  store: CredentialStore;
  /** The token URL with placeholders filled. */
  tokenUrl: string;
  fetch?: typeof globalThis.fetch | undefined;
  now?: (() => number) | undefined;
}

/**
 * @example
 * const auth = new GoogleServiceAccountAuth({ config: meta.auth, store, tokenUrl: meta.auth.tokenUrl });
 * await auth.apply(target); // Authorization: Bearer ya29.…
 */
export class GoogleServiceAccountAuth implements AuthStrategy {
  readonly kind = 'google_service_account' as const;
  readonly sensitiveNames: readonly string[];
  readonly #options: GoogleServiceAccountAuthOptions;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<void> | undefined;
  #version = 0;

  constructor(options: GoogleServiceAccountAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.sensitiveNames = [options.config.header.name];
  }

  async apply(target: AuthTarget, signal?: AbortSignal): Promise<void> {
    if (!this.#token || this.#token.expiresAt - SKEW_MS <= this.#now()) await this.#renew(signal);
    target.credentialVersion = this.#version;
    const { name, value } = this.#options.config.header;
    target.headers[name] = value.replace('{accessToken}', (this.#token as { value: string }).value);
  }

  async recover(target: AuthTarget, signal?: AbortSignal): Promise<boolean> {
    // Another caller already renewed the token this request carried: just send it again.
    if (target.credentialVersion !== this.#version) return true;
    await this.#renew(signal);
    return true;
  }

  #renew(signal?: AbortSignal): Promise<void> {
    this.#pending ??= this.#exchange(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #exchange(signal?: AbortSignal): Promise<void> {
    const { config, store, tokenUrl } = this.#options;
    const clientEmail = store.render('{clientEmail}', 'the service-account JWT');
    // A PEM key has line breaks, so it is read as is rather than rendered into a header template.
    const privateKey = store.credential('privateKey') ?? '';
    if (privateKey === '') {
      throw new ConfigurationError(
        `${store.platformId}: credentials.privateKey is required for the service-account JWT`,
        {
          field: 'credentials.privateKey',
          platformId: store.platformId,
        },
      );
    }
    const subject = store.credential('subject');
    const issuedAt = Math.floor(this.#now() / 1000);
    let assertion: string;
    try {
      const key = await importPKCS8(privateKey.replace(/\\n/g, '\n'), 'RS256');
      let jwt = new SignJWT({ scope: config.scopes.join(' ') })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .setIssuer(clientEmail)
        .setAudience(tokenUrl)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 3600);
      if (subject) jwt = jwt.setSubject(subject);
      assertion = await jwt.sign(key);
    } catch (error) {
      throw new ConfigurationError(`${store.platformId}: credentials.privateKey is not a PKCS#8 RSA private key`, {
        field: 'credentials.privateKey',
        platformId: store.platformId,
        cause: new Error((error as Error).name),
      });
    }
    const as: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl };
    const client: oauth.Client = { client_id: clientEmail };
    const options = {
      signal,
      ...(this.#options.fetch ? { [oauth.customFetch]: this.#options.fetch } : {}),
      ...(isLoopbackHttpUrl(tokenUrl) ? { [oauth.allowInsecureRequests]: true } : {}),
    };
    try {
      const response = await oauth.genericTokenEndpointRequest(
        as,
        client,
        oauth.None(),
        JWT_BEARER,
        { assertion },
        options,
      );
      const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
      this.#token = { value: tokens.access_token, expiresAt: this.#now() + (tokens.expires_in ?? 3600) * 1000 };
      this.#version++;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof AdapterError) throw error; // typed by our own transport (guard, body cap)
      if (!(error instanceof oauth.ResponseBodyError)) {
        // No usable answer (network failure, a non-JSON or non-200 body): typed, and without oauth4webapi's cause,
        // which can hold the whole response.
        const message = redactString(error instanceof Error ? error.message : String(error), [assertion, privateKey]);
        throw new ConnectionError({
          platformId: store.platformId,
          message: `the service-account token exchange failed (${message})`,
          method: 'POST',
          url: tokenUrl,
          code:
            (error as { code?: unknown })?.code === undefined ? undefined : String((error as { code?: unknown }).code),
          redaction: { secrets: [assertion, privateKey] },
        });
      }
      throw new AuthenticationError({
        platformId: store.platformId,
        status: error.status,
        body: { error: error.error },
        message: `${store.platformId}: the service-account token exchange failed (${error.status} ${error.error})`,
        redaction: { secrets: [assertion, privateKey] },
      });
    }
  }
}
