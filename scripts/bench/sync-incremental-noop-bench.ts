/**
 * Incremental sync with nothing changed (issue: "≤ 200 ms of engine time over 10,000 stored records").
 *
 * Every run: a new connection to the platform emulator (a child process, see `sync-bench-support.ts`) holding
 * `--records` records; its first `syncEntity` is a full sync (timed and shown, no target); then, nothing changed on
 * the platform, `syncEntity` again — the target: the wall time of that second call — and `--repeat` − 1 more times
 * (shown as "later runs"). Each incremental call starts from the stored cursor minus the 5-minute lookback, so the
 * platform answers with the records changed in the last 5 minutes before the newest one (the emulator's records
 * changed a minute apart: a handful), which the engine finds unchanged (same content hash) and does not rewrite.
 * The tables are truncated before each run.
 *
 * Baseline, in the same run right after each second call: the platform request alone — a fresh adapter (the engine
 * makes one per sync) listing the same entity from the same `since`, every page read, nothing stored.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (fsync off); the benchmark works in its own
 * database, dropped after. The summary is the median of `--runs`.
 *
 * Usage: npx tsx scripts/bench/sync-incremental-noop-bench.ts [--runs 7] [--records 10000] [--repeat 5]
 *        [--platform brevo/contacts] [--pg-set name=value …]   (a diagnostic, see the support module)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { BaseAdapter } from '../../src/runtime/base-adapter.js';
import { DEFAULT_LOOKBACK_MS, highWaterOf, type PullResult } from '../../src/sync/pull.js';
import { syncEntity } from '../../src/sync/sync-entity.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import {
  applyPgSettings,
  type BenchService,
  DEFAULT_PLATFORM,
  describePostgres,
  type EmulatorProcess,
  findPostmaster,
  loadLine,
  machine,
  median,
  openBenchService,
  parsePlatform,
  platformFacts,
  rate,
  startEmulatorProcess,
} from './sync-bench-support.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    records: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '5' },
    platform: { type: 'string', default: `${DEFAULT_PLATFORM.platform}/${DEFAULT_PLATFORM.entity}` },
    'pg-set': { type: 'string', multiple: true, default: [] },
  },
});
const runs = Number(values.runs);
const records = Number(values.records);
const repeat = Number(values.repeat);
const platform = parsePlatform(values.platform as string);
const TARGET_MS = 200;

interface RunResult {
  fullMs: number;
  /** The second `syncEntity` (the target), its pull, and the time to its one page stored. */
  secondMs: number;
  secondPull: PullResult;
  secondPageMs: number;
  laterMs: number[];
  /** The baseline: the same listing through a fresh adapter. */
  adapterMs: number;
  adapterRecords: number;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await run();
  return [value, performance.now() - started];
}

async function oneRun(bench: BenchService, emulator: EmulatorProcess): Promise<RunResult> {
  const { ctx } = bench.service;
  await bench.service.pool.query('truncate sync_records, sync_run_seen');
  const target = await bench.newTarget();
  const attempt = { attempt: 1, maxAttempts: 1 };
  const sync = async () => {
    const outcome = await syncEntity(ctx, target, attempt);
    if (outcome.status !== 'succeeded' || !outcome.pull) throw new Error(`the sync ${JSON.stringify(outcome)}`);
    return outcome.pull;
  };

  const [full, fullMs] = await timed(sync);
  if (full.mode !== 'full' || full.recordsTotal !== records) {
    throw new Error(`the first sync was ${full.mode} and stored ${full.recordsTotal} of ${records}`);
  }
  const status = await ctx.db
    .selectFrom('platform_sync_status')
    .select('cursor')
    .where('tenant_id', '=', target.tenantId)
    .where('connection_id', '=', target.connectionId)
    .where('entity_type', '=', target.entity)
    .executeTakeFirstOrThrow();
  const highWater = highWaterOf(status.cursor);
  if (!highWater) throw new Error('no cursor after the full sync');

  let pageAt = 0;
  const started = performance.now();
  const second = await syncEntity(ctx, target, {
    ...attempt,
    afterPage: () => {
      pageAt = performance.now();
    },
  });
  const secondMs = performance.now() - started;
  if (second.status !== 'succeeded' || !second.pull) throw new Error(`the sync ${JSON.stringify(second)}`);
  if (second.pull.mode !== 'incremental' || second.pull.recordsChanged !== 0) {
    throw new Error(`the second sync was ${second.pull.mode} and changed ${second.pull.recordsChanged} records`);
  }

  // Baseline: what the platform's answer alone costs, from the same since.
  const adapter = (await ctx.registry.create(platform.platform, {
    credentials: { ...emulator.credentials },
    connectionConfig: { ...emulator.connectionConfig },
    baseUrl: emulator.baseUrl,
    rateLimitKey: randomUUID(),
    rateLimitStore: ctx.rateLimitStore,
  })) as BaseAdapter;
  let adapterRecords = 0;
  const [, adapterMs] = await timed(async () => {
    try {
      const since = new Date(Date.parse(highWater) - DEFAULT_LOOKBACK_MS);
      for await (const page of adapter.pages(platform.entity, { since })) adapterRecords += page.records.length;
    } finally {
      await adapter.close();
    }
  });

  const laterMs: number[] = [];
  for (let k = 1; k < repeat; k++) laterMs.push((await timed(sync))[1]);
  return {
    fullMs,
    secondMs,
    secondPull: second.pull,
    secondPageMs: (pageAt || started) - started,
    laterMs,
    adapterMs,
    adapterRecords,
  };
}

async function main(): Promise<void> {
  if (!(runs >= 1 && records >= 1 && repeat >= 1)) throw new Error('bad arguments; see the usage');
  const facts = await platformFacts(platform);
  const database = await createTestDatabase('engarde_bench');
  const admin = database.pool({ max: 1 });
  const query = (text: string) => admin.query(text);
  const diagnostic = await applyPgSettings(query, database.name, values['pg-set'] as string[]);
  const emulator = await startEmulatorProcess({ ...platform, records });
  let bench: BenchService | undefined;
  try {
    bench = await openBenchService(database.url, platform, emulator);
    console.log(`Machine: ${machine()}; ${await describePostgres(query, await findPostmaster(query))}${diagnostic}`);
    console.log(
      `Platform: ${platform.platform} ${platform.entity} (config-driven emulator in its own process), ` +
        `${rate(records)} records, ${facts.pageSize} a page; lookback ${DEFAULT_LOOKBACK_MS / 60_000} min`,
    );
    console.log(`${runs} runs: a full sync, then ${repeat} incremental syncs with nothing changed\n`);

    await oneRun(bench, emulator); // warm-up, not reported
    const results: RunResult[] = [];
    for (let i = 1; i <= runs; i++) {
      const r = await oneRun(bench, emulator);
      results.push(r);
      console.log(
        `run ${i}: full sync ${ms(r.fullMs)}; second sync ${ms(r.secondMs)} (${r.secondPull.recordsPulled} records ` +
          `pulled in ${r.secondPull.pages} page(s), ${r.secondPull.recordsChanged} changed; its page stored after ` +
          `${ms(r.secondPageMs)}); later runs ${r.laterMs.map((x) => x.toFixed(1)).join(', ')} ms; ` +
          `baseline (the same listing, adapter alone) ${ms(r.adapterMs)} for ${r.adapterRecords} records`,
      );
    }

    const second = median(results.map((r) => r.secondMs));
    const baseline = median(results.map((r) => r.adapterMs));
    console.log(`\nmedian of ${runs} runs, ${rate(records)} stored records, nothing changed`);
    console.log('| measurement | median | all runs |\n| --- | ---: | --- |');
    const row = (label: string, xs: number[]) =>
      console.log(`| ${label} | ${ms(median(xs))} | ${xs.map((x) => x.toFixed(1)).join(', ')} |`);
    row(
      'second `syncEntity` (incremental, nothing changed)',
      results.map((r) => r.secondMs),
    );
    row(
      '  of which: to its page stored',
      results.map((r) => r.secondPageMs),
    );
    if (repeat > 1)
      row(
        'later incremental runs (each run’s median)',
        results.map((r) => median(r.laterMs)),
      );
    row(
      'baseline: the same listing, adapter alone',
      results.map((r) => r.adapterMs),
    );
    row(
      'first (full) sync, for reference',
      results.map((r) => r.fullMs),
    );
    console.log(
      `engine / baseline: ${(second / baseline).toFixed(1)}× (the engine adds ${ms(second - baseline)} to the ` +
        `platform's answer)`,
    );
    console.log(loadLine());
    console.log(
      `target ≤ ${TARGET_MS} ms: ${second <= TARGET_MS ? 'met' : 'NOT met'}` +
        (diagnostic ? ' (with the diagnostic settings above, not as the service runs)' : ''),
    );
  } finally {
    await bench?.close();
    await emulator.close();
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
