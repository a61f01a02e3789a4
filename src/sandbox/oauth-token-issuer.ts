/**
 * Access and refresh tokens as an OAuth platform's authorization server keeps them: issued with a lifetime read from
 * the emulator's clock, refreshed (rotating the refresh token where the platform does), exchanged for a fixed test
 * authorization code (checking PKCE when a challenge was registered), and expired on demand by tests.
 *
 * The platform emulators wrap this in their own token-endpoint paths, parameters and error shapes.
 */
import { createHash } from 'node:crypto';
import type { Clock } from './emulator-clock.js';

/** The authorization code every OAuth emulator accepts (single use per registered challenge is not enforced). */
export const TEST_AUTHORIZATION_CODE = 'emulator-authorization-code';

export interface TokenIssuerOptions {
  now: Clock;
  clientId: string;
  clientSecret: string;
  /** The access token valid from the start (what the CLI prints and tests pass as credentials). */
  accessToken: string;
  /** The refresh token valid from the start. */
  refreshToken: string;
  /** Lifetime of issued access tokens (the initial one included), seconds; `undefined` = never expires. */
  accessTokenLifetimeSeconds: number | undefined;
  /** Whether a refresh replaces the refresh token (the old one stops working). */
  rotateRefreshTokens: boolean;
}

export type TokenCheck =
  | { state: 'valid' }
  | { state: 'expired'; expiredAt: number }
  | { state: 'invalid' }
  | { state: 'missing' };

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds, or `undefined` for a token that does not expire. */
  expiresIn: number | undefined;
  /** Whether the refresh token is new in this answer. */
  refreshTokenRotated: boolean;
}

export type GrantResult =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; error: 'invalid_client' | 'invalid_grant'; description: string };

interface Challenge {
  challenge: string;
  method: 'S256' | 'plain';
}

/**
 * @example
 * const issuer = new TokenIssuer({ now: Date.now, clientId: 'id', clientSecret: 's', accessToken: 'a0',
 *   refreshToken: 'r0', accessTokenLifetimeSeconds: 1800, rotateRefreshTokens: false });
 * issuer.check('a0'); // { state: 'valid' }
 * issuer.expireAll();
 * issuer.check('a0'); // { state: 'expired', … }
 * issuer.refresh('r0', { clientId: 'id', clientSecret: 's' }); // { ok: true, tokens: { accessToken: 'a0-2', … } }
 */
export class TokenIssuer {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly lifetimeSeconds: number | undefined;
  readonly rotates: boolean;
  readonly #now: Clock;
  /** access token → expiry (epoch ms, or Infinity). */
  readonly #access = new Map<string, number>();
  readonly #refresh = new Set<string>();
  readonly #initialAccess: string;
  readonly #initialRefresh: string;
  #sequence = 1;
  #challenge: Challenge | undefined;
  #current: { accessToken: string; refreshToken: string };

  constructor(options: TokenIssuerOptions) {
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.lifetimeSeconds = options.accessTokenLifetimeSeconds;
    this.rotates = options.rotateRefreshTokens;
    this.#now = options.now;
    this.#initialAccess = options.accessToken;
    this.#initialRefresh = options.refreshToken;
    this.#access.set(options.accessToken, this.#expiry());
    this.#refresh.add(options.refreshToken);
    this.#current = { accessToken: options.accessToken, refreshToken: options.refreshToken };
  }

  /** The most recently issued access and refresh tokens. */
  get current(): { accessToken: string; refreshToken: string } {
    return { ...this.#current };
  }

  #expiry(): number {
    return this.lifetimeSeconds === undefined ? Number.POSITIVE_INFINITY : this.#now() + this.lifetimeSeconds * 1000;
  }

  /** Whether an access token is known and unexpired. */
  check(token: string | undefined): TokenCheck {
    if (token === undefined || token === '') return { state: 'missing' };
    const expiresAt = this.#access.get(token);
    if (expiresAt === undefined) return { state: 'invalid' };
    if (this.#now() >= expiresAt) return { state: 'expired', expiredAt: expiresAt };
    return { state: 'valid' };
  }

  /** Every access token issued so far expires now (refresh tokens keep working). */
  expireAll(): void {
    const now = this.#now();
    for (const [token, expiresAt] of this.#access) if (expiresAt > now) this.#access.set(token, now);
  }

  /** Registers a PKCE challenge for the fixed test authorization code; returns that code. */
  registerCodeChallenge(challenge: string, method: 'S256' | 'plain' = 'S256'): string {
    this.#challenge = { challenge, method };
    return TEST_AUTHORIZATION_CODE;
  }

  /** Checks client credentials (`client_secret` optional when `requireSecret` is false). */
  authenticateClient(clientId: string | undefined, clientSecret: string | undefined, requireSecret = true): boolean {
    if (clientId !== this.clientId) return false;
    if (clientSecret === undefined) return !requireSecret;
    return clientSecret === this.clientSecret;
  }

  #issue(previousRefresh: string | undefined): IssuedTokens {
    this.#sequence += 1;
    const accessToken = `${this.#initialAccess}-${this.#sequence}`;
    this.#access.set(accessToken, this.#expiry());
    let refreshToken = previousRefresh ?? this.#initialRefresh;
    let rotated = false;
    if (previousRefresh === undefined || this.rotates) {
      refreshToken = `${this.#initialRefresh}-${this.#sequence}`;
      if (previousRefresh !== undefined) this.#refresh.delete(previousRefresh);
      this.#refresh.add(refreshToken);
      rotated = true;
    }
    this.#current = { accessToken, refreshToken };
    return { accessToken, refreshToken, expiresIn: this.lifetimeSeconds, refreshTokenRotated: rotated };
  }

  /** The `refresh_token` grant. */
  refresh(refreshToken: string | undefined, client: { clientId?: string; clientSecret?: string }): GrantResult {
    if (!this.authenticateClient(client.clientId, client.clientSecret)) {
      return { ok: false, error: 'invalid_client', description: 'unknown client or wrong client secret' };
    }
    if (refreshToken === undefined || !this.#refresh.has(refreshToken)) {
      return { ok: false, error: 'invalid_grant', description: 'missing, unknown or already used refresh token' };
    }
    return { ok: true, tokens: this.#issue(refreshToken) };
  }

  /** The `authorization_code` grant for {@link TEST_AUTHORIZATION_CODE}, with PKCE when a challenge is registered. */
  exchangeCode(
    code: string | undefined,
    verifier: string | undefined,
    client: { clientId?: string; clientSecret?: string },
  ): GrantResult {
    if (!this.authenticateClient(client.clientId, client.clientSecret)) {
      return { ok: false, error: 'invalid_client', description: 'unknown client or wrong client secret' };
    }
    if (code !== TEST_AUTHORIZATION_CODE) {
      return { ok: false, error: 'invalid_grant', description: 'unknown or expired authorization code' };
    }
    const registered = this.#challenge;
    if (registered) {
      if (!verifier) return { ok: false, error: 'invalid_grant', description: 'code_verifier is required' };
      const computed =
        registered.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (computed !== registered.challenge) {
        return { ok: false, error: 'invalid_grant', description: 'code_verifier does not match the code_challenge' };
      }
      this.#challenge = undefined;
    }
    return { ok: true, tokens: this.#issue(undefined) };
  }

  /** Issues a new access token without a refresh grant (Meta's long-lived token exchange). */
  exchangeAccessToken(accessToken: string | undefined, client: { clientId?: string; clientSecret?: string }) {
    if (!this.authenticateClient(client.clientId, client.clientSecret)) {
      return { ok: false as const, error: 'invalid_client' as const, description: 'unknown client' };
    }
    const state = this.check(accessToken).state;
    if (state !== 'valid') {
      return { ok: false as const, error: 'invalid_grant' as const, description: `the access token is ${state}` };
    }
    this.#sequence += 1;
    const token = `${this.#initialAccess}-${this.#sequence}`;
    this.#access.set(token, this.#expiry());
    this.#current = { ...this.#current, accessToken: token };
    return { ok: true as const, accessToken: token, expiresIn: this.lifetimeSeconds };
  }
}
