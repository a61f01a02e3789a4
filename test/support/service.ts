/**
 * A service for API tests: a fresh database (see `postgres.ts`), migrated, settings from a test environment, and
 * the Fastify app (use `app.inject`, or `listen()` for a real port). Tenants come with their API keys.
 *
 * @example
 * let service: TestService;
 * beforeAll(async () => { service = await startTestService(); });
 * afterAll(async () => { await service.close(); });
 * it('…', async () => {
 *   const { apiKey } = await service.tenant('Acme');
 *   const res = await service.app.inject({ method: 'GET', url: '/integrations/connections', headers: service.auth(apiKey) });
 * });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { buildServer } from '../../src/api/server.js';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import { installJobQueue } from '../../src/jobs/job-queue.js';
import { requestIdLogging } from '../../src/observability/request-context.js';
import type { ServiceContext } from '../../src/service/service-context.js';
import { loadSettings, type PlatformOverride } from '../../src/service/settings.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface TestService {
  app: FastifyInstance;
  /** The environment its settings came from (a worker process given it shares the database and settings). */
  env: Record<string, string>;
  ctx: ServiceContext;
  database: TestDatabase;
  /** A new tenant and its API key. */
  tenant(name?: string): Promise<{ tenantId: string; apiKey: string }>;
  /** `{ authorization: 'Bearer <key>' }` */
  auth(apiKey: string): { authorization: string };
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** Extra environment (e.g. `ENGARDE_API_RATE_LIMIT`); `DATABASE_URL` and the key ring are set here. */
  env?: Record<string, string>;
  /** Written to a file that `ENGARDE_PLATFORM_OVERRIDES` points at. */
  overrides?: Record<string, PlatformOverride>;
  now?: () => Date;
  /** Logs to this array instead of nowhere. */
  logs?: string[];
}

/** A fixed test key ring (not a secret: tests only). */
export const TEST_KEY_RING = `test1:${Buffer.alloc(32, 7).toString('base64')}`;

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const database = await createTestDatabase('engarde_api');
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-service-'));
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    ENGARDE_ENCRYPTION_KEYS: TEST_KEY_RING,
    ENGARDE_DATA_DIR: dir,
    ENGARDE_PUBLIC_URL: 'http://127.0.0.1:3999',
    LOG_LEVEL: options.logs ? 'debug' : 'silent',
    ...options.env,
  };
  if (options.overrides) {
    const file = path.join(dir, `overrides-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(options.overrides));
    env.ENGARDE_PLATFORM_OVERRIDES = file;
  }
  const registry = getAdapterRegistry();
  const settings = loadSettings({ env, platformIds: registry.platforms().map((p) => p.id) });
  const { db, pool, close: closeDb } = openDatabase(database.url, { max: 5 });
  await migrateToLatest(db);
  await installJobQueue(pool);
  const logger = options.logs
    ? pino({ level: 'debug', ...requestIdLogging }, { write: (line: string) => options.logs?.push(line) })
    : pino({ level: 'silent' });
  const ctx: ServiceContext = { settings, db, registry, logger, now: options.now ?? (() => new Date()) };
  const { app } = await buildServer(ctx);
  await app.ready();
  return {
    app,
    env,
    ctx,
    database,
    async tenant(name = 'Tenant') {
      const created = await createTenant(db, name);
      return { tenantId: created.tenantId, apiKey: created.apiKey };
    },
    auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    async close() {
      await app.close();
      await closeDb();
      await database.drop();
    },
  };
}
