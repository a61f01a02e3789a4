/** The default store: budgets in this process's memory, shared by every adapter in it that uses the same key. */
import type { RateLimitStore, TakeRequest, TakeResult } from './rate-limit-store.js';

export interface MemoryRateLimitStoreOptions {
  /** Epoch ms; injected in tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Keys idle for this long are dropped (their backlog is long gone). */
const IDLE_DROP_MS = 60 * 60 * 1000;
const SWEEP_EVERY = 1024;
/** Budgets are fractional ms added to epoch ms (a double there resolves ~0.25 µs): a request that fits to within a µs is allowed. */
const EPSILON_MS = 1e-3;

/**
 * @example
 * const store = new MemoryRateLimitStore();
 * const adapter = new ShopifyAdapter({ credentials, connectionConfig, rateLimitStore: store });
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #now: () => number;
  readonly #tat = new Map<string, number>();
  #operations = 0;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async take(key: string, { costMs, limitMs, maxDelayMs = 0 }: TakeRequest): Promise<TakeResult> {
    const now = this.#now();
    this.#sweep(now);
    const backlog = Math.max((this.#tat.get(key) ?? now) - now, 0);
    const need = backlog + costMs - limitMs;
    if (need <= maxDelayMs + EPSILON_MS) {
      this.#tat.set(key, now + backlog + costMs);
      return { allowed: true, delayMs: need > EPSILON_MS ? need : 0 };
    }
    return { allowed: false, waitMs: need };
  }

  async raise(key: string, backlogMs: number): Promise<void> {
    const now = this.#now();
    const tat = this.#tat.get(key) ?? now;
    this.#tat.set(key, Math.max(tat, now + backlogMs));
  }

  async backlog(key: string): Promise<number> {
    const now = this.#now();
    return Math.max((this.#tat.get(key) ?? now) - now, 0);
  }

  async close(): Promise<void> {
    this.#tat.clear();
  }

  #sweep(now: number): void {
    if (++this.#operations % SWEEP_EVERY !== 0) return;
    for (const [key, tat] of this.#tat) if (tat < now - IDLE_DROP_MS) this.#tat.delete(key);
  }
}

/** The process-wide default store, so that every adapter of a connection (or of an app) shares one budget. */
export const defaultMemoryRateLimitStore: RateLimitStore = new MemoryRateLimitStore();
