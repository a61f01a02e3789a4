/**
 * Rate-limit waits, counted without touching the runtime: the service hands each adapter its rate-limit store
 * wrapped in this, which counts every slot the store grants for later (`delayMs > 0`: the limiter sleeps that long
 * before sending) as a wait of the adapter's platform (`engarde_rate_limit_waits_total`,
 * `engarde_rate_limit_wait_seconds_total`). A request held by two of a platform's budgets at once (a per-second and a
 * daily one) counts a wait for each; a refusal (`RateLimitWaitError`, the wait too long) is not a wait.
 */
import type { RateLimitStore, TakeRequest, TakeResult } from '../runtime/rate-limit/rate-limit-store.js';
import { recordRateLimitWait } from './metrics.js';

/**
 * @example
 * const rateLimitStore = new MeteredRateLimitStore(ctx.rateLimitStore ?? defaultMemoryRateLimitStore, 'shopify');
 */
export class MeteredRateLimitStore implements RateLimitStore {
  readonly #inner: RateLimitStore;
  readonly #platform: string;

  constructor(inner: RateLimitStore, platform: string) {
    this.#inner = inner;
    this.#platform = platform;
  }

  get kind(): string {
    return this.#inner.kind;
  }

  async take(key: string, request: TakeRequest): Promise<TakeResult> {
    const result = await this.#inner.take(key, request);
    if (result.allowed && result.delayMs > 0) recordRateLimitWait(this.#platform, result.delayMs);
    return result;
  }

  raise(key: string, backlogMs: number): Promise<void> {
    return this.#inner.raise(key, backlogMs);
  }

  backlog(key: string): Promise<number> {
    return this.#inner.backlog(key);
  }

  /** The wrapped store is shared and belongs to whoever made it: closing the wrapper leaves it open. */
  async close(): Promise<void> {}
}
