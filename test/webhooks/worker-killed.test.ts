/**
 * A worker killed between receipt and processing: every event is processed once. Signed GitHub `push` deliveries
 * (an event type no record mapping covers: processing it queues a sync of each entity the connection pulls) are
 * answered 200 while no worker runs. A real worker process then processes them in order until two of its jobs are
 * stuck mid-processing — the test holds the row locks of those two events, as a slow or contended database would —
 * and is killed with SIGKILL, holding both jobs. A second worker processes the rest at once, takes the dead
 * worker's jobs only once its heartbeat sweep finds that worker's heartbeat stale and releases them, and finishes.
 * Each event ends `processed` with one processing attempt counted, nothing processed before the kill is processed
 * again, and the syncs the 30 events asked for are one queued job per entity, by their job keys.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { taskList } from '../../src/jobs/task-list.js';
import { type RunningWorker, startWorker } from '../../src/jobs/worker.js';
import { startTestService, type TestService } from '../support/service.js';
import { WORKER_PROCESS } from '../support/worker-process.js';

const SECRET = 'github-secret-worker-killed';
const EVENTS = 30;
/** 1-based positions, in the order workers take them, of the two events whose processing gets stuck. */
const STUCK = [10, 11];
/** The second worker's stale limit: how long a dead worker's jobs stay locked after its last heartbeat. */
const STALE_MS = 4_000;

let service: TestService;
let origin: string;
let endpoint: URL;
let tenantId: string;
let apiKey: string;
let connectionId: string;
let pool: ReturnType<TestService['database']['pool']>;
let child: ChildProcess | undefined;
let second: RunningWorker | undefined;
const secondLogs: string[] = [];
/**
 * graphile-worker's attempt number of the jobs the second worker started once the test listened (the stuck events'
 * jobs at least: they start seconds later), by event id.
 */
const secondAttempts = new Map<string, number>();

/** Event ids in the order workers take their jobs (graphile-worker's: priority, run_at, id). */
let order: string[] = [];
/** What the test knew when it killed the worker. */
let atKill: {
  processedAt: Map<string, string>;
  deadWorkers: string[];
  killedAt: number;
};

beforeAll(async () => {
  service = await startTestService();
  ({ tenantId, apiKey } = await service.tenant('Worker killed'));
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: 'github',
    credentials: { token: 'not-used' },
    connectionConfig: {},
  });
  connectionId = connection.connectionId;
  const registered = await service.app.inject({
    method: 'POST',
    url: '/integrations/github/webhooks/register',
    headers: service.auth(apiKey),
    payload: { events: ['push'], secret: SECRET },
  });
  expect(registered.statusCode, registered.body).toBe(201);
  endpoint = new URL(registered.json().webhook.endpoint_url);
  // Two entities pulled (one of them both ways) and one only pushed: an event queues a sync of the first two.
  await service.ctx.db
    .insertInto('platform_sync_status')
    .values([
      { tenant_id: tenantId, connection_id: connectionId, entity_type: 'issues', sync_direction: 'pull' },
      {
        tenant_id: tenantId,
        connection_id: connectionId,
        entity_type: 'repositories',
        sync_direction: 'bidirectional',
      },
      { tenant_id: tenantId, connection_id: connectionId, entity_type: 'pull_requests', sync_direction: 'push' },
    ])
    .execute();
  pool = service.database.pool({ max: 10 });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await second?.stop();
  await service?.close();
});

/** A push delivery signed as GitHub signs it (@octokit/webhooks-methods). */
async function pushDelivery(n: number): Promise<{ body: string; headers: Record<string, string> }> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID().replaceAll('-', ''), n });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await sign(SECRET, body),
    },
  };
}

interface EventRow {
  event_id: string;
  processing_status: string;
  attempts: number;
  processed_at: Date | null;
  error: string | null;
}

async function events(): Promise<Map<string, EventRow>> {
  const rows = await service.ctx.db
    .selectFrom('platform_event_logs')
    .select(['event_id', 'processing_status', 'attempts', 'processed_at', 'error'])
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .execute();
  return new Map(rows.map((r) => [r.event_id, r as EventRow]));
}

async function processingJobs(): Promise<Array<{ event_id: string; locked_by: string | null; attempts: number }>> {
  const { rows } = await pool.query(
    `select j.payload->>'event_id' as event_id, j.locked_by, j.attempts
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'process_webhook_event'
      order by j.priority, j.run_at, j.id`,
  );
  return rows;
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function startChild(): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER_PROCESS, '--concurrency=2', 'process_webhook_event'],
    {
      env: { ...process.env, ...service.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready\n')) resolve(proc);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    proc.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}): ${out}`)));
  });
}

describe('a worker process killed with -9 between receipt and processing', () => {
  it('accepts every delivery (200) while no worker runs, each stored pending with its processing job', async () => {
    const url = `${origin}${endpoint.pathname}${endpoint.search}`;
    for (let n = 1; n <= EVENTS; n++) {
      const delivery = await pushDelivery(n);
      const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ received: true, duplicate: false });
    }
    const stored = [...(await events()).values()];
    expect(stored).toHaveLength(EVENTS);
    expect(stored.every((e) => e.processing_status === 'pending' && e.attempts === 0)).toBe(true);
    const jobs = await processingJobs();
    expect(jobs.map((j) => j.event_id).sort()).toEqual(stored.map((e) => e.event_id).sort());
    order = jobs.map((j) => j.event_id);
  });

  it('has processed the events before the stuck ones, and dies holding the stuck events’ jobs', async () => {
    expect(order).toHaveLength(EVENTS);
    const stuck = STUCK.map((n) => order[n - 1] as string);
    // The stuck events' rows are locked, so their processing waits inside its transaction.
    const locker = await pool.connect();
    try {
      await locker.query('begin');
      await locker.query('select 1 from platform_event_logs where event_id = any($1::uuid[]) for update', [stuck]);
      const proc = await startChild();
      await until(
        async () => {
          const processed = [...(await events()).values()].filter((e) => e.processing_status === 'processed');
          const { rows } = await pool.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          return processed.length === (STUCK[0] as number) - 1 && rows[0]?.n === STUCK.length;
        },
        45_000,
        'the worker to process the first events and get stuck on the next two',
      );
      const jobs = await processingJobs();
      const locked = jobs.filter((j) => j.locked_by !== null);
      expect(locked.map((j) => j.event_id).sort()).toEqual([...stuck].sort());
      const { rows: beats } = await pool.query<{ worker_id: string }>(
        'select worker_id from worker_heartbeats where process like $1',
        [`%:${proc.pid}`],
      );
      const childWorkers = new Set(beats.map((b) => b.worker_id));
      for (const j of locked) expect(childWorkers.has(j.locked_by as string)).toBe(true);

      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.once('exit', (_code, signal) => resolve(signal)),
      );
      proc.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const killedAt = Date.now();
      child = undefined;

      const now = await events();
      const processedAt = new Map<string, string>();
      for (const [i, id] of order.entries()) {
        const e = now.get(id) as EventRow;
        if (i < (STUCK[0] as number) - 1) {
          expect(e).toMatchObject({ processing_status: 'processed', attempts: 1, error: null });
          processedAt.set(id, (e.processed_at as Date).toISOString());
        } else {
          expect(e).toMatchObject({ processing_status: 'pending', attempts: 0, processed_at: null });
        }
      }
      atKill = { processedAt, deadWorkers: [...new Set(locked.map((j) => j.locked_by as string))], killedAt };
    } finally {
      // The dead worker's transactions now end (rolled back: their client is gone).
      await locker.query('rollback').catch(() => {});
      locker.release();
    }
    // Still locked by the dead worker: graphile-worker alone would leave them so for four hours.
    const jobs = await processingJobs();
    expect(jobs.filter((j) => j.locked_by !== null).map((j) => j.locked_by)).toEqual(
      expect.arrayContaining(atKill.deadWorkers),
    );
    expect(jobs.filter((j) => j.locked_by !== null)).toHaveLength(STUCK.length);
  });

  it('lets a second worker take the dead worker’s jobs only through the stale-heartbeat release', async () => {
    expect(atKill).toBeDefined();
    const all = taskList(service.ctx);
    const workerPool = service.database.pool({ max: 8 });
    workerPool.on('connect', (client) => client.on('error', () => {})); // a client lost when the database is dropped
    second = await startWorker({
      pool: workerPool,
      taskList: { process_webhook_event: all.process_webhook_event as NonNullable<typeof all.process_webhook_event> },
      logger: pino({ level: 'warn' }, { write: (line: string) => secondLogs.push(line) }),
      concurrency: 2,
      heartbeat: { beatMs: 200, sweepMs: 200, staleMs: STALE_MS },
    });
    second.runner.events.on('job:start', ({ job }) => {
      const eventId = (job.payload as { event_id?: string }).event_id;
      if (eventId) secondAttempts.set(eventId, job.attempts);
    });
    await until(async () => (await processingJobs()).length === 0 && true, 30_000, 'every processing job to finish');

    const released = secondLogs
      .map((line) => JSON.parse(line) as { msg: string; time: number; workers?: string[] })
      .filter((l) => l.msg === 'released the jobs of workers that stopped beating');
    expect(released.length).toBeGreaterThanOrEqual(1);
    const release = released.find((l) => atKill.deadWorkers.every((w) => l.workers?.includes(w)));
    expect(release, JSON.stringify(released)).toBeDefined();
    const releasedAt = release?.time as number;
    // Not before the dead worker's heartbeat went stale.
    expect(releasedAt - atKill.killedAt).toBeGreaterThanOrEqual(STALE_MS - 1_000);

    const now = await events();
    const stuck = STUCK.map((n) => order[n - 1] as string);
    for (const id of stuck) {
      // Run again after the release: graphile-worker counted the killed attempt too.
      expect(now.get(id)?.processed_at?.getTime()).toBeGreaterThanOrEqual(releasedAt);
      expect(secondAttempts.get(id)).toBe(2);
    }
    // The events no one held were processed at once, without waiting for the release.
    for (const id of order.slice(Math.max(...STUCK))) {
      expect(now.get(id)?.processed_at?.getTime()).toBeLessThan(releasedAt);
    }
  });

  it('processes every event exactly once: all processed, one attempt each, none processed again', async () => {
    const now = await events();
    expect(now.size).toBe(EVENTS);
    for (const id of order) {
      expect(now.get(id)).toMatchObject({ processing_status: 'processed', attempts: 1, error: null });
    }
    // Those processed before the kill were not processed again (their processing time is the first one's).
    for (const [id, at] of atKill.processedAt) {
      expect(now.get(id)?.processed_at?.toISOString()).toBe(at);
      expect(secondAttempts.has(id)).toBe(false);
    }
    const listed = await service.app.inject({
      method: 'GET',
      url: '/integrations/github/events?status=processed&limit=100',
      headers: service.auth(apiKey),
    });
    expect(listed.statusCode).toBe(200);
    const ids = (listed.json().events as Array<{ event_id: string; event_type: string }>).map((e) => e.event_id);
    expect(ids.sort()).toEqual([...order].sort());
  });

  it('leaves one queued sync per pulled entity, however many events asked for it (job keys)', async () => {
    const { rows } = await pool.query<{ task: string; entity_type: string; key: string }>(
      `select t.identifier as task, j.payload->>'entity_type' as entity_type, j.key
         from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where j.payload->>'connection_id' = $1
        order by 2`,
      [connectionId],
    );
    expect(rows).toEqual([
      { task: 'sync_entity', entity_type: 'issues', key: `sync_entity:${tenantId}:${connectionId}:issues` },
      {
        task: 'sync_entity',
        entity_type: 'repositories',
        key: `sync_entity:${tenantId}:${connectionId}:repositories`,
      },
    ]);
  });
});
