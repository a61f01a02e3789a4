/**
 * Sync memory (issue: "a 1,000,000-record full sync: peak RSS ≤ 256 MB — streamed, never held whole").
 *
 * Three processes: this one (the scratch database, the report), the platform emulator holding the records (a child,
 * see `sync-bench-support.ts`; its own peak RSS is shown, to say what holding them costs) and the engine: a child that
 * runs nothing but the service context (`openService`, as `engarde serve` opens it, under tsx as a checkout runs it),
 * a new tenant and connection, and one `syncEntity` — a first full sync. Its peak RSS is the kernel's
 * (`process.resourceUsage().maxRSS`, the whole process's life); beside it, the baseline measured in the same process
 * just before the sync: its RSS once everything is loaded and the service open, idle. It samples its RSS and V8 heap
 * every 250 ms and reports progress every 10 % of the records.
 *
 * A sync still running after `--timeout-s` (default 600: the issue's 10 minutes) has its statement cancelled and
 * the engine process stopped; the report then says how far it got, at what rate, and the peak RSS until then.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (fsync off); the benchmark works in its own
 * database, dropped after (the tables are truncated between runs). The summary is the median of `--runs`.
 *
 * Usage: npx tsx scripts/bench/sync-memory-bench.ts [--runs 3] [--records 1000000] [--platform brevo/contacts]
 *        [--page-size <n>] [--timeout-s 600] [--engine-node-options "<flags>"]   (for the engine process only)
 *        [--pg-set name=value …]   (a diagnostic, see the support module)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SyncTarget } from '../../src/sync/record-store.js';
import { syncEntity } from '../../src/sync/sync-entity.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import {
  analyzeCounts,
  applyPgSettings,
  type BenchPlatform,
  type BenchService,
  DEFAULT_PLATFORM,
  describePostgres,
  findPostmaster,
  loadLine,
  machine,
  mb,
  median,
  openBenchService,
  parsePlatform,
  platformFacts,
  postgresCpuMs,
  rate,
  startEmulatorProcess,
  watchdog,
} from './sync-bench-support.js';

const SELF = fileURLToPath(import.meta.url);
const TARGET_BYTES = 256 * 2 ** 20;
const SAMPLE_MS = 250;

// ------------------------------------------------------------------------------------------------ the engine

interface EngineSpec {
  databaseUrl: string;
  platform: BenchPlatform;
  emulator: { baseUrl: string; credentials: Record<string, unknown>; connectionConfig: Record<string, string> };
  records: number;
  pageSize: number | undefined;
  /** Node flags for the engine process only (before tsx's). */
  nodeOptions: string[];
}

interface Memory {
  /** The kernel's peak RSS of the engine process so far, bytes. */
  maxRss: number;
  /** Highest sampled V8 heap used, and memory outside it (`external`: Buffers and other array buffers included), bytes. */
  heapUsed: number;
  external: number;
}

type EngineMessage =
  | { ready: { idleRss: number; idleHeapUsed: number } }
  | { progress: { records: number; pages: number; ms: number; rss: number } & Memory }
  | { done: { ms: number; pagesMs: number; records: number; pages: number; status: string; error?: string } & Memory };

const send = (message: EngineMessage) => process.send?.(message);

async function runEngine(spec: EngineSpec): Promise<void> {
  const bench = await openBenchService(spec.databaseUrl, spec.platform, spec.emulator, { migrate: false });
  const target: SyncTarget = await bench.newTarget();
  const memory: Memory = { maxRss: 0, heapUsed: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    memory.heapUsed = Math.max(memory.heapUsed, m.heapUsed);
    memory.external = Math.max(memory.external, m.external);
    memory.maxRss = process.resourceUsage().maxRSS * 1024;
    return m.rss;
  };
  global.gc?.();
  const idle = process.memoryUsage();
  send({ ready: { idleRss: idle.rss, idleHeapUsed: idle.heapUsed } });
  const sampler = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  let lastPage = started;
  let nextReport = spec.records / 10;
  let outcome: Awaited<ReturnType<typeof syncEntity>>;
  try {
    outcome = await syncEntity(bench.service.ctx, target, {
      attempt: 1,
      maxAttempts: 1,
      pageSize: spec.pageSize,
      afterPage: ({ pages, recordsPulled }) => {
        lastPage = performance.now();
        if (recordsPulled >= nextReport) {
          nextReport += spec.records / 10;
          const rss = sample();
          send({ progress: { records: recordsPulled, pages, ms: lastPage - started, rss, ...memory } });
        }
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  sample();
  const pull = outcome.status === 'succeeded' ? outcome.pull : undefined;
  send({
    done: {
      ms,
      pagesMs: lastPage - started,
      records: pull?.recordsTotal ?? 0,
      pages: pull?.pages ?? 0,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
      ...memory,
    },
  });
  await bench.close();
}

// ------------------------------------------------------------------------------------------------ the report

interface RunResult {
  idleRss: number;
  maxRss: number;
  heapUsed: number;
  external: number;
  ms: number;
  pagesMs: number;
  records: number;
  finished: boolean;
  postgresCpuMs: number | undefined;
  /** Analyzes of `sync_records` and `sync_run_seen` (by autovacuum) during the run. */
  analyzed: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function startEngine(spec: EngineSpec): { child: ChildProcess; messages: EngineMessage[]; next(): Promise<void> } {
  const args = [...spec.nodeOptions, ...process.execArgv, SELF, '--engine', JSON.stringify(spec)];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: EngineMessage[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: EngineMessage) => {
    messages.push(m);
    wake?.();
  });
  child.on('exit', () => wake?.());
  return {
    child,
    messages,
    next: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
}

async function oneRun(
  spec: EngineSpec,
  run: string,
  timeoutMs: number,
  query: (text: string) => Promise<{ rows: unknown[] }>,
  postmaster: number | undefined,
): Promise<RunResult> {
  await query('truncate sync_records, sync_run_seen');
  await query('checkpoint').catch(() => {});
  const analyzedBefore = await analyzeCounts(query);
  const engine = startEngine(spec);
  const exited = once(engine.child, 'exit');
  let ready: { idleRss: number; idleHeapUsed: number } | undefined;
  let last: Extract<EngineMessage, { progress: unknown }>['progress'] | undefined;
  let done: Extract<EngineMessage, { done: unknown }>['done'] | undefined;
  let guard: ReturnType<typeof watchdog> | undefined;
  let pgBefore: number | undefined;
  let timedOut = false;
  let killer: NodeJS.Timeout | undefined;
  for (;;) {
    const waiting = engine.next();
    const exitedAlready = engine.child.exitCode !== null || engine.child.signalCode !== null;
    for (const m of engine.messages.splice(0)) {
      if ('ready' in m) {
        ready = m.ready;
        pgBefore = postgresCpuMs(postmaster);
        guard = watchdog(query, timeoutMs);
        // The cancelled statement fails the sync; if the engine does not return soon after, it is stopped.
        killer = setTimeout(() => engine.child.kill('SIGKILL'), timeoutMs + 30_000);
        console.log(
          `${run}: engine process ready, idle RSS ${mb(ready.idleRss)}; syncing ${rate(spec.records)} records`,
        );
      } else if ('progress' in m) {
        last = m.progress;
        console.log(
          `${run}: ${rate(last.records).padStart(9)} records (${last.pages} pages) in ${seconds(last.ms)}, ` +
            `${rate((last.records * 1000) / last.ms)} records/s; RSS ${mb(last.rss)}, peak ${mb(last.maxRss)}, ` +
            `heap peak ${mb(last.heapUsed)}`,
        );
      } else {
        done = m.done;
      }
    }
    if (done || exitedAlready) break;
    await waiting;
  }
  guard?.stop();
  clearTimeout(killer);
  timedOut = guard?.fired() ?? false;
  await exited;
  // The engine's backends end with it; their CPU time counts once the postmaster has reaped them.
  for (let i = 0; i < 50; i++) {
    const { rows } = await query(
      'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    if ((rows[0] as { n: number }).n === 0) break;
    await sleep(100);
  }
  await sleep(200);
  const pgAfter = postgresCpuMs(postmaster);
  if (!ready) throw new Error('the engine process exited before it was ready');
  if (!done) throw new Error(`the engine process exited (${engine.child.exitCode}) without a result`);
  const finished = !timedOut && done.status === 'succeeded' && done.records === spec.records;
  if (!finished && !timedOut) throw new Error(`the sync ${done.status}: ${done.error ?? `${done.records} records`}`);
  return {
    idleRss: ready.idleRss,
    maxRss: done.maxRss,
    heapUsed: done.heapUsed,
    external: done.external,
    ms: done.ms,
    pagesMs: done.pagesMs,
    records: finished ? done.records : (last?.records ?? 0),
    finished,
    postgresCpuMs: pgBefore === undefined || pgAfter === undefined ? undefined : pgAfter - pgBefore,
    analyzed: (await analyzeCounts(query)) - analyzedBefore,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      records: { type: 'string', default: '1000000' },
      platform: { type: 'string', default: `${DEFAULT_PLATFORM.platform}/${DEFAULT_PLATFORM.entity}` },
      'page-size': { type: 'string' },
      'timeout-s': { type: 'string', default: '600' },
      'pg-set': { type: 'string', multiple: true, default: [] },
      'engine-node-options': { type: 'string', default: '' },
    },
  });
  const runs = Number(values.runs);
  const records = Number(values.records);
  const timeoutMs = Number(values['timeout-s']) * 1000;
  const platform = parsePlatform(values.platform as string);
  if (!(runs >= 1 && records >= 1000 && timeoutMs > 0)) throw new Error('bad arguments; see the usage');
  const facts = await platformFacts(platform);
  const pageSize = values['page-size'] ? Number(values['page-size']) : undefined;

  const database = await createTestDatabase('engarde_bench');
  const admin = database.pool({ max: 1 }); // one session: the count of the engine's backends above excludes it
  const query = (text: string) => admin.query(text);
  const diagnostic = await applyPgSettings(query, database.name, values['pg-set'] as string[]);
  const emulator = await startEmulatorProcess({ ...platform, records });
  let bench: BenchService | undefined;
  try {
    bench = await openBenchService(database.url, platform, emulator); // migrates the database
    await bench.close();
    bench = undefined;
    const postmaster = await findPostmaster(query);
    console.log(`Machine: ${machine()}; ${await describePostgres(query, postmaster)}${diagnostic}`);
    console.log(
      `Platform: ${platform.platform} ${platform.entity}, ${pageSize ?? facts.pageSize} a page (config-driven emulator ` +
        `in its own process: ${rate(records)} records seeded in ${seconds(emulator.seedMs)}, its peak RSS ` +
        `${mb((await emulator.stats()).maxRssKb * 1024)})`,
    );
    console.log(`${runs} runs; a sync is cancelled after ${seconds(timeoutMs)}\n`);

    const nodeOptions = (values['engine-node-options'] as string).split(' ').filter(Boolean);
    if (nodeOptions.length > 0) console.log(`engine process Node flags: ${nodeOptions.join(' ')}`);
    const spec: EngineSpec = { databaseUrl: database.url, platform, emulator, records, pageSize, nodeOptions };
    const results: RunResult[] = [];
    for (let i = 1; i <= runs; i++) {
      const r = await oneRun(spec, `run ${i}`, timeoutMs, query, postmaster);
      results.push(r);
      const pgCpu = r.postgresCpuMs === undefined ? '?' : seconds(r.postgresCpuMs);
      if (!r.finished) {
        console.log(
          `run ${i}: did NOT finish in ${seconds(timeoutMs)}: ${rate(r.records)} records stored in ` +
            `${seconds(r.pagesMs)} (${rate((r.records * 1000) / r.pagesMs)} records/s), then cancelled; ` +
            `peak RSS ${mb(r.maxRss)} (idle ${mb(r.idleRss)}); Postgres CPU ${pgCpu}; tables analyzed meanwhile ` +
            `${r.analyzed}×`,
        );
        break; // the next would not finish either
      }
      console.log(
        `run ${i}: ${rate(records)} records in ${seconds(r.ms)} (${rate((records * 1000) / r.ms)} records/s; pages ` +
          `stored in ${seconds(r.pagesMs)}, then ${seconds(r.ms - r.pagesMs)} to the end); peak RSS ${mb(r.maxRss)} ` +
          `(idle before the sync ${mb(r.idleRss)}, +${mb(r.maxRss - r.idleRss)}); V8 heap peak ${mb(r.heapUsed)}, ` +
          `external (Buffers) peak ${mb(r.external)}; Postgres CPU ${pgCpu}; tables analyzed meanwhile ` +
          `${r.analyzed}×`,
      );
    }

    const finished = results.filter((r) => r.finished);
    const peak = median(results.map((r) => r.maxRss));
    console.log(`\n${finished.length} of ${results.length} runs finished`);
    if (finished.length > 0) {
      const m = (f: (r: RunResult) => number) => median(finished.map(f));
      console.log('| measurement | median | all runs |\n| --- | ---: | --- |');
      console.log(`| engine peak RSS | ${mb(m((r) => r.maxRss))} | ${finished.map((r) => mb(r.maxRss)).join(', ')} |`);
      console.log(
        `| baseline: the same process idle before the sync | ${mb(m((r) => r.idleRss))} | ` +
          `${finished.map((r) => mb(r.idleRss)).join(', ')} |`,
      );
      console.log(`| wall time | ${seconds(m((r) => r.ms))} | ${finished.map((r) => seconds(r.ms)).join(', ')} |`);
      console.log(
        `| records/s | ${rate((records * 1000) / m((r) => r.ms))} | ` +
          `${finished.map((r) => rate((records * 1000) / r.ms)).join(', ')} |`,
      );
    } else {
      const r = results[0] as RunResult;
      console.log(
        `before it was cancelled: ${rate((r.records * 1000) / r.pagesMs)} records/s storing pages; at that rate the ` +
          `pages of ${rate(records)} records take ${seconds((records * r.pagesMs) / Math.max(r.records, 1))}, ` +
          'and the pass after the last page did not end',
      );
    }
    console.log(loadLine());
    console.log(
      `target peak RSS ≤ ${mb(TARGET_BYTES)}: ${peak <= TARGET_BYTES ? 'met' : 'NOT met'} (median ${mb(peak)}, ` +
        `highest ${mb(Math.max(...results.map((r) => r.maxRss)))}); ` +
        `a ${rate(records)}-record sync in < ${seconds(timeoutMs)}: ` +
        `${finished.length === results.length ? 'met' : 'NOT met'}` +
        (diagnostic ? ' (with the diagnostic settings above, not as the service runs)' : ''),
    );
  } finally {
    await bench?.close();
    await emulator.close();
    await database.drop();
  }
}

if (process.argv[2] === '--engine') {
  runEngine(JSON.parse(process.argv[3] as string) as EngineSpec).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
