/**
 * A worker process for the crash tests: the service's task list and crontab-free worker on the database and
 * settings of its environment (as `engarde worker` would run, with a fast heartbeat so a killed sibling's jobs come
 * back quickly). Prints `ready` once it takes jobs. The test kills it with SIGKILL.
 */
import { pino } from 'pino';
import { getAdapterRegistry } from '../../../generated/adapters/index.js';
import { openDatabase } from '../../../src/db/database.js';
import { taskList } from '../../../src/jobs/task-list.js';
import { startWorker } from '../../../src/jobs/worker.js';
import { PostgresRateLimitStore } from '../../../src/runtime/rate-limit/postgres-rate-limit-store.js';
import type { ServiceContext } from '../../../src/service/service-context.js';
import { loadSettings } from '../../../src/service/settings.js';

const registry = getAdapterRegistry();
const settings = loadSettings({ env: process.env, platformIds: registry.platforms().map((p) => p.id) });
const { db, pool } = openDatabase(settings.databaseUrl as string, { max: 6 });
const ctx: ServiceContext = {
  settings,
  db,
  registry,
  logger: pino({ level: 'silent' }),
  now: () => new Date(),
  rateLimitStore: new PostgresRateLimitStore({ pool }),
};
await startWorker({
  pool,
  taskList: taskList(ctx),
  logger: ctx.logger,
  concurrency: 2,
  heartbeat: { beatMs: 200, sweepMs: 200, staleMs: 1_000 },
});
process.stdout.write('ready\n');
