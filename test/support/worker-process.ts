/**
 * A worker process for crash tests: the service's own tasks on the database and settings of its environment, as
 * `engarde worker` runs them, with a fast heartbeat so that a killed sibling's jobs come back within seconds. Prints
 * `ready` once it takes jobs; the test kills it with SIGKILL.
 *
 * Usage: `worker-process.ts [--concurrency=<n>] [task ...]`. Naming tasks restricts the worker to them (it takes no
 * job of another task), so that a test can watch what the named ones queue — the syncs a webhook event queues stay
 * queued, countable, instead of running against a platform the test did not set up. No task named: all of them.
 *
 * @example
 * const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS, '--concurrency=2', 'process_webhook_event'],
 *   { env: { ...process.env, ...service.env }, stdio: ['ignore', 'pipe', 'pipe'] });
 */
import path from 'node:path';
import type { TaskList } from 'graphile-worker';
import { pino } from 'pino';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { openDatabase } from '../../src/db/database.js';
import { taskList } from '../../src/jobs/task-list.js';
import { startWorker } from '../../src/jobs/worker.js';
import { PostgresRateLimitStore } from '../../src/runtime/rate-limit/postgres-rate-limit-store.js';
import type { ServiceContext } from '../../src/service/service-context.js';
import { loadSettings } from '../../src/service/settings.js';

/** This file, for `spawn`. */
export const WORKER_PROCESS = path.resolve(import.meta.dirname, 'worker-process.ts');

/** The heartbeat timing of the worker process (a killed one's heartbeat is stale after `staleMs`). */
export const WORKER_PROCESS_HEARTBEAT = { beatMs: 200, sweepMs: 200, staleMs: 1_000 } as const;

async function main(argv: string[]): Promise<void> {
  const concurrencyArg = argv.find((a) => a.startsWith('--concurrency='));
  const concurrency = concurrencyArg ? Number(concurrencyArg.slice('--concurrency='.length)) : 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`bad ${concurrencyArg}`);
  const only = argv.filter((a) => !a.startsWith('--'));

  const registry = getAdapterRegistry();
  const settings = loadSettings({ env: process.env, platformIds: registry.platforms().map((p) => p.id) });
  const { db, pool } = openDatabase(settings.databaseUrl as string, { max: concurrency + 4 });
  const ctx: ServiceContext = {
    settings,
    db,
    registry,
    logger: pino({ level: 'silent' }),
    now: () => new Date(),
    rateLimitStore: new PostgresRateLimitStore({ pool }),
  };
  const all = taskList(ctx);
  const unknown = only.filter((name) => !Object.hasOwn(all, name));
  if (unknown.length > 0) throw new Error(`unknown tasks: ${unknown.join(', ')}`);
  const tasks: TaskList = only.length === 0 ? all : Object.fromEntries(only.map((name) => [name, all[name]]));
  await startWorker({
    pool,
    taskList: tasks,
    logger: ctx.logger,
    concurrency,
    heartbeat: WORKER_PROCESS_HEARTBEAT,
  });
  process.stdout.write('ready\n');
}

// Run only as a process of its own (the test imports this file for its path).
if (process.argv[1] && path.resolve(process.argv[1]) === WORKER_PROCESS) {
  await main(process.argv.slice(2));
}
