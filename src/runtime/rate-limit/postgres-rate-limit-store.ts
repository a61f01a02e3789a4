/**
 * Budgets in Postgres, so that several worker processes (or machines) share one budget per key.
 *
 * One table, created on first use: `(key text primary key, tat double precision)`. Each `take` is a single
 * `INSERT … ON CONFLICT DO UPDATE … WHERE` statement, so it is atomic under concurrency without explicit locks or
 * transactions, and it reads the database's clock (`clock_timestamp()`), so processes whose clocks disagree still
 * agree on every budget.
 */
import { AdapterError } from '../errors.js';
import type { RateLimitStore, TakeRequest, TakeResult } from './rate-limit-store.js';

/**
 * The part of a `pg.Pool` the store uses (a `pg.Client` works too, for one process). Declared here rather than taken
 * from `pg`'s types, so a program that imports the runtime type-checks without installing `pg`.
 */
export interface PostgresQueryable {
  query<R extends object = Record<string, unknown>>(
    query: string | { name?: string; text: string; values?: unknown[] },
  ): Promise<{ rows: R[] }>;
}

export interface PostgresRateLimitStoreOptions {
  /** The pool (or client) to run queries on. The store never ends it: its owner does. */
  pool: PostgresQueryable;
  /** Default `engarde_rate_limits`. */
  tableName?: string | undefined;
  /** Default: the connection's `search_path` (usually `public`). */
  schemaName?: string | undefined;
  /** Rows whose budget has been idle this long are deleted, at start and every 10 minutes. Default one hour. */
  pruneAfterMs?: number | undefined;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::float8';
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const rateLimitStore = new PostgresRateLimitStore({ pool });
 * const shopify = new ShopifyAdapter({ credentials, connectionConfig, rateLimitStore });
 * // … every worker process that does the same shares Shopify's 40-request bucket per shop.
 * await rateLimitStore.close(); await pool.end();
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly kind = 'postgres';
  readonly #pool: PostgresQueryable;
  readonly #table: string;
  readonly #statementPrefix: string;
  readonly #pruneAfterMs: number;
  #ready: Promise<void> | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PostgresRateLimitStoreOptions) {
    const table = options.tableName ?? 'engarde_rate_limits';
    for (const [what, name] of [
      ['tableName', table],
      ['schemaName', options.schemaName],
    ] as const) {
      if (name !== undefined && !IDENTIFIER.test(name))
        throw new AdapterError(`PostgresRateLimitStore: ${what} must be a plain SQL identifier, got "${name}"`);
    }
    this.#pool = options.pool;
    this.#table = options.schemaName ? `"${options.schemaName}"."${table}"` : `"${table}"`;
    this.#statementPrefix = `engarde-rl:${options.schemaName ?? ''}.${table}`;
    this.#pruneAfterMs = options.pruneAfterMs ?? 60 * 60 * 1000;
  }

  /**
   * Creates the table if needed. Called by every operation; call it yourself to fail fast at start-up.
   * A failure is not cached: the next operation tries again.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new AdapterError('PostgresRateLimitStore: the store is closed'));
    this.#ready ??= this.#createTable().then(
      () => this.#startPruning(),
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async take(key: string, { costMs, limitMs, maxDelayMs = 0 }: TakeRequest): Promise<TakeResult> {
    await this.ready();
    const t = this.#table;
    const result = await this.#pool.query<{ granted: number | null; now: number; tat: number | null }>({
      name: `${this.#statementPrefix}:take`,
      text: `WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now),
        up AS (
          INSERT INTO ${t} AS t (key, tat) SELECT $1, clock.now + $2 FROM clock
          ON CONFLICT (key) DO UPDATE SET tat = GREATEST(t.tat, EXCLUDED.tat - $2) + $2
            WHERE GREATEST(t.tat, EXCLUDED.tat - $2) - (EXCLUDED.tat - $2) + $2 - $3 <= $4 + 1e-3
          RETURNING t.tat
        )
        SELECT (SELECT tat FROM up) AS granted, (SELECT now FROM clock) AS now,
               (SELECT tat FROM ${t} WHERE key = $1) AS tat`,
      values: [key, costMs, limitMs, maxDelayMs],
    });
    const row = result.rows[0];
    if (!row) throw new AdapterError('PostgresRateLimitStore: the take statement returned no row');
    if (row.granted !== null) {
      // The new backlog is granted - now; what exceeds the limit is how long the slot lies ahead.
      const delay = row.granted - row.now - limitMs;
      return { allowed: true, delayMs: delay > 1e-3 ? delay : 0 };
    }
    const backlog = Math.max((row.tat ?? row.now) - row.now, 0);
    // Never a zero wait for a denial: the row changed under us, so look again a moment later.
    return { allowed: false, waitMs: Math.max(backlog + costMs - limitMs, 1) };
  }

  async raise(key: string, backlogMs: number): Promise<void> {
    await this.ready();
    await this.#pool.query({
      name: `${this.#statementPrefix}:raise`,
      text: `INSERT INTO ${this.#table} AS t (key, tat) SELECT $1, ${NOW_MS} + $2
        ON CONFLICT (key) DO UPDATE SET tat = GREATEST(t.tat, EXCLUDED.tat)`,
      values: [key, backlogMs],
    });
  }

  async backlog(key: string): Promise<number> {
    await this.ready();
    const result = await this.#pool.query<{ backlog: number }>({
      name: `${this.#statementPrefix}:backlog`,
      text: `SELECT GREATEST(tat - ${NOW_MS}, 0) AS backlog FROM ${this.#table} WHERE key = $1`,
      values: [key],
    });
    return result.rows[0]?.backlog ?? 0;
  }

  /** Deletes rows idle for longer than `pruneAfterMs`. Never throws (pruning is housekeeping). */
  async prune(): Promise<void> {
    try {
      await this.#pool.query({
        text: `DELETE FROM ${this.#table} WHERE tat < ${NOW_MS} - $1`,
        values: [this.#pruneAfterMs],
      });
    } catch {
      // The next round tries again.
    }
  }

  /** Stops pruning. The pool stays open (its owner ends it). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
  }

  async #createTable(): Promise<void> {
    try {
      await this.#pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.#table} (key text PRIMARY KEY, tat double precision NOT NULL)`,
      );
    } catch (error) {
      // Several sessions creating it at once: one wins, the others fail (23505, 42P07 or 42710) — fine if it exists.
      const exists = await this.#pool
        .query<{ present: boolean }>({ text: 'SELECT to_regclass($1) IS NOT NULL AS present', values: [this.#table] })
        .then((r) => r.rows[0]?.present === true)
        .catch(() => false);
      if (!exists) throw error;
    }
  }

  #startPruning(): void {
    if (this.#closed || this.#pruneTimer) return;
    void this.prune();
    this.#pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.#pruneTimer.unref();
  }
}
