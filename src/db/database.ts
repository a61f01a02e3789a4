/**
 * The service's database: kysely over a pg pool, and the migrations that shape it.
 */
import { Kysely, type MigrationResultSet, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type { Database } from './schema.js';

/** Connections in the pool of one process. */
export const POOL_SIZE = 20;

/** Where kysely's Migrator keeps its bookkeeping (beside the service's own tables). */
const MIGRATION_TABLE = 'engarde_migrations';
const MIGRATION_LOCK_TABLE = 'engarde_migrations_lock';

export interface ServiceDatabase {
  db: Kysely<Database>;
  pool: pg.Pool;
  /** Ends the pool (after `db.destroy()`). */
  close(): Promise<void>;
}

/**
 * @example
 * const { db, close } = openDatabase(process.env.DATABASE_URL!);
 * await migrateToLatest(db);
 * await close();
 */
export function openDatabase(url: string, options: { max?: number } = {}): ServiceDatabase {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? POOL_SIZE });
  // An idle client that loses its connection (a restarted server) must not crash the process: the pool replaces it.
  pool.on('error', () => {});
  // The same for a checked-out client (graphile-worker's LISTEN connection) whose server goes away.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
    },
  };
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Applies every pending migration (kysely takes a lock, so several processes starting at once apply each once).
 * @returns the names applied now.
 * @throws Error naming the migration that failed.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (`/readyz` answers 503 while there are any). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Whether the database answers at all. */
export async function databaseReachable(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
