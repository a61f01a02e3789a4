/**
 * What the sync-engine benchmarks share (`sync-ingest-bench.ts`, `sync-incremental-noop-bench.ts`,
 * `sync-memory-bench.ts`):
 *
 * - The platform: the config-driven emulator of a catalogue platform in a child process of its own (this file run
 *   with `--emulator`), so that its records, its page building and its JSON never count against the engine's memory
 *   or event loop — as a real platform is on another machine. Rate limiting off on the emulator's side; the seeded
 *   records are exactly what `synthesizeRecords` makes (record `i` changed `i` minutes after 2026-01-01).
 * - The engine: the service as `engarde serve` opens it (`openService`: the Postgres rate-limit store, the sealed
 *   credentials), its platform override pointing the adapter at the emulator, a tenant, a connection per sync and
 *   the entity set to pull; `syncEntity` called directly, as a `sync_entity` job's attempt runs it.
 * - Machine line, medians, CPU time of this process, of children and of the Postgres server (from /proc).
 *
 * Default platform: Brevo `contacts` (offset pagination, 1,000 a page, `modifiedSince` for incremental reads, 36,000
 * requests an hour of which the client-side limiter lets 18,000 go at once: its pace never binds at these volumes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { destination } from 'pino';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import { budgetsFor } from '../../src/runtime/rate-limit/rate-limit-policy.js';
import { configDrivenEmulator, startEmulator, synthesizeRecords } from '../../src/sandbox/index.js';
import { type OpenService, openService, serviceLogger, serviceSettings } from '../../src/service/service-runtime.js';
import type { SyncTarget } from '../../src/sync/record-store.js';

export interface BenchPlatform {
  platform: string;
  entity: string;
}

export const DEFAULT_PLATFORM: BenchPlatform = { platform: 'brevo', entity: 'contacts' };

/** `brevo/contacts` → `{ platform: 'brevo', entity: 'contacts' }`. */
export function parsePlatform(text: string): BenchPlatform {
  const [platform, entity] = text.split('/');
  if (!platform || !entity) throw new Error(`--platform must be <platform>/<entity>, got ${JSON.stringify(text)}`);
  return { platform, entity };
}

export const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
export const rate = (n: number) => Math.round(n).toLocaleString('en-US');
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** `2 × AMD EPYC …, 24 GiB, Node v20.20.2, load average 0.52` (the load says whether anything else was running). */
export function machine(): string {
  return (
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
    `load average ${loadavg()[0]?.toFixed(2)}`
  );
}

/** `load average over the last minute: 1.93` — printed at the end, beside the one in `machine()`. */
export const loadLine = () => `load average over the last minute: ${loadavg()[0]?.toFixed(2)}`;

// ------------------------------------------------------------------------------------------------- platforms

/** The entity's largest page and what the adapter's own rate limiter allows (its config's pace). */
export async function platformFacts(p: BenchPlatform): Promise<{ pageSize: number; pace: string }> {
  const meta = await getAdapterRegistry().meta(p.platform);
  const config = meta.entities[p.entity];
  if (!config) throw new Error(`${p.platform} has no entity ${p.entity}`);
  const pagination = config.pagination ?? meta.pagination;
  const pageSize = pagination.kind === 'none' ? 0 : (pagination.maxLimit ?? pagination.defaultLimit ?? 0);
  const pace = budgetsFor(meta.rateLimit)
    .map((b) => `${b.burst} requests at once, then ${(1000 / b.unitMs).toFixed(2)}/s`)
    .join('; ');
  return { pageSize, pace };
}

// ------------------------------------------------------------------------------------------ emulator process

interface EmulatorSpec extends BenchPlatform {
  records: number;
}

export interface EmulatorStats {
  requests: number;
  pages: number;
  records: number;
  /** CPU ms of the emulator process since it started serving. */
  cpuMs: number;
  maxRssKb: number;
}

interface Ready {
  baseUrl: string;
  credentials: Record<string, unknown>;
  connectionConfig: Record<string, string>;
  seedMs: number;
}

export interface EmulatorProcess extends Ready {
  pid: number;
  stats(): Promise<EmulatorStats>;
  close(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/**
 * Starts the platform's config-driven emulator with `records` records of the entity in a child process.
 * @example
 * const emulator = await startEmulatorProcess({ platform: 'brevo', entity: 'contacts', records: 100_000 });
 * await emulator.close();
 */
export async function startEmulatorProcess(spec: EmulatorSpec): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, SELF, '--emulator', JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const first = (await Promise.race([once(child, 'message'), exited.then(() => undefined)])) as
    | [{ ready: Ready }]
    | undefined;
  if (!first) throw new Error('the emulator process exited before it was ready');
  const ready = first[0].ready;
  return {
    ...ready,
    pid: child.pid as number,
    async stats() {
      const answer = once(child, 'message') as Promise<[{ stats: EmulatorStats }]>;
      child.send({ stats: true });
      return (await answer)[0].stats;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runEmulator(spec: EmulatorSpec): Promise<void> {
  const started = performance.now();
  const meta = await getAdapterRegistry().meta(spec.platform);
  const config = meta.entities[spec.entity];
  if (!config) throw new Error(`${spec.platform} has no entity ${spec.entity}`);
  // One record for the other entities; the entity's own list built once (setRecords copies what it is given).
  const handler = configDrivenEmulator(meta, { records: 1, serverPageSize: 100 });
  const control = handler.control;
  control.setRecords(spec.entity, synthesizeRecords(spec.entity, config, { count: spec.records }));
  control.rateLimitEnabled = false;
  const running = await startEmulator(handler, { port: 0 });
  const seedMs = performance.now() - started;
  const cpu = process.cpuUsage();
  // The server keeps every request for tests; a benchmark has no use for them.
  const forget = setInterval(() => running.requests.splice(0), 1000);
  process.on('message', (message: { stats?: boolean }) => {
    if (!message.stats) return;
    const used = process.cpuUsage(cpu);
    const stats: EmulatorStats = {
      requests: control.counters.requests,
      pages: control.served.length,
      records: control.served.reduce((n, p) => n + p.records, 0),
      cpuMs: (used.user + used.system) / 1000,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    process.send?.({ stats });
  });
  process.on('SIGTERM', () => {
    clearInterval(forget);
    void running.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0)); // the benchmark died
  const ready: Ready = {
    baseUrl: `${running.origin}${control.basePath}`,
    credentials: { ...control.credentials },
    connectionConfig: { ...control.connectionConfig },
    seedMs,
  };
  process.send?.({ ready });
}

// ------------------------------------------------------------------------------------------- engine service

export interface BenchService {
  service: OpenService;
  /** A new tenant's connection to the emulator with the entity set to pull (its own rate-limit budget). */
  newTarget(): Promise<SyncTarget>;
  close(): Promise<void>;
}

/**
 * The service on `databaseUrl` as `engarde serve` opens it, logging at warn into /dev/null, with the platform's
 * base URL overridden to the emulator's.
 */
export async function openBenchService(
  databaseUrl: string,
  p: BenchPlatform,
  emulator: Pick<Ready, 'baseUrl' | 'credentials' | 'connectionConfig'>,
  options: { migrate?: boolean } = {},
): Promise<BenchService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-sync-bench-'));
  const overrides = path.join(dir, 'overrides.json');
  writeFileSync(overrides, JSON.stringify({ [p.platform]: { baseUrl: emulator.baseUrl } }));
  const settings = serviceSettings({
    DATABASE_URL: databaseUrl,
    ENGARDE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENGARDE_DATA_DIR: dir,
    ENGARDE_PLATFORM_OVERRIDES: overrides,
    LOG_LEVEL: 'warn',
  });
  const logger = serviceLogger('warn', destination({ dest: '/dev/null', sync: true }));
  const service = await openService(settings, { migrate: options.migrate ?? true, logger });
  const { db } = service.ctx;
  return {
    service,
    async newTarget() {
      const { tenantId } = await createTenant(db, 'Sync bench');
      const connection = await insertConnection(db, settings.keyRing, {
        tenantId,
        platform: p.platform,
        credentials: { ...emulator.credentials },
        connectionConfig: { ...emulator.connectionConfig },
      });
      const target = { tenantId, connectionId: connection.connectionId, entity: p.entity };
      await db
        .insertInto('platform_sync_status')
        .values({
          tenant_id: tenantId,
          connection_id: target.connectionId,
          entity_type: p.entity,
          sync_direction: 'pull',
        })
        .execute();
      return target;
    },
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Diagnostics: Postgres settings (`name=value`) for every later session on the benchmark's database
 * (`ALTER DATABASE … SET`), e.g. `enable_nestloop=off` to see the engine without a plan that statistics decided.
 * @returns a label for the output (`''` without settings).
 */
export async function applyPgSettings(
  query: (text: string) => Promise<unknown>,
  database: string,
  settings: readonly string[],
): Promise<string> {
  for (const setting of settings) {
    const m = /^([a-z_][a-z0-9_.]*)=([A-Za-z0-9_.-]+)$/.exec(setting);
    if (!m) throw new Error(`--pg-set takes name=value, got ${JSON.stringify(setting)}`);
    await query(`alter database "${database}" set ${m[1]} = '${m[2]}'`);
  }
  return settings.length > 0 ? `; DIAGNOSTIC SETTINGS on the benchmark's database: ${settings.join(', ')}` : '';
}

/**
 * After `ms`, cancels every statement running in the database on another session (`pg_cancel_backend`), so that a
 * sync stuck in one statement fails instead of running on — also on the server, after this process is gone.
 */
export function watchdog(query: (text: string) => Promise<unknown>, ms: number): { fired(): boolean; stop(): void } {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    void query(
      'select pg_cancel_backend(pid) from pg_stat_activity ' +
        "where datname = current_database() and pid <> pg_backend_pid() and state = 'active'",
    ).catch(() => {});
  }, ms);
  return {
    fired: () => fired,
    stop: () => clearTimeout(timer),
  };
}

/**
 * How often Postgres has analyzed the tables the deletion pass joins (autovacuum's and explicit ANALYZEs): the plan
 * of that pass depends on whether their statistics know the run's rows.
 */
export async function analyzeCounts(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<number> {
  const { rows } = await query(
    'select coalesce(sum(autoanalyze_count + analyze_count), 0)::int as n from pg_stat_user_tables ' +
      "where relname in ('sync_records', 'sync_run_seen')",
  );
  return (rows[0] as { n: number }).n;
}

// -------------------------------------------------------------------------------------------------- CPU time

export { childrenCpuMs, findPostmaster, postgresCpuMs } from './process-cpu.js';

/** `Postgres 18.x (embedded, throw-away) on this machine, fsync off, synchronous_commit off` */
export async function describePostgres(
  query: (text: string) => Promise<{ rows: unknown[] }>,
  postmaster: number | undefined,
): Promise<string> {
  const { rows } = await query(
    "select current_setting('server_version') as version, current_setting('fsync') as fsync, " +
      "current_setting('synchronous_commit') as sync, current_setting('shared_buffers') as buffers",
  );
  const s = rows[0] as { version: string; fsync: string; sync: string; buffers: string };
  return (
    `Postgres ${s.version} ${process.env.DATABASE_URL ? '(DATABASE_URL)' : '(embedded, throw-away)'} ` +
    `${postmaster === undefined ? 'elsewhere' : 'on this machine'}, fsync ${s.fsync}, synchronous_commit ${s.sync}, ` +
    `shared_buffers ${s.buffers}`
  );
}

if (process.argv[1] === SELF && process.argv[2] === '--emulator') {
  runEmulator(JSON.parse(process.argv[3] as string) as EmulatorSpec).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
