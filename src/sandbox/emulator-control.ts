/**
 * What a test (or the `engarde sandbox` command) can see and steer in a running platform emulator: its clock,
 * request counters, rate limiting, records, and for OAuth platforms its tokens.
 */
import type { Clock } from './emulator-clock.js';
import type { EmulatorHandler, EmulatorRequest, EmulatorResponse } from './emulator-server.js';
import type { TokenIssuer } from './oauth-token-issuer.js';

export interface EmulatorCounters {
  /** Requests the platform logic saw (requests answered by an injected fault never reach it). */
  requests: number;
  /** Requests to the token endpoint. */
  tokenRequests: number;
  /** Requests refused by the emulated rate limit. */
  rateLimited: number;
}

/** The platform's own answers, used by `withFaults` so that injected faults look like the platform's. */
export interface PlatformResponses {
  /** What the platform answers when its rate limit is exceeded (status and shape as documented). */
  rateLimited(): EmulatorResponse;
  /** A server error in the platform's error shape. */
  serverError(status: number): EmulatorResponse;
  /** What the platform answers for an expired access token (or a bad key where keys do not expire). */
  tokenExpired(): EmulatorResponse;
}

export interface EmulatorControl {
  /** Platform id (`stripe`, `shopify`, …). */
  readonly platform: string;
  /** The emulator's clock (epoch ms). */
  readonly now: Clock;
  readonly counters: EmulatorCounters;
  /** Whether the documented rate limit is enforced (tests that do not care turn it off). */
  rateLimitEnabled: boolean;
  /** Forgets rate-limit usage. */
  resetRateLimits(): void;
  /** Names of the record collections (`customers`, `Contact`, `campaign`, …). */
  collections(): string[];
  /** A copy of a collection's current records, deleted ones included (with the platform's deleted marker). */
  records(collection: string): Record<string, unknown>[];
  readonly responses: PlatformResponses;
}

export interface OAuthEmulatorControl extends EmulatorControl {
  readonly tokens: TokenIssuer;
  /** Path of the platform's token endpoint on the emulator's origin (e.g. `/oauth/2026-03/token`). */
  readonly tokenPath: string;
  /** Expires every access token issued so far: the next API call gets the platform's expired-token answer. */
  expireTokens(): void;
}

export type PlatformEmulator<C extends EmulatorControl = EmulatorControl> = EmulatorHandler & { control: C };

/** Builds a platform emulator: the handler, with its control attached. */
export function platformEmulator<C extends EmulatorControl>(
  handle: (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>,
  control: C,
): PlatformEmulator<C> {
  const handler = ((request: EmulatorRequest) => handle(request)) as PlatformEmulator<C>;
  handler.control = control;
  return handler;
}

/** Deep copies of records (callers must not change the emulator's state through them). */
export function copyRecords(rows: readonly Record<string, unknown>[] | undefined): Record<string, unknown>[] {
  return rows ? structuredClone(rows as Record<string, unknown>[]) : [];
}

/** A mutable counters object. */
export function newCounters(): EmulatorCounters {
  return { requests: 0, tokenRequests: 0, rateLimited: 0 };
}
