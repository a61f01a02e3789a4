/**
 * Adapters kept per connection between API requests, so a request reuses the adapter's keep-alive sockets, its
 * rendered credential templates and its rate-limit state instead of building all of them again.
 *
 * An entry is keyed by the connection and a digest of what the adapter was built from (the sealed credentials as
 * stored, and the connection config): a token refresh or a new connect stores new ciphertext, so the next request
 * builds a fresh adapter and the stale one is closed. Idle entries are closed after a minute; a disconnect drops its
 * entry at once. A dropped adapter is closed once the requests already using it have had time to finish (closing
 * destroys its sockets), so credentials stay in memory at most that long after they left the database.
 */
import { createHash } from 'node:crypto';
import type { ConnectionRow } from '../db/repositories/connection-repository.js';
import type { AnyAdapter } from '../runtime/registry.js';
import { adapterForConnection } from './connection-adapters.js';
import type { ServiceContext } from './service-context.js';

const IDLE_MS = 60_000;
const MAX_ENTRIES = 1_000;
/** A replaced or idle adapter is closed this long after it leaves the pool: longer than a request may take. */
const CLOSE_GRACE_MS = 35_000;

interface Entry {
  version: string;
  adapter: Promise<AnyAdapter>;
  lastUsed: number;
}

export class AdapterPool {
  readonly #ctx: ServiceContext;
  readonly #entries = new Map<string, Entry>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /**
   * The connection's adapter; the row must have been read `withCredentials`. Do not close it: the pool does.
   * @example
   * const adapter = await pool.get(row);
   * const page = await adapter.page('orders');
   */
  async get(row: ConnectionRow): Promise<AnyAdapter> {
    const key = `${row.tenantId}:${row.connectionId}`;
    const version = createHash('sha256')
      .update(JSON.stringify(row.sealedAuth ?? null))
      .update('\0')
      .update(JSON.stringify(row.connectionConfig))
      .digest('base64');
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry && entry.version === version) {
      entry.lastUsed = now;
      // Most recently used last: the first entry is the one to evict.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return entry.adapter;
    }
    if (entry) this.#close(key, entry);
    if (this.#entries.size >= MAX_ENTRIES) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#close(oldestKey, oldest);
    }
    const adapter = adapterForConnection(this.#ctx, row);
    this.#entries.set(key, { version, adapter, lastUsed: now });
    adapter.catch(() => this.#entries.delete(key));
    this.#sweeper ??= setInterval(() => this.#sweep(), IDLE_MS / 2).unref();
    return adapter;
  }

  /** Closes and forgets a connection's adapter (after a disconnect). */
  drop(tenantId: string, connectionId: string): void {
    const key = `${tenantId}:${connectionId}`;
    const entry = this.#entries.get(key);
    if (entry) this.#close(key, entry);
  }

  /** Closes every adapter (when the server stops). */
  async closeAll(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(entries.map(async (e) => (await e.adapter).close()));
  }

  #sweep(): void {
    const cutoff = Date.now() - IDLE_MS;
    for (const [key, entry] of this.#entries) if (entry.lastUsed < cutoff) this.#close(key, entry);
  }

  #close(key: string, entry: Entry): void {
    this.#entries.delete(key);
    setTimeout(() => {
      entry.adapter.then((a) => a.close()).catch(() => {});
    }, CLOSE_GRACE_MS).unref();
  }
}
