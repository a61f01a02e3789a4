/**
 * A worker killed with -9 holding a job: graphile-worker alone leaves that job locked for four hours. With the
 * heartbeat sweep, a live worker releases it once the dead worker's heartbeat is stale, and runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { makeWorkerUtils } from 'graphile-worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { startWorker } from '../../src/jobs/worker.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const CHILD = path.resolve(import.meta.dirname, 'support/hanging-worker-process.ts');
let database: TestDatabase;
let child: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase('engarde_crash');
  const { db, close } = openDatabase(database.url, { max: 2 });
  await migrateToLatest(db);
  await close();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await database?.drop();
});

function waitForLine(proc: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.split('\n').includes(line)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${line}": ${out}`)));
  });
}

describe('a worker killed with -9', () => {
  it('has its job released by a live worker once its heartbeat is stale, and the job runs', async () => {
    const pool = database.pool({ max: 6 });
    const utils = await makeWorkerUtils({ pgPool: pool });
    await utils.migrate();
    child = spawn(process.execPath, ['--import', 'tsx', CHILD, database.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = waitForLine(child, 'started');
    await utils.addJob('slow_task', {});
    await started;
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    const locked = await pool.query("select locked_by from graphile_worker.jobs where task_identifier = 'slow_task'");
    expect(locked.rows[0]?.locked_by).toBeTruthy(); // left locked by the dead worker

    let ran = 0;
    let ranOnce: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      ranOnce = resolve;
    });
    const worker = await startWorker({
      pool,
      taskList: {
        slow_task: async () => {
          ran++;
          ranOnce();
        },
      },
      logger: pino({ level: 'silent' }),
      heartbeat: { beatMs: 200, sweepMs: 200, staleMs: 1_000 },
    });
    await done;
    await worker.stop();
    expect(ran).toBe(1);
    await utils.release();
  }, 30_000);
});

describe('a live worker running a long job', () => {
  it('keeps its lock past the stale limit: no other worker runs the job again', async () => {
    const pool = database.pool({ max: 8 });
    const utils = await makeWorkerUtils({ pgPool: pool });
    let runs = 0;
    const taskList = {
      long_task: async () => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 3_000)); // three times the stale limit
      },
    };
    const options = {
      pool,
      taskList,
      logger: pino({ level: 'silent' }),
      heartbeat: { beatMs: 200, sweepMs: 200, staleMs: 1_000 },
    };
    const [a, b] = [await startWorker(options), await startWorker(options)];
    await utils.addJob('long_task', {});
    for (let i = 0; i < 100; i++) {
      const { rows } = await pool.query(
        "select count(*)::int as n from graphile_worker.jobs where task_identifier = 'long_task'",
      );
      if (rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all([a.stop(), b.stop()]);
    await utils.release();
    expect(runs).toBe(1);
  }, 30_000);
});
