/** What every part of the running service shares: settings, the database, the adapter registry, a logger, a clock. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
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
}
