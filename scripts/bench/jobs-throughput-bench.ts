/**
 * Job throughput (issue: "Jobs: ≥ 10,000 no-op jobs/s with tuned worker settings (documented), against
 * graphile-worker's own figure").
 *
 * Every run, for each configuration in turn: N no-op jobs are queued with graphile-worker's `addJobs` (one
 * `add_jobs` call, timed apart and printed as jobs queued/s) and the table vacuumed; then a worker is started and
 * timed from its start until the queue holds no job: every job run once and its result written. jobs/s = N / that.
 *
 * - `startWorker` defaults: `src/jobs/worker.ts` as `engarde serve` and `engarde worker` run it (concurrency 4,
 *   pollInterval 1 s, no batching, heartbeat on; no crontab), on the service's pool (`openDatabase`, `POOL_SIZE`),
 *   logging through the service's pino logger at `--log-level` (the service's default, info) into /dev/null.
 * - tuned: `startWorker` with `TUNED` below as its `tuning` (heartbeat and shutdown handling included), on the
 *   service's pool at `TUNED.poolSize`, the same logger.
 * - baseline, graphile-worker's perfTest reproduced (the npm package does not ship it): its load test runs 4
 *   processes of the package's CLI, `graphile-worker --once -j 24 -m 25`, with the preset its Performance page
 *   publishes with its figure (`localQueue: { size: 500 }`, `completeJobBatchDelay: 0`, `failJobBatchDelay: 0`) and
 *   `NO_LOG_SUCCESS=1`, and reports N / (their wall time − one CLI's start and exit on an empty queue). Done here the
 *   same way, on the same queue, in the same run. Its published figure: `PUBLISHED`.
 *
 * CPU: besides wall time, each configuration's CPU time per job, the worker's Node process(es) plus the Postgres
 * server's processes (read from /proc when the server runs on this machine; all of its processes, so work on other
 * databases of a shared server counts too): wall time on 2 shared cores moves with whatever else runs, CPU per job
 * much less.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (fsync and synchronous_commit off, as for the
 * tests; the first line says which); the benchmark works in its own database, dropped after. The configurations
 * alternate within each run, after one small warm-up round; the summary is the median of `--runs`.
 *
 * Usage: npx tsx scripts/bench/jobs-throughput-bench.ts [--runs 5] [--jobs 100000] [--default-jobs 20000]
 *        [--log-level info|warn] [--only defaults,tuned,perftest]
 *        [--concurrency 10] [--pool-size 12] [--local-queue 100] [--batch-delay 25]   (to try other tuned settings)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Logger as GraphileLogger, makeWorkerUtils, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { destination, type Logger } from 'pino';
import { migrateToLatest, openDatabase, POOL_SIZE } from '../../src/db/database.js';
import { startWorker } from '../../src/jobs/worker.js';
import { serviceLogger } from '../../src/service/service-runtime.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { childrenCpuMs, findPostmaster, postgresCpuMs } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '100000' },
    'default-jobs': { type: 'string', default: '20000' },
    'log-level': { type: 'string', default: 'info' },
    only: { type: 'string', default: 'defaults,tuned,perftest' },
    concurrency: { type: 'string', default: '10' },
    'pool-size': { type: 'string', default: '12' },
    'local-queue': { type: 'string', default: '100' },
    'batch-delay': { type: 'string', default: '25' },
  },
});
const runs = Number(values.runs);
const jobs = Number(values.jobs);
const defaultJobs = Number(values['default-jobs']);
const logLevel = values['log-level'] as string;
const only = new Set((values.only as string).split(','));
const TARGET = 10_000;
const TIMEOUT_MS = 120_000;
const WARMUP_JOBS = 2000;

/** graphile-worker's own figure: its perfTest "With batching" (https://worker.graphile.org/docs/performance). */
const PUBLISHED = {
  jobsPerSecond: 184_000,
  source: 'worker.graphile.org/docs/performance, perfTest "With batching": 4 × --once -j 24, i9-14900K, db local',
};

/** The tuned settings (documented in the README): graphile-worker `run()` options and the pool they need. */
const TUNED = {
  concurrency: Number(values.concurrency),
  /** `concurrency` + 2: the LISTEN connection and one for fetching and completing batches. */
  poolSize: Number(values['pool-size']),
  pollInterval: 1000,
  localQueue: { size: Number(values['local-queue']), ttl: 60_000 },
  completeJobBatchDelay: Number(values['batch-delay']),
  failJobBatchDelay: Number(values['batch-delay']),
};

/** graphile-worker's perfTest load test, and the preset its Performance page publishes with its figure. */
const PERFTEST = { processes: 4, concurrency: 24, poolSize: 25 };
const PERFTEST_PRESET = `module.exports = {
  worker: {
    fileExtensions: ['.js', '.cjs', '.mjs'],
    concurrentJobs: ${PERFTEST.concurrency},
    maxPoolSize: ${PERFTEST.poolSize},
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};
`;

type Config = 'defaults' | 'tuned' | 'perftest';
const LABELS: Record<Config, string> = {
  defaults: '`startWorker` defaults (as the service runs it)',
  tuned: 'tuned settings, one process',
  perftest: `baseline: graphile-worker perfTest (${PERFTEST.processes} × \`--once -j ${PERFTEST.concurrency}\`)`,
};

interface Measured {
  config: Config;
  jobs: number;
  /** Start to queue empty (perfTest: its wall time minus its empty start and exit). */
  ms: number;
  jobsPerSecond: number;
  queuedPerSecond: number;
  /** CPU µs a job: the worker's Node process(es), and the Postgres server (undefined when not on this machine). */
  nodeCpuUs: number;
  postgresCpuUs: number | undefined;
  /** perfTest only: its processes' wall time, and one CLI's start and exit on an empty queue. */
  perfTest?: { wallMs: number; startupMs: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const silent = new GraphileLogger(() => () => {});

// ---------------------------------------------------------------------------------------------------- the queue

/** Queues `n` no-op jobs in one `add_jobs` call (timed), after vacuuming the table; analyses it (not timed). */
async function queueJobs(admin: pg.Pool, n: number): Promise<number> {
  const left = await admin.query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs');
  if (left.rows[0]?.n !== 0) throw new Error(`${left.rows[0]?.n} jobs left over from the previous measurement`);
  await admin.query('vacuum graphile_worker._private_jobs');
  const utils = await makeWorkerUtils({ pgPool: admin, logger: silent });
  try {
    const specs = Array.from({ length: n }, (_, id) => ({ identifier: 'noop', payload: { id } }));
    const started = performance.now();
    await utils.addJobs(specs);
    const ms = performance.now() - started;
    await admin.query('analyze graphile_worker._private_jobs');
    return (n * 1000) / ms;
  } finally {
    await utils.release();
  }
}

/** Resolves once the queue holds no job (polled every 5 ms). */
async function untilEmpty(admin: pg.Pool, deadline: number): Promise<void> {
  for (;;) {
    const { rows } = await admin.query<{ any: boolean }>(
      'select exists (select 1 from graphile_worker._private_jobs) as any',
    );
    if (!rows[0]?.any) return;
    if (performance.now() > deadline) throw new Error('jobs still queued at the deadline');
    await sleep(5);
  }
}

// ------------------------------------------------------------------------------------------------ the workers

type Starter = (pool: pg.Pool, taskList: TaskList, logger: Logger) => Promise<() => Promise<void>>;

const startDefaults: Starter = async (pool, taskList, logger) => {
  const worker = await startWorker({ pool, taskList, logger });
  return () => worker.stop();
};

const startTuned: Starter = async (pool, taskList, logger) => {
  const worker = await startWorker({
    pool,
    taskList,
    logger,
    concurrency: TUNED.concurrency,
    tuning: {
      pollIntervalMs: TUNED.pollInterval,
      localQueue: TUNED.localQueue,
      completeJobBatchDelay: TUNED.completeJobBatchDelay,
      failJobBatchDelay: TUNED.failJobBatchDelay,
    },
  });
  return () => worker.stop();
};

interface Setup {
  url: string;
  admin: pg.Pool;
  postmaster: number | undefined;
  /** Holds the perfTest's task folder and preset. */
  dir: string;
}

/** A worker started in this process over `n` queued jobs: start → queue empty. */
async function timeInProcess(setup: Setup, config: Config, n: number): Promise<Measured> {
  const [poolSize, start] = config === 'defaults' ? [POOL_SIZE, startDefaults] : [TUNED.poolSize, startTuned];
  const queuedPerSecond = await queueJobs(setup.admin, n);
  const { pool, close } = openDatabase(setup.url, { max: poolSize });
  const logger = serviceLogger(logLevel, destination({ dest: '/dev/null', sync: true }));
  let done = 0;
  let allRan!: () => void;
  const ran = new Promise<void>((resolve) => {
    allRan = resolve;
  });
  const taskList: TaskList = {
    noop: async () => {
      if (++done === n) allRan();
    },
  };
  const cpu = process.cpuUsage();
  const pgCpu = postgresCpuMs(setup.postmaster);
  const started = performance.now();
  const stop = await start(pool, taskList, logger);
  const timer = new AbortController();
  let ms: number;
  try {
    // Race handles the timer's rejection, also its abort.
    const timeout = sleep(TIMEOUT_MS, undefined, { signal: timer.signal }).then(() => {
      throw new Error(`${done} of ${n} jobs ran in ${TIMEOUT_MS} ms`);
    });
    await Promise.race([ran, timeout]);
    await untilEmpty(setup.admin, started + TIMEOUT_MS);
    ms = performance.now() - started;
  } finally {
    timer.abort();
    await stop();
    await close();
  }
  const used = process.cpuUsage(cpu);
  const pgUsed = postgresCpuMs(setup.postmaster);
  if (done !== n) throw new Error(`${done} task runs for ${n} jobs`);
  return {
    config,
    jobs: n,
    ms,
    jobsPerSecond: (n * 1000) / ms,
    queuedPerSecond,
    nodeCpuUs: (used.user + used.system) / n,
    postgresCpuUs: pgCpu === undefined || pgUsed === undefined ? undefined : ((pgUsed - pgCpu) * 1000) / n,
  };
}

/** graphile-worker's perfTest way: its CLI processes' wall time minus one CLI's start and exit on an empty queue. */
async function timePerfTest(setup: Setup, n: number): Promise<Measured> {
  const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('graphile-worker')), 'cli.js');
  const env = { ...process.env, DATABASE_URL: setup.url, NO_LOG_SUCCESS: '1' };
  const args = [cli, '--once', '-j', String(PERFTEST.concurrency), '-m', String(PERFTEST.poolSize)];
  args.push('--config', path.join(setup.dir, 'graphile.config.cjs'));
  const cliOnce = async (count: number) => {
    const started = performance.now();
    const children = Array.from({ length: count }, () =>
      spawn(process.execPath, args, { cwd: setup.dir, env, stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    const codes = await Promise.all(children.map((c) => once(c, 'exit') as Promise<[number | null]>));
    if (codes.some(([code]) => code !== 0)) throw new Error(`graphile-worker --once exited ${codes.join(', ')}`);
    return performance.now() - started;
  };
  const startupMs = await cliOnce(1);
  const queuedPerSecond = await queueJobs(setup.admin, n);
  const cpu = childrenCpuMs();
  const pgCpu = postgresCpuMs(setup.postmaster);
  const wallMs = await cliOnce(PERFTEST.processes);
  const used = childrenCpuMs() - cpu;
  const pgUsed = postgresCpuMs(setup.postmaster);
  await untilEmpty(setup.admin, performance.now() + 5000);
  const ms = wallMs - startupMs;
  return {
    config: 'perftest',
    jobs: n,
    ms,
    perfTest: { wallMs, startupMs },
    jobsPerSecond: (n * 1000) / ms,
    queuedPerSecond,
    // Their CPU includes the CLIs' start and exit (a few hundred ms for the 4), spread over the jobs.
    nodeCpuUs: (used * 1000) / n,
    postgresCpuUs: pgCpu === undefined || pgUsed === undefined ? undefined : ((pgUsed - pgCpu) * 1000) / n,
  };
}

// ------------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!(runs >= 1 && jobs >= 1000 && defaultJobs >= 1000 && TUNED.concurrency >= 1 && TUNED.poolSize >= 2)) {
    throw new Error('bad arguments; see the usage');
  }
  const configs = (['defaults', 'tuned', 'perftest'] as const).filter((c) => only.has(c));
  const database = await createTestDatabase('engarde_bench');
  const admin = database.pool({ max: 2 });
  admin.on('connect', (client) => client.on('error', () => {}));
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-jobs-bench-'));
  try {
    const service = openDatabase(database.url, { max: 2 });
    await migrateToLatest(service.db); // the service's tables (`worker_heartbeats`)
    await service.close();
    const utils = await makeWorkerUtils({ pgPool: admin, logger: silent });
    await utils.migrate(); // graphile-worker's schema
    await utils.release();
    mkdirSync(path.join(dir, 'tasks'));
    writeFileSync(path.join(dir, 'tasks', 'noop.js'), 'module.exports = () => {};\n');
    writeFileSync(path.join(dir, 'graphile.config.cjs'), PERFTEST_PRESET);
    const setup: Setup = {
      url: database.url,
      admin,
      postmaster: await findPostmaster((text) => admin.query(text)),
      dir,
    };

    const { rows } = await admin.query<{ version: string; fsync: string; sync: string }>(
      "select current_setting('server_version') as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync",
    );
    const server = rows[0];
    console.log(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
        `Postgres ${server?.version} ${process.env.DATABASE_URL ? '(DATABASE_URL)' : '(embedded, throw-away)'} ` +
        `${setup.postmaster === undefined ? 'elsewhere' : 'on this machine'}, fsync ${server?.fsync}, ` +
        `synchronous_commit ${server?.sync}; service log level ${logLevel}; load average ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log(`tuned: ${JSON.stringify(TUNED)}`);
    console.log(
      `jobs per measurement: ${defaultJobs} for \`startWorker\` defaults, ${jobs} for the others; ${runs} runs\n`,
    );

    // Warm-up (not reported): each in-process configuration once over a few jobs.
    for (const config of configs) if (config !== 'perftest') await timeInProcess(setup, config, WARMUP_JOBS);

    const results: Measured[] = [];
    for (let i = 1; i <= runs; i++) {
      for (const config of configs) {
        const r =
          config === 'perftest'
            ? await timePerfTest(setup, jobs)
            : await timeInProcess(setup, config, config === 'defaults' ? defaultJobs : jobs);
        results.push(r);
        const extra = r.perfTest
          ? `; wall ${r.perfTest.wallMs.toFixed(0)} ms − empty start/exit ${r.perfTest.startupMs.toFixed(0)} ms`
          : '';
        console.log(
          `run ${i} ${config.padEnd(8)} ${rate(r.jobsPerSecond).padStart(7)} jobs/s (${r.jobs} in ${r.ms.toFixed(0)} ms${extra}); ` +
            `CPU/job: Node ${r.nodeCpuUs.toFixed(0)} µs, Postgres ${r.postgresCpuUs?.toFixed(0) ?? '?'} µs; ` +
            `queued at ${rate(r.queuedPerSecond)}/s`,
        );
      }
    }

    const of = (config: Config) => results.filter((r) => r.config === config);
    const baseline = configs.includes('perftest') ? median(of('perftest').map((r) => r.jobsPerSecond)) : undefined;
    console.log(`\nmedian of ${runs} runs (jobs/s: start → every result written)`);
    console.log(
      '| configuration | jobs/s (median) | all runs | vs baseline, same run (median) | CPU µs a job, Node + Postgres |\n' +
        '| --- | ---: | --- | ---: | ---: |',
    );
    const base = of('perftest');
    for (const config of configs) {
      const rs = of(config);
      const m = median(rs.map((r) => r.jobsPerSecond));
      // Each run measures every configuration once, in turn: the i-th of each is from the same run.
      const ratio =
        base.length === rs.length
          ? median(rs.map((r, i) => r.jobsPerSecond / (base[i] as Measured).jobsPerSecond))
          : undefined;
      const pgUs = rs.every((r) => r.postgresCpuUs !== undefined)
        ? median(rs.map((r) => r.postgresCpuUs as number)).toFixed(0)
        : '?';
      console.log(
        `| ${LABELS[config]} | ${rate(m)} | ${rs.map((r) => rate(r.jobsPerSecond)).join(', ')} | ` +
          `${ratio === undefined ? '–' : `${ratio.toFixed(2)}×`} | ${median(rs.map((r) => r.nodeCpuUs)).toFixed(0)} + ${pgUs} |`,
      );
    }
    console.log(
      `graphile-worker's published figure: ${rate(PUBLISHED.jobsPerSecond)} jobs/s (${PUBLISHED.source})` +
        (baseline
          ? `; its test here: ${rate(baseline)} jobs/s (${(baseline / PUBLISHED.jobsPerSecond).toFixed(2)}×)`
          : ''),
    );
    console.log(`jobs queued with one add_jobs call: ${rate(median(results.map((r) => r.queuedPerSecond)))}/s`);
    console.log(
      `load average (1 min) at the end: ${loadavg()[0]?.toFixed(1)} (other work on these cores moves wall times)`,
    );
    if (configs.includes('tuned')) {
      const tuned = median(of('tuned').map((r) => r.jobsPerSecond));
      console.log(
        `target ≥ ${rate(TARGET)} no-op jobs/s with the tuned settings: ${tuned >= TARGET ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
