/**
 * The service's commands (`engarde serve | worker | migrate | tenant create | keys rotate`), loaded by the CLI only
 * when one of them runs, so the generator's commands never load Fastify or Postgres.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import { rotateKeys } from '../db/crypto/key-rotation.js';
import { migrateToLatest } from '../db/database.js';
import { createTenant } from '../db/repositories/tenant-repository.js';
import { installJobQueue } from '../jobs/job-queue.js';
import { CRONTAB, taskList } from '../jobs/task-list.js';
import { type RunningWorker, startWorker } from '../jobs/worker.js';
import { type OpenService, openService, serviceSettings } from './service-runtime.js';
import { type Settings, SettingsError } from './settings.js';

/** Exit code for bad settings or arguments (as for invalid config). */
const USAGE_EXIT = 2;

function settingsOrExit(): Settings | number {
  try {
    const settings = serviceSettings();
    const source = settings.keyRingSource;
    if (source !== 'environment') {
      console.error(
        `engarde: warning: ENGARDE_ENCRYPTION_KEYS is not set; ${source.created ? 'generated a development key ring in' : 'using the development key ring in'} ${source.generatedFile} (keep it out of git; set ENGARDE_ENCRYPTION_KEYS in production)`,
      );
    }
    return settings;
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error('engarde: invalid settings:');
    for (const problem of error.problems) console.error(`  ${problem}`);
    return USAGE_EXIT;
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `engarde serve [--port n] [--no-worker]` */
export async function serveCommand(values: { port?: string; 'no-worker'?: boolean }): Promise<number> {
  const settingsOrCode = settingsOrExit();
  if (typeof settingsOrCode === 'number') return settingsOrCode;
  let settings = settingsOrCode;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      console.error(`engarde serve: --port must be a port number (0–65535), got "${values.port}"`);
      return USAGE_EXIT;
    }
    settings = { ...settings, port };
  }
  let service: OpenService | undefined;
  let app: FastifyInstance | undefined;
  let worker: RunningWorker | undefined;
  const stopping = untilSignal();
  try {
    service = await openService(settings, { migrate: true });
    const built = await buildServer(service.ctx);
    app = built.app;
    // Every platform's metadata (195 modules) is loaded now, in the background, not by the first registry request.
    void built.catalog
      .all()
      .catch((error: unknown) => service?.ctx.logger.warn({ err: error }, 'catalogue preload failed'));
    if (!values['no-worker']) {
      worker = await startWorker({
        pool: service.pool,
        taskList: taskList(service.jobContext()),
        crontab: CRONTAB,
        logger: service.ctx.logger,
      });
    }
    const address = await app.listen({ host: settings.host, port: settings.port });
    const { port } = new URL(address);
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    console.log(`engarde serve: listening on ${settings.tls ? 'https' : 'http'}://${host}:${port}`);
    console.log(`engarde serve: database: ${service.databaseLabel}`);
    console.log('engarde serve: create a tenant and its API key with `npx engarde tenant create <name>`');
    await stopping;
    return 0;
  } finally {
    await app?.close();
    await worker?.stop();
    await service?.close();
  }
}

/** `engarde worker [--concurrency n]` */
export async function workerCommand(values: { concurrency?: string }): Promise<number> {
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) {
    console.error(`engarde worker: --concurrency must be a whole number from 1 to 100, got "${values.concurrency}"`);
    return USAGE_EXIT;
  }
  const settings = settingsOrExit();
  if (typeof settings === 'number') return settings;
  const stopping = untilSignal();
  const service = await openService(settings, { migrate: true });
  let worker: RunningWorker | undefined;
  try {
    worker = await startWorker({
      pool: service.pool,
      taskList: taskList(service.jobContext()),
      crontab: CRONTAB,
      concurrency,
      logger: service.ctx.logger,
    });
    console.log(`engarde worker: running (concurrency ${concurrency}); database: ${service.databaseLabel}`);
    await stopping;
    return 0;
  } finally {
    await worker?.stop();
    await service.close();
  }
}

/** `engarde migrate` */
export async function migrateCommand(): Promise<number> {
  const settings = settingsOrExit();
  if (typeof settings === 'number') return settings;
  const service = await openService(settings);
  try {
    const applied = await migrateToLatest(service.ctx.db);
    await installJobQueue(service.pool);
    console.log(
      applied.length === 0
        ? 'engarde migrate: the database is up to date'
        : `engarde migrate: applied ${applied.join(', ')}`,
    );
    return 0;
  } finally {
    await service.close();
  }
}

/** `engarde tenant create <name>` */
export async function tenantCommand(positionals: string[]): Promise<number> {
  const [action, ...words] = positionals;
  const name = words.join(' ').trim();
  if (action !== 'create' || name === '' || name.length > 200) {
    console.error('engarde tenant: usage: engarde tenant create <name> (a name of 1–200 characters)');
    return USAGE_EXIT;
  }
  const settings = settingsOrExit();
  if (typeof settings === 'number') return settings;
  const service = await openService(settings, { migrate: true });
  try {
    const tenant = await createTenant(service.ctx.db, name);
    console.log(`tenant ${tenant.tenantId} api key ${tenant.apiKey}`);
    console.error('engarde tenant create: the key is shown once; it is stored hashed and cannot be shown again');
    return 0;
  } finally {
    await service.close();
  }
}

/** `engarde keys rotate` */
export async function keysCommand(positionals: string[]): Promise<number> {
  if (positionals[0] !== 'rotate' || positionals.length > 1) {
    console.error('engarde keys: usage: engarde keys rotate');
    return USAGE_EXIT;
  }
  const settings = settingsOrExit();
  if (typeof settings === 'number') return settings;
  const service = await openService(settings, { migrate: true });
  const interactive = Boolean(process.stderr.isTTY) && !process.env.CI;
  try {
    const result = await rotateKeys(service.ctx.db, settings.keyRing, {
      onProgress: interactive
        ? (p) => {
            process.stderr.write(`\r\x1b[2K… ${p.table}.${p.column}: ${p.rotated} re-wrapped`);
          }
        : undefined,
    });
    if (interactive) process.stderr.write('\r\x1b[2K');
    for (const [table, t] of Object.entries(result.tables)) {
      console.log(
        `engarde keys rotate: ${table}.${t.column}: ${t.rotated} re-wrapped, ${t.failed} could not be opened`,
      );
    }
    for (const f of result.failures) {
      console.error(`engarde keys rotate: ${f.table} ${JSON.stringify(f.primaryKey)}: ${f.message}`);
    }
    console.log(
      result.complete
        ? `engarde keys rotate: every stored secret is under key ${result.activeKeyId}`
        : 'engarde keys rotate: not finished (see above); run it again to continue',
    );
    if (!result.complete) return 1;
    return 0;
  } finally {
    await service.close();
  }
}
