/**
 * The options every platform emulator takes, resolved in one place: seeded records, clock, API version, whether the
 * documented rate limit is on, the control fields every emulator exposes, and for OAuth platforms the token issuer
 * and its control fields. An emulator names only its own defaults (and its own rate-limit settings).
 */
import type { Clock } from './emulator-clock.js';
import {
  copyRecords,
  type EmulatorControl,
  type EmulatorCounters,
  newCounters,
  type OAuthEmulatorControl,
  type PlatformResponses,
} from './emulator-control.js';
import { TokenIssuer } from './oauth-token-issuer.js';

/** Records seeded per collection when the options name no number. */
export const DEFAULT_SEEDED_RECORDS = 25;

/** Options every platform emulator takes. */
export interface CommonEmulatorOptions {
  /** Records seeded per collection (default 25). */
  records?: number;
  /** Clock, epoch ms (default `Date.now`); inject `manualClock().now` in tests. */
  now?: Clock;
}

/**
 * Options of an OAuth platform's emulator: the client and tokens its authorization server knows. Each emulator
 * documents its defaults (the platform's token shapes and lifetimes).
 */
export interface OAuthEmulatorOptions extends CommonEmulatorOptions {
  /** The access token valid from the start. */
  accessToken?: string;
  /** The refresh token valid from the start. */
  refreshToken?: string;
  clientId?: string;
  clientSecret?: string;
  /** Access-token lifetime, seconds; `null` = non-expiring. */
  accessTokenLifetimeSeconds?: number | null;
  /** Whether refreshing replaces the refresh token (the old one stops working). */
  rotateRefreshTokens?: boolean;
}

/** An emulator's own rate-limit settings, or `false` to turn the limit off. */
type RateLimitOption = false | object | undefined;

/** Options as an emulator reads them once resolved. */
export interface ResolvedEmulatorOptions<L extends object> {
  /** Records seeded per collection. */
  records: number;
  now: Clock;
  /** The emulator's counters (a fresh object). */
  counters: EmulatorCounters;
  /** The API version in the emulator's paths (the option, else the emulator's default, else `''`). */
  apiVersion: string;
  /** Whether the documented rate limit starts enforced (`rateLimit: false` turns it off). */
  rateLimitEnabled: boolean;
  /** The emulator's own rate-limit settings (`{}` when none are given or the limit is off). */
  limits: Partial<L>;
}

/**
 * Resolves the options every emulator shares.
 *
 * @example
 * const { records, now, counters, apiVersion, limits } = resolveEmulatorOptions(options, { apiVersion: '2026-10' });
 * const bucket = new LeakyBucket({ capacity: limits.capacity ?? 40, leakPerSecond: limits.leakPerSecond ?? 2, now });
 */
export function resolveEmulatorOptions<
  O extends CommonEmulatorOptions & { apiVersion?: string; rateLimit?: RateLimitOption },
>(
  options: O,
  defaults: { apiVersion?: string } = {},
): ResolvedEmulatorOptions<Exclude<O['rateLimit'], false | undefined>> {
  return {
    records: options.records ?? DEFAULT_SEEDED_RECORDS,
    now: options.now ?? Date.now,
    counters: newCounters(),
    apiVersion: options.apiVersion ?? defaults.apiVersion ?? '',
    rateLimitEnabled: options.rateLimit !== false,
    limits: (options.rateLimit || {}) as Partial<Exclude<O['rateLimit'], false | undefined>>,
  };
}

/**
 * The control fields every emulator has, over its record collections.
 *
 * @example
 * const control: ShopifyEmulatorControl = {
 *   ...emulatorControl('shopify', resolved, { store, resetRateLimits: () => bucket.reset(), responses }),
 *   ...oauthControl(tokens, '/admin/oauth/access_token'),
 *   webhooks: () => copyRecords(webhooks),
 * };
 */
export function emulatorControl(
  platform: string,
  resolved: Pick<ResolvedEmulatorOptions<object>, 'now' | 'counters' | 'rateLimitEnabled'>,
  parts: {
    /** The emulator's records per collection (served in this order). */
    store: ReadonlyMap<string, readonly Record<string, unknown>[]>;
    resetRateLimits(): void;
    responses: PlatformResponses;
  },
): EmulatorControl {
  return {
    platform,
    now: resolved.now,
    counters: resolved.counters,
    rateLimitEnabled: resolved.rateLimitEnabled,
    resetRateLimits: parts.resetRateLimits,
    collections: () => [...parts.store.keys()],
    records: (collection) => copyRecords(parts.store.get(collection)),
    responses: parts.responses,
  };
}

/** A platform's token defaults: what its emulator issues when the options do not say. */
export interface TokenDefaults {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds; the option's `null` means non-expiring. */
  accessTokenLifetimeSeconds: number;
  rotateRefreshTokens: boolean;
  /** Options the platform does not let a caller change (Meta has no refresh tokens; Google never rotates them). */
  fixed?: ReadonlyArray<'refreshToken' | 'rotateRefreshTokens'>;
}

/**
 * The token issuer of an OAuth platform's emulator: the options over the platform's defaults.
 *
 * @example
 * const tokens = oauthTokenIssuer(now, options, { clientId: 'c', clientSecret: 's', accessToken: 'a',
 *   refreshToken: 'r', accessTokenLifetimeSeconds: 1800, rotateRefreshTokens: false });
 */
export function oauthTokenIssuer(now: Clock, options: OAuthEmulatorOptions, defaults: TokenDefaults): TokenIssuer {
  const fixed = new Set(defaults.fixed ?? []);
  const lifetime = options.accessTokenLifetimeSeconds;
  return new TokenIssuer({
    now,
    clientId: options.clientId ?? defaults.clientId,
    clientSecret: options.clientSecret ?? defaults.clientSecret,
    accessToken: options.accessToken ?? defaults.accessToken,
    refreshToken: (fixed.has('refreshToken') ? undefined : options.refreshToken) ?? defaults.refreshToken,
    accessTokenLifetimeSeconds: lifetime === null ? undefined : (lifetime ?? defaults.accessTokenLifetimeSeconds),
    rotateRefreshTokens:
      (fixed.has('rotateRefreshTokens') ? undefined : options.rotateRefreshTokens) ?? defaults.rotateRefreshTokens,
  });
}

/**
 * The control fields of an OAuth emulator: its tokens, its token endpoint's path, and expiry on demand.
 *
 * @example
 * const control = { ...emulatorControl('hubspot', resolved, parts), ...oauthControl(tokens, '/oauth/2026-03/token') };
 * control.expireTokens(); // the next API call gets the platform's expired-token answer
 */
export function oauthControl(
  tokens: TokenIssuer,
  tokenPath: string,
): Pick<OAuthEmulatorControl, 'tokens' | 'tokenPath' | 'expireTokens'> {
  return { tokens, tokenPath, expireTokens: () => tokens.expireAll() };
}
