/** The rate limiter an adapter gets from its platform config and options. */
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../platform-schema.js';
import type { SleepFunction } from '../retry/abortable-sleep.js';
import { defaultMemoryRateLimitStore } from './memory-rate-limit-store.js';
import { rateLimitKey } from './rate-limit-key.js';
import type { RateLimitPolicyOptions } from './rate-limit-policy.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { type RateLimiter, unlimitedRateLimiter } from './rate-limiter.js';
import { StoreRateLimiter } from './store-rate-limiter.js';

export interface CreateRateLimiterInput extends RateLimitPolicyOptions {
  platformId: string;
  config: RateLimitConfig;
  tenantId?: string | undefined;
  connectionConfig?: Readonly<Record<string, unknown>> | undefined;
  /** A ready limiter to use as is, or `false` for none. */
  rateLimiter?: RateLimiter | false | undefined;
  /** Where budgets live. Default: this process's memory (shared by all adapters in it). */
  store?: RateLimitStore | undefined;
  /** Overrides the derived key (connection scope only; app scope is always the platform id). */
  key?: string | undefined;
  maxWaitMs?: number | undefined;
  sleep?: SleepFunction | undefined;
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

/**
 * @example
 * const limiter = createRateLimiter({ platformId: meta.id, config: meta.rateLimit, tenantId: 't1',
 *   connectionConfig: { shop: 'acme' }, store: new PostgresRateLimitStore({ pool }) });
 */
export function createRateLimiter(input: CreateRateLimiterInput): RateLimiter {
  if (input.rateLimiter === false) return unlimitedRateLimiter;
  if (input.rateLimiter) return input.rateLimiter;
  const key =
    input.config.scope === 'connection' && input.key
      ? `${input.platformId}:${input.key}`
      : rateLimitKey({
          platformId: input.platformId,
          scope: input.config.scope,
          tenantId: input.tenantId,
          connectionConfig: input.connectionConfig,
        });
  return new StoreRateLimiter({
    ...input,
    key,
    store: input.store ?? defaultMemoryRateLimitStore,
  });
}
