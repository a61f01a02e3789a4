/**
 * Where rate-limit budgets live. A budget is a GCRA ("virtual scheduling") state: one number per key, the
 * theoretical arrival time (TAT) — the instant at which the key's backlog would be fully drained. Every variant
 * (`memory-rate-limit-store.ts`, `postgres-rate-limit-store.ts`) implements the same two atomic operations, so a
 * budget means the same thing in one process and across many.
 */

/**
 * What one attempt to take from a budget answered: a slot, to be used `delayMs` from now (0: at once), or no slot,
 * and how long until the request would fit.
 */
export type TakeResult = { allowed: true; delayMs: number } | { allowed: false; waitMs: number };

/** One budget step, in milliseconds of backlog. */
export interface TakeRequest {
  /** Backlog one request adds: its cost in units times the budget's `unitMs` (1000 / rate). */
  costMs: number;
  /** The most backlog the budget tolerates after this request (capacity × unitMs, less a safety margin). */
  limitMs: number;
  /**
   * Reserve a slot up to this far in the future (default 0: only a slot usable now). The caller then waits
   * `delayMs` before sending: one atomic step per request instead of polling, and exact timing.
   */
  maxDelayMs?: number | undefined;
}

/**
 * The store contract. Both operations are atomic per key, whichever process calls them.
 *
 * @example
 * const store = new MemoryRateLimitStore();
 * const r = await store.take('shopify:t1:3f2a', { costMs: 500, limitMs: 20_000, maxDelayMs: 60_000 });
 * if (r.allowed) { await sleep(r.delayMs); await send(); }
 */
export interface RateLimitStore {
  /** Short name for logs: `memory`, `postgres`. */
  readonly kind: string;
  /**
   * `backlog = max(tat, now) - now` and `need = backlog + costMs - limitMs`. When `need <= maxDelayMs` the slot is
   * taken (`tat = now + backlog + costMs`) and may be used `delayMs = max(need, 0)` from now; otherwise nothing
   * changes and `waitMs = need`.
   */
  take(key: string, request: TakeRequest): Promise<TakeResult>;
  /** `tat = max(tat, now + backlogMs)`: the key's backlog becomes at least `backlogMs` (platform feedback, pauses). */
  raise(key: string, backlogMs: number): Promise<void>;
  /** The key's current backlog in ms (0 when idle); for tests, metrics and benchmarks. */
  backlog(key: string): Promise<number>;
  /** Releases timers (and, for stores that own them, connections). */
  close(): Promise<void>;
}
