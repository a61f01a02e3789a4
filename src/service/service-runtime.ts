/**
 * Opening and closing what the service commands share: the settings, the logger, the database (`DATABASE_URL`, or
 * the embedded Postgres — the one `engarde serve` already runs on this data directory, else one started now) and the
 * adapter registry.
 */
import type pg from 'pg';
import { type DestinationStream, type Logger, pino } from 'pino';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import {
  ensureDatabase,
  findRunningPostgres,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../db/embedded-postgres.js';
import { installJobQueue } from '../jobs/job-queue.js';
import { requestIdLogging } from '../observability/request-context.js';
import { PostgresRateLimitStore } from '../runtime/rate-limit/postgres-rate-limit-store.js';
import { redactUrl } from '../runtime/secret-redaction.js';
import type { ServiceContext } from './service-context.js';
import { loadSettings, type Settings } from './settings.js';

/** The embedded server's database for the service. */
export const EMBEDDED_DATABASE = 'engarde';

export interface OpenService {
  ctx: ServiceContext;
  /**
   * The context background jobs run with: platforms' rate-limit budgets in PostgreSQL, shared by every worker
   * process (a sync resumed elsewhere after a crash starts under the budget the dead worker left). The API's live
   * reads keep a per-process budget (`ctx`): one database round trip fewer per request, for low-volume reads whose
   * 429s the route answers as 503 with the wait.
   */
  jobContext(): ServiceContext;
  /** The pg pool under `ctx.db` (graphile-worker runs on it). */
  pool: pg.Pool;
  /** The embedded server this process started (and must stop), if any. */
  embedded: RunningPostgres | undefined;
  /** Where the database is, for messages (no password). */
  databaseLabel: string;
  close(): Promise<void>;
}

/** Query parameters never written to logs, beside credential-looking names. */
const LOGGED_URL_SECRETS = ['code', 'state', 'iss', 'session_state'];

/** A request path and query with OAuth codes, states and credential-looking parameters redacted. */
function redactPath(pathAndQuery: string): string {
  const origin = 'http://log.invalid';
  return redactUrl(`${origin}${pathAndQuery}`, { names: LOGGED_URL_SECRETS }).slice(origin.length);
}

/**
 * A pino logger that never writes a credential: authorization headers and cookies are dropped, URLs lose OAuth
 * codes and states. A line written while an API request is served carries its `requestId` (the adapters' too).
 */
export function serviceLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      ...requestIdLogging,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.credentials'],
        remove: true,
      },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url === undefined ? undefined : redactPath(req.url),
          ip: req.ip,
        }),
      },
    },
    destination,
  );
}

/** Loads settings, reporting each problem (throws `SettingsError`). */
export function serviceSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const registry = getAdapterRegistry();
  return loadSettings({ env, platformIds: registry.platforms().map((p) => p.id) });
}

/**
 * Opens the database (and the embedded server when needed) with everything a command shares.
 * @param options.migrate apply pending migrations first (serve, worker, tenant create, keys rotate)
 * @example
 * const service = await openService(serviceSettings(), { migrate: true });
 * try { … service.ctx.db … } finally { await service.close(); }
 */
export async function openService(
  settings: Settings,
  options: { migrate?: boolean; logger?: Logger; now?: () => Date } = {},
): Promise<OpenService> {
  const logger = options.logger ?? serviceLogger(settings.logLevel);
  let embedded: RunningPostgres | undefined;
  let url = settings.databaseUrl;
  let databaseLabel = 'DATABASE_URL';
  if (url === undefined) {
    const running = await findRunningPostgres(settings.dataDir);
    const server = running ?? (await startEmbeddedPostgres({ dataDir: settings.dataDir }));
    if (!running) embedded = server;
    await ensureDatabase(server.url, EMBEDDED_DATABASE);
    url = server.urlFor(EMBEDDED_DATABASE);
    databaseLabel = `embedded PostgreSQL on 127.0.0.1:${server.port} (${settings.dataDir}/postgres)`;
  }
  const database = openDatabase(url);
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      await installJobQueue(database.pool);
    }
  } catch (error) {
    await database.close();
    await embedded?.stop();
    throw error;
  }
  const ctx: ServiceContext = {
    settings,
    db: database.db,
    registry: getAdapterRegistry(),
    logger,
    now: options.now ?? (() => new Date()),
  };
  let jobStore: PostgresRateLimitStore | undefined;
  return {
    ctx,
    jobContext() {
      jobStore ??= new PostgresRateLimitStore({ pool: database.pool });
      return { ...ctx, rateLimitStore: jobStore };
    },
    pool: database.pool,
    embedded,
    databaseLabel,
    async close() {
      await jobStore?.close();
      await database.close();
      await embedded?.stop();
    },
  };
}
