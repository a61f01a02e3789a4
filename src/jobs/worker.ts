/**
 * Background jobs on graphile-worker 0.17, in the service's PostgreSQL: `engarde worker` runs this alone, `engarde
 * serve` runs it in-process unless `--no-worker`. Any number of workers on any number of machines share one
 * database; graphile-worker hands each job to one of them. Workers keep a heartbeat, and every worker process
 * releases the jobs of workers that stopped beating (`worker-heartbeat.ts`): a crashed worker's jobs come back
 * within a minute instead of four hours.
 *
 * Shutdown handles graphile-worker 0.17's race: `runner.stop()` resolves before the last job's completion is
 * written (results are batched, and `job:complete` is emitted when a result is queued, not written), so ending the
 * pool right after it would lose that write and leave the job locked, to run again hours later. `stop()` therefore
 * waits for the jobs between `job:start` and `job:complete`, then until the database holds no job still locked by
 * this runner's workers, and only then returns.
 */
import { EventEmitter } from 'node:events';
import {
  Logger as GraphileLogger,
  type LogLevel,
  makeWorkerUtils,
  type Runner,
  run,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import { type HeartbeatOptions, WorkerHeartbeat } from './worker-heartbeat.js';

export interface StartWorkerOptions {
  pool: pg.Pool;
  taskList: TaskList;
  /** graphile-worker crontab text (every line with a stable `?id=`). */
  crontab?: string | undefined;
  concurrency?: number | undefined;
  logger: Logger;
  /** How long `stop()` waits for running jobs' results to be written (default 30 s). */
  drainTimeoutMs?: number | undefined;
  /** Heartbeat and crashed-worker sweep timing (tests shorten them); see `worker-heartbeat.ts`. */
  heartbeat?: Pick<HeartbeatOptions, 'beatMs' | 'sweepMs' | 'staleMs'> | undefined;
  /**
   * Throughput settings for many short jobs (see README, *Benchmarks*): a local queue fetches and locks `size` jobs in
   * one query, and results are written in batches. The pool needs `concurrency + 2` connections. Default: none —
   * jobs are fetched one at a time, which suits long syncs (a job waiting in one process's local queue is not
   * available to the others).
   */
  tuning?: WorkerTuning | undefined;
}

export interface WorkerTuning {
  pollIntervalMs?: number | undefined;
  localQueue?: { size: number; ttl?: number | undefined } | undefined;
  completeJobBatchDelay?: number | undefined;
  failJobBatchDelay?: number | undefined;
}

export interface RunningWorker {
  runner: Runner;
  /** Jobs started and not yet written back. */
  readonly inFlight: number;
  /** Stops taking jobs, lets running ones finish, and returns once their results are in the database. */
  stop(): Promise<void>;
}

/** graphile-worker's log lines through pino. */
function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level: LogLevel, message: string, meta?: unknown) => {
    // Only the error's name, code and message: graphile's meta can hold a whole pg client.
    const error = (meta as { error?: { name?: unknown; code?: unknown; message?: unknown } } | undefined)?.error;
    const fields = {
      ...(scope.label ? { graphile: scope.label } : {}),
      ...(error ? { error: { name: error.name, code: error.code, message: error.message } } : {}),
    };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else if (level === 'info') logger.info(fields, message);
    else logger.debug(fields, message);
  });
}

/**
 * @example
 * const worker = await startWorker({ pool, taskList: tasks(ctx), crontab: CRONTAB, logger });
 * process.once('SIGTERM', () => worker.stop());
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  // Our own emitter, given to graphile-worker, so no event (a worker's creation) happens before we listen.
  const events = new EventEmitter() as WorkerEvents;
  const utils = await makeWorkerUtils({ pgPool: options.pool, logger: graphileLogger(options.logger) });
  const heartbeat = new WorkerHeartbeat({ pool: options.pool, utils, logger: options.logger, ...options.heartbeat });
  // graphile-worker 0.17 locks jobs under its worker pool's id (`pool-…`), and names each worker too: beat for both.
  events.on('pool:create', ({ workerPool }) => heartbeat.add(workerPool.id));
  events.on('worker:create', ({ worker }) => heartbeat.add(worker.workerId));
  const runner = await run({
    pgPool: options.pool,
    events,
    taskList: options.taskList,
    ...(options.crontab ? { crontab: options.crontab } : {}),
    concurrency: options.concurrency ?? 4,
    noHandleSignals: true,
    pollInterval: options.tuning?.pollIntervalMs ?? 1000,
    logger: graphileLogger(options.logger),
    ...(options.tuning ? { preset: { worker: presetOf(options.tuning) } } : {}),
  });
  await heartbeat.start();
  let inFlight = 0;
  let drained: (() => void) | undefined;
  // Jobs whose result may still be waiting in graphile-worker's batch (ids, most recent last, bounded).
  const recent = new Set<string>();
  events.on('job:start', ({ job }) => {
    inFlight++;
    recent.add(job.id);
    if (recent.size > 1000) recent.delete(recent.values().next().value as string);
  });
  events.on('job:complete', () => {
    inFlight--;
    if (inFlight === 0) drained?.();
  });
  let stopping: Promise<void> | undefined;
  return {
    runner,
    get inFlight() {
      return inFlight;
    },
    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + (options.drainTimeoutMs ?? 30_000);
        await runner.stop();
        // Settles once the runner has released everything, its LISTEN connection included.
        await runner.promise.catch(() => {});
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
            drained = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        await untilWritten(options.pool, [...recent], deadline);
        // graphile-worker releases its LISTEN connection (after an UNLISTEN) on its own time: wait for every
        // connection it took to be back in the pool, so whoever ends the pool (or the database) next cuts nothing.
        await heartbeat.stop();
        await utils.release();
        while (options.pool.totalCount > options.pool.idleCount && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      return stopping;
    },
  };
}

function presetOf(tuning: WorkerTuning) {
  return {
    ...(tuning.localQueue
      ? {
          localQueue: {
            size: tuning.localQueue.size,
            ...(tuning.localQueue.ttl ? { ttl: tuning.localQueue.ttl } : {}),
          },
        }
      : {}),
    ...(tuning.completeJobBatchDelay === undefined ? {} : { completeJobBatchDelay: tuning.completeJobBatchDelay }),
    ...(tuning.failJobBatchDelay === undefined ? {} : { failJobBatchDelay: tuning.failJobBatchDelay }),
  };
}

/** Waits until none of these jobs is still locked (their results are written), or the deadline passes. */
async function untilWritten(pool: pg.Pool, jobIds: string[], deadline: number): Promise<void> {
  if (jobIds.length === 0) return;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      'select count(*)::int as n from graphile_worker._private_jobs where id = any($1::bigint[]) and locked_by is not null',
      [jobIds],
    );
    if ((rows[0]?.n ?? 0) === 0 || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
