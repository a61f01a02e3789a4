/**
 * Crash safety of a sync run by real worker processes: a worker killed with -9 in the middle of a sync, again and
 * again, leaves a run that the next worker resumes from its last stored page (the heartbeat sweep releases the dead
 * worker's job within seconds) — every record stored exactly once, pages not fetched again from the start. And two
 * workers never run the same entity's sync at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { makeWorkerUtils } from 'graphile-worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncQueueName } from '../../src/jobs/job-queue.js';
import { taskList } from '../../src/jobs/task-list.js';
import { startWorker } from '../../src/jobs/worker.js';
import { SyncBusyError, syncEntity } from '../../src/sync/sync-entity.js';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const CHILD = path.resolve(import.meta.dirname, 'support/sync-worker-process.ts');
const ENTITY = 'parties';
const RECORDS = 1500;
const PAGES = RECORDS / 100; // Capsule's largest page
let h: SyncHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startSyncHarness({ platform: 'capsule-crm', records: RECORDS, latencyMs: 60 });
  const response = await h.inject({
    method: 'POST',
    url: '/integrations/capsule-crm/sync',
    headers: h.service.auth(h.apiKey),
    payload: { entities: [ENTITY], sync_direction: 'pull' },
  });
  expect(response.statusCode).toBe(202); // queues the first run
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await h?.close();
});

function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...h.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready\n')) resolve(child);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
  });
}

async function run() {
  return h.service.ctx.db
    .selectFrom('sync_runs')
    .select(['status', 'pages', 'records_pulled', 'resumes'])
    .where('connection_id', '=', h.connectionId)
    .where('entity_type', '=', ENTITY)
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a worker killed with -9 mid-sync, three times', () => {
  it('leaves a run the next worker resumes; every record is stored exactly once', { timeout: 120_000 }, async () => {
    const killedAt: number[] = [];
    for (const pages of [2, 5, 9]) {
      const child = await startChild();
      await until(async () => ((await run())?.pages ?? 0) >= pages && true, 60_000, `${pages} stored pages`);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      killedAt.push((await run())?.pages ?? 0);
    }
    const last = await startChild();
    const finished = await until(
      async () => {
        const r = await run();
        return r?.status === 'succeeded' ? r : undefined;
      },
      60_000,
      'the run to finish',
    );
    last.kill('SIGTERM');

    expect(killedAt).toEqual([...killedAt].sort((a, b) => a - b)); // progress kept between kills
    expect(finished).toMatchObject({ pages: PAGES, records_pulled: String(RECORDS), resumes: 3 });
    const remote = h.control
      .records(ENTITY)
      .map((r) => String(r.id))
      .sort();
    expect(await h.storedIds(ENTITY)).toEqual(remote);
    // Resumed, not restarted: the platform served each page once, plus at most the page in flight at each kill.
    const served = h.control.served.filter((p) => p.entity === ENTITY).length;
    expect(served).toBeGreaterThanOrEqual(PAGES);
    expect(served).toBeLessThanOrEqual(PAGES + 3);
  });
});

describe('two workers', () => {
  it('never run the same entity’s sync at once, however many jobs are queued for it', { timeout: 60_000 }, async () => {
    // One request at a time per sync (the first a full pass of 15 pages): two syncs at once would overlap requests.
    await h.service.ctx.db.updateTable('platform_sync_status').set({ cursor: null }).execute();
    const runsBefore = (await h.service.ctx.db.selectFrom('sync_runs').select('run_id').execute()).length;
    const listRequests = h.control.served.length;
    h.concurrency.most = 0;
    const pool = h.service.database.pool({ max: 12 });
    const workers = await Promise.all(
      [1, 2].map(() =>
        startWorker({
          pool,
          taskList: taskList(h.service.ctx),
          logger: pino({ level: 'silent' }),
          concurrency: 4,
        }),
      ),
    );
    const utils = await makeWorkerUtils({ pgPool: pool });
    const payload = { tenant_id: h.tenantId, connection_id: h.connectionId, entity_type: ENTITY };
    for (let i = 0; i < 6; i++) await utils.addJob('sync_entity', payload, { queueName: syncQueueName(payload) });
    await until(
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          "select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'sync_entity'",
        );
        return rows[0]?.n === 0;
      },
      50_000,
      'the queued syncs to finish',
    );
    await Promise.all(workers.map((w) => w.stop()));
    await utils.release();
    expect(h.concurrency.most).toBe(1);
    expect(h.control.served.length).toBeGreaterThanOrEqual(listRequests + PAGES + 5);
    const runsAfter = (await h.service.ctx.db.selectFrom('sync_runs').select('run_id').execute()).length;
    expect(runsAfter - runsBefore).toBe(6);
    expect(await h.storedIds(ENTITY)).toHaveLength(RECORDS);
  });

  it('refuses a second sync of the entity while one holds it (SyncBusyError), even outside the queue', async () => {
    const target = { tenantId: h.tenantId, connectionId: h.connectionId, entity: ENTITY };
    let holding: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = syncEntity(h.service.ctx, target, {
      attempt: 1,
      maxAttempts: 1,
      afterPage: async () => {
        holding();
        await released;
      },
    });
    await held;
    await expect(syncEntity(h.service.ctx, target, { attempt: 1, maxAttempts: 1 })).rejects.toBeInstanceOf(
      SyncBusyError,
    );
    release();
    await expect(first).resolves.toMatchObject({ status: 'succeeded' });
  });
});
