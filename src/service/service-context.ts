/** What every part of the running service shares: settings, the database, the adapter registry, a logger, a clock. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { RateLimitStore } from '../runtime/rate-limit/rate-limit-store.js';
import type { AdapterRegistry } from '../runtime/registry.js';
import type { Settings } from './settings.js';

export interface ServiceContext {
  settings: Settings;
  db: Kysely<Database>;
  // biome-ignore lint/suspicious/noExplicitAny: the registry of every generated adapter, whatever its types
  registry: AdapterRegistry<any>;
  logger: Logger;
  /** The clock (tests control it). */
  now: () => Date;
  /**
   * Where platforms' rate-limit budgets live: in Postgres for the service, so every worker process shares one budget
   * per platform and connection, and a resumed sync starts under the budget the dead worker left. Default: memory.
   */
  rateLimitStore?: RateLimitStore | undefined;
}
