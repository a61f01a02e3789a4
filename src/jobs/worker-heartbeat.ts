/**
 * Crashed workers' jobs come back within a minute. Open-source graphile-worker leaves the jobs of a worker that died
 * (kill -9, a lost machine) locked for four hours. Every worker process here writes a heartbeat for its workers every
 * `beatMs` (10 s) into `worker_heartbeats`, and sweeps every `sweepMs` (10 s): jobs locked for longer than `staleMs`
 * (30 s) by a worker whose heartbeat is older than `staleMs` — or that never wrote one — are released with
 * graphile-worker's `forceUnlockWorkers`, so any live worker picks them up again. A slow job of a live worker keeps
 * its lock: its process keeps beating.
 */
import { hostname } from 'node:os';
import type { WorkerUtils } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';

export interface HeartbeatOptions {
  pool: pg.Pool;
  utils: WorkerUtils;
  logger: Logger;
  /** Between heartbeats (default 10 s). */
  beatMs?: number | undefined;
  /** Between sweeps (default 10 s). */
  sweepMs?: number | undefined;
  /** A heartbeat (and a lock) older than this marks a dead worker (default 30 s). */
  staleMs?: number | undefined;
}

export const DEFAULT_BEAT_MS = 10_000;
export const DEFAULT_STALE_MS = 30_000;

/**
 * @example
 * const heartbeat = new WorkerHeartbeat({ pool, utils, logger });
 * heartbeat.add(workerId); heartbeat.start();
 * await heartbeat.stop(); // removes this process's rows
 */
export class WorkerHeartbeat {
  readonly #options: HeartbeatOptions;
  readonly #workerIds = new Set<string>();
  readonly #process = `${hostname()}:${process.pid}`;
  #timers: NodeJS.Timeout[] = [];

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** A worker of this process to keep alive. */
  add(workerId: string): void {
    this.#workerIds.add(workerId);
  }

  /** Beats at once, then on schedule; sweeps on schedule. */
  async start(): Promise<void> {
    await this.beat();
    const { beatMs = DEFAULT_BEAT_MS, sweepMs = DEFAULT_BEAT_MS } = this.#options;
    const guard = (what: string, run: () => Promise<unknown>) => () => {
      run().catch((error: unknown) =>
        this.#options.logger.warn({ error: (error as Error)?.message }, `worker ${what} failed`),
      );
    };
    this.#timers = [
      setInterval(
        guard('heartbeat', () => this.beat()),
        beatMs,
      ).unref(),
      setInterval(
        guard('sweep', () => this.sweep()),
        sweepMs,
      ).unref(),
    ];
  }

  /** Writes `now()` for every worker of this process. */
  async beat(): Promise<void> {
    if (this.#workerIds.size === 0) return;
    await this.#options.pool.query(
      `insert into worker_heartbeats (worker_id, process, beat_at)
       select id, $2, now() from unnest($1::text[]) as id
       on conflict (worker_id) do update set beat_at = excluded.beat_at`,
      [[...this.#workerIds], this.#process],
    );
  }

  /**
   * Releases the jobs of dead workers.
   * @returns the worker ids whose jobs were released.
   */
  async sweep(): Promise<string[]> {
    const staleSeconds = (this.#options.staleMs ?? DEFAULT_STALE_MS) / 1000;
    const { rows } = await this.#options.pool.query<{ worker_id: string }>(
      `select distinct jobs.locked_by as worker_id
         from graphile_worker._private_jobs as jobs
        where jobs.locked_by is not null
          and jobs.locked_at < now() - make_interval(secs => $1)
          and not exists (
            select 1 from worker_heartbeats as h
             where h.worker_id = jobs.locked_by and h.beat_at >= now() - make_interval(secs => $1))`,
      [staleSeconds],
    );
    const dead = rows.map((r) => r.worker_id);
    if (dead.length === 0) return dead;
    await this.#options.utils.forceUnlockWorkers(dead);
    await this.#options.pool.query('delete from worker_heartbeats where worker_id = any($1::text[])', [dead]);
    this.#options.logger.warn({ workers: dead }, 'released the jobs of workers that stopped beating');
    return dead;
  }

  /** Stops beating and removes this process's rows (its workers have stopped). */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    if (this.#workerIds.size === 0) return;
    await this.#options.pool.query('delete from worker_heartbeats where worker_id = any($1::text[])', [
      [...this.#workerIds],
    ]);
  }
}
