/**
 * Postgres restarted in the middle of a sync (its own embedded server, stopped and started again on the same data
 * and port): the sync job fails while the database is away, graphile-worker retries it, and the retry resumes the
 * run — every record stored exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { migrateToLatest, openDatabase, type ServiceDatabase } from '../../src/db/database.js';
import {
  ensureDatabase,
  freePort,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../src/db/embedded-postgres.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import { installJobQueue, queueSync } from '../../src/jobs/job-queue.js';
import { taskList } from '../../src/jobs/task-list.js';
import { type RunningWorker, startWorker } from '../../src/jobs/worker.js';
import { configDrivenEmulator, type RunningEmulator, startEmulator } from '../../src/sandbox/index.js';
import type { ServiceContext } from '../../src/service/service-context.js';
import { loadSettings } from '../../src/service/settings.js';
import { TEST_KEY_RING } from '../support/service.js';

const ENTITY = 'parties';
const RECORDS = 1200;
let dir: string;
let port: number;
let server: RunningPostgres;
let database: ServiceDatabase;
let emulator: RunningEmulator;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'engarde-restart-'));
  port = await freePort();
  server = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true, port });
}, 120_000);
afterAll(async () => {
  await worker?.stop().catch(() => {});
  await database?.close();
  await emulator?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Postgres restarted mid-sync', () => {
  it('the job retries and the run completes with every record once', { timeout: 120_000 }, async () => {
    const registry = getAdapterRegistry();
    const meta = await registry.meta('capsule-crm');
    const inner = configDrivenEmulator(meta, { records: RECORDS });
    inner.control.rateLimitEnabled = false;
    const slow = Object.assign(
      async (request: Parameters<typeof inner>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, 80));
        return inner(request);
      },
      { control: inner.control },
    );
    emulator = await startEmulator(slow, { port: 0 });
    await ensureDatabase(server.url, 'engarde');
    const url = server.urlFor('engarde');
    database = openDatabase(url, { max: 8 });
    await migrateToLatest(database.db);
    await installJobQueue(database.pool);
    const settings = loadSettings({
      env: {
        DATABASE_URL: url,
        ENGARDE_ENCRYPTION_KEYS: TEST_KEY_RING,
        ENGARDE_DATA_DIR: dir,
        ENGARDE_PUBLIC_URL: 'http://127.0.0.1:3999',
      },
      platformIds: registry.platforms().map((p) => p.id),
    });
    const ctx: ServiceContext = {
      settings: {
        ...settings,
        platformOverrides: { 'capsule-crm': { baseUrl: `${emulator.origin}${inner.control.basePath}` } },
      },
      db: database.db,
      registry,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
    };
    const { tenantId } = await createTenant(database.db, 'Restart');
    const connection = await insertConnection(database.db, settings.keyRing, {
      tenantId,
      platform: 'capsule-crm',
      credentials: { ...inner.control.credentials },
      connectionConfig: { ...inner.control.connectionConfig },
    });
    await database.db
      .insertInto('platform_sync_status')
      .values({
        tenant_id: tenantId,
        connection_id: connection.connectionId,
        entity_type: ENTITY,
        sync_direction: 'pull',
      })
      .execute();
    worker = await startWorker({ pool: database.pool, taskList: taskList(ctx), logger: ctx.logger });
    await queueSync(database.db, { tenant_id: tenantId, connection_id: connection.connectionId, entity_type: ENTITY });

    const runQuery = () =>
      database.db
        .selectFrom('sync_runs')
        .select(['status', 'pages', 'records_pulled', 'resumes'])
        .where('connection_id', '=', connection.connectionId)
        .executeTakeFirst();
    await until(async () => (((await runQuery())?.pages ?? 0) >= 3 ? true : undefined), 30_000, 'three stored pages');
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    server = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true, port });

    const finished = await until(
      async () => {
        const run = await runQuery();
        return run?.status === 'succeeded' ? run : undefined;
      },
      90_000,
      'the run to succeed after the restart',
    );
    expect(finished).toMatchObject({ pages: RECORDS / 100, records_pulled: String(RECORDS) });
    expect(finished.resumes).toBeGreaterThanOrEqual(1);
    const stored = await database.db
      .selectFrom('sync_records')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('deleted', '=', false)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(RECORDS);
  });
});
