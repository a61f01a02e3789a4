/**
 * Sync ingest (issue: "100,000 records from a loopback platform through the engine into Postgres ≥ 10,000 records/s,
 * and ≥ 0.5× a raw multi-row INSERT of the same rows measured in the same run").
 *
 * Every run, in alternating order:
 * - engine: `syncEntity` for a first full sync of a new connection, timed from the call to its return: the adapter
 *   pages through the platform emulator (a child process, see `sync-bench-support.ts`), each page is upserted into
 *   `sync_records` in one statement with its sealed checkpoint, the ids the pass has seen and the run's counters in
 *   the same transaction; after the last page, the deletion pass (stored records the pass did not see), the count
 *   and the status. The service as `engarde serve` opens it (Postgres rate-limit store, sealed credentials). The
 *   output splits the time at the last page stored.
 * - baseline: the same rows — the records as the adapter delivered them, fetched once before the runs, with their
 *   external id, normalized form and update time worked out beforehand (not timed) — inserted with plain multi-row
 *   `INSERT … VALUES` from node `pg`, one statement (its own transaction) per page of the same size, into a copy of
 *   `sync_records` (`LIKE … INCLUDING ALL` and the same foreign key): the same columns the engine writes (data,
 *   normalized, content hash, base_data, remote update time). Timed: each record's JSON, its SHA-256 in Node, the
 *   statements.
 * - adapter alone (where the time goes, no target): the same listing through a fresh adapter, nothing stored.
 * Both tables are truncated and a checkpoint taken before each measurement. One warm-up round is not reported.
 *
 * Platform: Brevo `contacts` by default (1,000 a page; its config's pace does not bind here). For comparison,
 * `--platform capsule-crm/parties` (link-header pages of at most 100, what the sync tests use; its 2,000-request burst
 * covers 100,000 records) and `--platform mailchimp/members` (1,000 a page, but its config paces requests at 9.7/s,
 * which caps any sync at about 9,700 records/s).
 *
 * CPU per measurement: this process (the engine, or the baseline's client), the Postgres server's processes (when on
 * this machine, from /proc) and the emulator process.
 *
 * An engine sync still running after `--timeout-s` has its statement cancelled: the run is reported as not finished
 * (with how long its pages took), and no further runs are made.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (fsync off); the benchmark works in its own
 * database, dropped after. The summary is the median of `--runs`; the ratio, the median of each run's ratio.
 *
 * Usage: npx tsx scripts/bench/sync-ingest-bench.ts [--runs 5] [--records 100000] [--platform brevo/contacts]
 *        [--page-size <n>] [--timeout-s 300] [--no-warmup]
 *        [--pg-set name=value …]   (a diagnostic: Postgres settings for the engine's sessions, e.g. enable_nestloop=off)
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import type { BaseAdapter } from '../../src/runtime/base-adapter.js';
import { getPath } from '../../src/runtime/dotted-path.js';
import { cursorInstant } from '../../src/runtime/incremental-filter.js';
import { normalizedOf } from '../../src/sync/pull.js';
import { syncEntity } from '../../src/sync/sync-entity.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import {
  analyzeCounts,
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
  postgresCpuMs,
  rate,
  startEmulatorProcess,
  watchdog,
} from './sync-bench-support.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    records: { type: 'string', default: '100000' },
    platform: { type: 'string', default: `${DEFAULT_PLATFORM.platform}/${DEFAULT_PLATFORM.entity}` },
    'page-size': { type: 'string' },
    'timeout-s': { type: 'string', default: '300' },
    'no-warmup': { type: 'boolean', default: false },
    'pg-set': { type: 'string', multiple: true, default: [] },
  },
});
const runs = Number(values.runs);
const records = Number(values.records);
const timeoutMs = Number(values['timeout-s']) * 1000;
const platform = parsePlatform(values.platform as string);
const TARGET = { recordsPerSecond: 10_000, ratio: 0.5 };
const BASELINE_TABLE = 'sync_records_baseline';

type Kind = 'engine' | 'baseline' | 'adapter';

interface Measured {
  kind: Kind;
  ms: number;
  recordsPerSecond: number;
  nodeCpuMs: number;
  postgresCpuMs: number | undefined;
  emulatorCpuMs: number;
  /** Engine only: start → last page stored, and last page → `syncEntity` returned (deletion pass, count, status). */
  phases?: { pagesMs: number; finishMs: number } | undefined;
  /** Engine only: cancelled by the watchdog. */
  timedOut?: boolean | undefined;
  /** Engine only: analyzes of `sync_records` and `sync_run_seen` (by autovacuum) while it ran. */
  analyzed?: number | undefined;
}

/** A record as the engine stores it (what `pull.ts` works out per record), for the baseline. */
interface Row {
  externalId: string;
  data: unknown;
  normalized: unknown;
  remoteUpdatedAt: string | null;
}

interface Setup {
  bench: BenchService;
  emulator: EmulatorProcess;
  admin: pg.Pool;
  postmaster: number | undefined;
  pageSize: number;
  pages: Row[][];
  /** A connection the baseline's rows belong to (its foreign key). */
  owner: { tenantId: string; connectionId: string };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sql = (setup: Setup) => (text: string) => setup.admin.query(text);

async function adapterFor(setup: Pick<Setup, 'bench' | 'emulator'>): Promise<BaseAdapter> {
  return (await setup.bench.service.ctx.registry.create(platform.platform, {
    credentials: { ...setup.emulator.credentials },
    connectionConfig: { ...setup.emulator.connectionConfig },
    baseUrl: setup.emulator.baseUrl,
    rateLimitKey: randomUUID(), // a budget of its own, in the same store as the engine's
    rateLimitStore: setup.bench.service.ctx.rateLimitStore,
  })) as BaseAdapter;
}

/** The platform's records as the adapter delivers them, with what the engine works out of each. */
async function fetchRows(setup: Pick<Setup, 'bench' | 'emulator' | 'pageSize'>): Promise<Row[][]> {
  const adapter = await adapterFor(setup);
  const config = adapter.meta.entities[platform.entity];
  if (!config) throw new Error(`no entity ${platform.entity}`);
  const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
  const pages: Row[][] = [];
  try {
    for await (const page of adapter.pages(platform.entity, { pageSize: setup.pageSize })) {
      pages.push(
        (page.records as unknown[]).map((raw) => {
          const at = cursorField ? cursorInstant(raw, cursorField) : undefined;
          return {
            externalId: String(getPath(raw, config.idField)),
            data: raw,
            normalized: normalizedOf(adapter.meta, platform.entity, raw),
            remoteUpdatedAt: at === undefined ? null : new Date(at).toISOString(),
          };
        }),
      );
    }
  } finally {
    await adapter.close();
  }
  return pages;
}

async function measure(setup: Setup, kind: Kind, run: () => Promise<void>): Promise<Measured> {
  await setup.admin.query(`truncate sync_records, sync_run_seen, ${BASELINE_TABLE}`);
  await setup.admin.query('checkpoint').catch(() => {}); // needs superuser or pg_checkpoint; best effort
  const emulatorBefore = await setup.emulator.stats();
  const pgBefore = postgresCpuMs(setup.postmaster);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const pgAfter = postgresCpuMs(setup.postmaster);
  const emulatorAfter = await setup.emulator.stats();
  return {
    kind,
    ms,
    recordsPerSecond: (records * 1000) / ms,
    nodeCpuMs: (used.user + used.system) / 1000,
    postgresCpuMs: pgBefore === undefined || pgAfter === undefined ? undefined : pgAfter - pgBefore,
    emulatorCpuMs: emulatorAfter.cpuMs - emulatorBefore.cpuMs,
  };
}

async function timeEngine(setup: Setup): Promise<Measured> {
  const { ctx } = setup.bench.service;
  const target = await setup.bench.newTarget();
  let stored = 0;
  let started = 0;
  let lastPage = 0;
  let timedOut = false;
  let analyzed = 0;
  const measured = await measure(setup, 'engine', async () => {
    analyzed = -(await analyzeCounts(sql(setup)));
    started = performance.now();
    const guard = watchdog(sql(setup), timeoutMs);
    try {
      const outcome = await syncEntity(ctx, target, {
        attempt: 1,
        maxAttempts: 1,
        pageSize: setup.pageSize,
        afterPage: () => {
          lastPage = performance.now();
        },
      });
      timedOut = guard.fired();
      if (timedOut) return;
      if (outcome.status !== 'succeeded' || !outcome.pull) throw new Error(`the sync ${JSON.stringify(outcome)}`);
      stored = outcome.pull.recordsTotal;
    } finally {
      guard.stop();
    }
    analyzed += await analyzeCounts(sql(setup));
  });
  if (!timedOut && stored !== records) throw new Error(`the engine stored ${stored} of ${records} records`);
  const pagesMs = (lastPage || started) - started;
  return { ...measured, phases: { pagesMs, finishMs: measured.ms - pagesMs }, timedOut, analyzed };
}

async function timeBaseline(setup: Setup): Promise<Measured> {
  const { tenantId, connectionId } = setup.owner;
  const client = await setup.admin.connect();
  try {
    const measured = await measure(setup, 'baseline', async () => {
      for (const page of setup.pages) {
        const params: unknown[] = [];
        const tuples: string[] = [];
        for (const row of page) {
          const data = JSON.stringify(row.data);
          const n = params.length;
          tuples.push(`($${n + 1},$${n + 2},$${n + 3},$${n + 4},$${n + 5},$${n + 6},$${n + 7},$${n + 8},$${n + 9})`);
          params.push(
            tenantId,
            connectionId,
            platform.entity,
            row.externalId,
            data,
            JSON.stringify(row.normalized),
            createHash('sha256').update(data).digest(),
            data,
            row.remoteUpdatedAt,
          );
        }
        await client.query(
          `insert into ${BASELINE_TABLE} (tenant_id, connection_id, entity_type, external_id, data, normalized, ` +
            `content_hash, base_data, remote_updated_at) values ${tuples.join(', ')}`,
          params,
        );
      }
    });
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${BASELINE_TABLE}`);
    if (rows[0]?.n !== records) throw new Error(`the baseline stored ${rows[0]?.n} of ${records} records`);
    return measured;
  } finally {
    client.release();
  }
}

async function timeAdapter(setup: Setup): Promise<Measured> {
  const adapter = await adapterFor(setup);
  let seen = 0;
  try {
    const measured = await measure(setup, 'adapter', async () => {
      for await (const page of adapter.pages(platform.entity, { pageSize: setup.pageSize })) {
        seen += page.records.length;
      }
    });
    if (seen !== records) throw new Error(`the adapter listed ${seen} of ${records} records`);
    return measured;
  } finally {
    await adapter.close();
  }
}

const TIMERS: Record<Kind, (setup: Setup) => Promise<Measured>> = {
  engine: timeEngine,
  baseline: timeBaseline,
  adapter: timeAdapter,
};

const LABELS: Record<Kind, string> = {
  engine: '`syncEntity`, first full sync',
  baseline: 'baseline: multi-row INSERT of the same rows',
  adapter: 'adapter alone: the same listing, nothing stored',
};

function describe(r: Measured): string {
  const cpu =
    `CPU: Node ${rate(r.nodeCpuMs)} ms, Postgres ${r.postgresCpuMs === undefined ? '?' : rate(r.postgresCpuMs)} ms, ` +
    `emulator ${rate(r.emulatorCpuMs)} ms`;
  const phases = r.phases
    ? `; pages stored in ${seconds(r.phases.pagesMs)}, then ${seconds(r.phases.finishMs)} to the end` +
      ` (tables analyzed meanwhile: ${r.analyzed}×)`
    : '';
  if (r.timedOut) {
    return `did NOT finish: cancelled after ${seconds(r.ms)}${phases} (cancelled there); ${cpu}`;
  }
  return `${rate(r.recordsPerSecond).padStart(7)} records/s (${seconds(r.ms)}); ${cpu}${phases}`;
}

async function main(): Promise<void> {
  if (!(runs >= 1 && records >= 1000 && timeoutMs > 0)) throw new Error('bad arguments; see the usage');
  const facts = await platformFacts(platform);
  const pageSize = values['page-size'] ? Number(values['page-size']) : facts.pageSize;
  const database = await createTestDatabase('engarde_bench');
  const admin = database.pool({ max: 2 });
  const query = (text: string) => admin.query(text);
  const diagnostic = await applyPgSettings(query, database.name, values['pg-set'] as string[]);
  const emulator = await startEmulatorProcess({ ...platform, records });
  let bench: BenchService | undefined;
  try {
    bench = await openBenchService(database.url, platform, emulator);
    const postmaster = await findPostmaster(query);
    console.log(`Machine: ${machine()}; ${await describePostgres(query, postmaster)}${diagnostic}`);
    console.log(
      `Platform: ${platform.platform} ${platform.entity} (config-driven emulator in its own process, ${rate(records)} ` +
        `records seeded in ${seconds(emulator.seedMs)}), ${pageSize} a page; the adapter's rate limit (its ` +
        `config): ${facts.pace}`,
    );
    await admin.query(`create table ${BASELINE_TABLE} (like sync_records including all)`);
    await admin.query(
      `alter table ${BASELINE_TABLE} add foreign key (tenant_id, connection_id) ` +
        'references platform_connections (tenant_id, connection_id) on delete cascade',
    );
    const owner = await bench.newTarget();
    const pages = await fetchRows({ bench, emulator, pageSize });
    const setup: Setup = { bench, emulator, admin, postmaster, pageSize, pages, owner };
    const sample = JSON.stringify(pages[0]?.[0]?.data);
    console.log(`${pages.length} pages; a record is ${sample.length} bytes of JSON, e.g. ${sample.slice(0, 120)}…`);
    console.log(`${runs} runs of ${rate(records)} records; an engine sync is cancelled after ${seconds(timeoutMs)}\n`);

    const results: Measured[] = [];
    const ratios: number[] = [];
    let stuck = false;
    for (let i = values['no-warmup'] ? 1 : 0; i <= runs && !stuck; i++) {
      const order: Kind[] = i % 2 === 1 ? ['engine', 'baseline', 'adapter'] : ['baseline', 'engine', 'adapter'];
      const byKind = new Map<Kind, Measured>();
      for (const kind of order) {
        const r = await TIMERS[kind](setup);
        byKind.set(kind, r);
        console.log(`${i === 0 ? 'warm-up' : `run ${i}`} ${kind.padEnd(8)} ${describe(r)}`);
        if (r.timedOut) stuck = true;
        if (i > 0) results.push(r);
      }
      const engine = byKind.get('engine') as Measured;
      const baseline = byKind.get('baseline') as Measured;
      if (i > 0 && !engine.timedOut) {
        ratios.push(engine.recordsPerSecond / baseline.recordsPerSecond);
        console.log(`run ${i} engine / baseline: ${(ratios.at(-1) as number).toFixed(2)}×`);
      }
    }

    const of = (kind: Kind) => results.filter((r) => r.kind === kind && !r.timedOut);
    if (stuck) {
      console.log(loadLine());
      console.log(
        `\nthe engine did not finish a first full sync of ${rate(records)} records in ${seconds(timeoutMs)} ` +
          `(under ${rate((records * 1000) / timeoutMs)} records/s): targets ≥ ${rate(TARGET.recordsPerSecond)} ` +
          `records/s and ≥ ${TARGET.ratio}× the baseline NOT met` +
          (of('baseline').length > 0
            ? `; baseline ${rate(median(of('baseline').map((r) => r.recordsPerSecond)))} records/s`
            : ''),
      );
      return;
    }
    console.log(`\nmedian of ${runs} runs, ${rate(records)} records, ${pageSize} a page`);
    console.log('| measurement | records/s (median) | all runs | CPU s: Node + Postgres + emulator |');
    console.log('| --- | ---: | --- | ---: |');
    for (const kind of ['engine', 'baseline', 'adapter'] as const) {
      const rs = of(kind);
      const pgCpu = rs.every((r) => r.postgresCpuMs !== undefined)
        ? (median(rs.map((r) => r.postgresCpuMs as number)) / 1000).toFixed(1)
        : '?';
      console.log(
        `| ${LABELS[kind]} | ${rate(median(rs.map((r) => r.recordsPerSecond)))} | ` +
          `${rs.map((r) => rate(r.recordsPerSecond)).join(', ')} | ` +
          `${(median(rs.map((r) => r.nodeCpuMs)) / 1000).toFixed(1)} + ${pgCpu} + ` +
          `${(median(rs.map((r) => r.emulatorCpuMs)) / 1000).toFixed(1)} |`,
      );
    }
    const phases = of('engine').map((r) => r.phases as { pagesMs: number; finishMs: number });
    const pagesMs = median(phases.map((p) => p.pagesMs));
    console.log(
      `engine, median: pages stored in ${seconds(pagesMs)} (${rate((records * 1000) / pagesMs)} records/s), then ` +
        `${seconds(median(phases.map((p) => p.finishMs)))} after the last page (deletion pass, count, status)`,
    );
    const engine = median(of('engine').map((r) => r.recordsPerSecond));
    const ratio = median(ratios);
    console.log(
      `engine / baseline, each run: ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}; median ${ratio.toFixed(2)}×`,
    );
    console.log(loadLine());
    console.log(
      `target ≥ ${rate(TARGET.recordsPerSecond)} records/s: ${engine >= TARGET.recordsPerSecond ? 'met' : 'NOT met'}; ` +
        `target ≥ ${TARGET.ratio}× the baseline: ${ratio >= TARGET.ratio ? 'met' : 'NOT met'}` +
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
