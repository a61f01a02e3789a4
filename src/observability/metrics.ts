/**
 * The service's Prometheus metrics (prom-client), served by `GET /metrics`.
 *
 * Two kinds:
 * - **Counted where it happens**, in this process's `metricsRegistry`: platform requests (every attempt, by status),
 *   their latency, retries, 429s, rate-limit waits, sync runs, records pulled and pushed, webhook deliveries. Code
 *   calls the small typed functions below (`recordPlatformAttempt`, `recordSyncRun`, …); each process (API, worker)
 *   counts its own, as Prometheus expects of counters.
 * - **Read from PostgreSQL at scrape time** (`DatabaseGauges`): the job queue, connection health, sync lag and
 *   entity states, which belong to the whole deployment rather than to one process. A few aggregate queries, run
 *   together in prom-client `collect()` callbacks, shared by concurrent scrapes and reused for `maxAgeMs` (1 s), so
 *   a scrape costs the same with ten connections or thousands and a flood of scrapes cannot load the database.
 *
 * Label values are platform ids, entity names, connection ids (UUIDs), HTTP statuses and fixed outcome words: never
 * a credential, URL, tenant-supplied text or error message. A value outside `[A-Za-z0-9_.:-]{1,100}` is reported
 * as `other`, so nothing unexpected can create series without bound.
 */
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/schema.js';
import type { AttemptEvent } from '../runtime/http/http-client.js';
import { LATENCY_BOUNDS_MS } from '../sync/sync-metrics.js';

/** Every metric this process counts itself (not the database gauges: see `DatabaseGauges`). */
export const metricsRegistry = new Registry();

/** `status` of an attempt that got no response (connection reset, timeout). */
export const NETWORK_ERROR_STATUS = 'network_error';

const SAFE_LABEL = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A label value as given when it is a plain identifier, else `other`. */
export function labelValue(value: string): string {
  return SAFE_LABEL.test(value) ? value : 'other';
}

const platformRequests = new Counter({
  name: 'engarde_platform_requests_total',
  help: 'HTTP attempts sent to platforms (each retry counts), by platform and response status (network_error: no response)',
  labelNames: ['platform', 'status'] as const,
  registers: [metricsRegistry],
});

const platformRequestDuration = new Histogram({
  name: 'engarde_platform_request_duration_seconds',
  help: 'Duration of each HTTP attempt sent to a platform, until its response was read',
  labelNames: ['platform'] as const,
  // The bounds of the sync runs' stored histograms (sync-metrics.ts), so both read alike.
  buckets: LATENCY_BOUNDS_MS.map((ms) => ms / 1000),
  registers: [metricsRegistry],
});

const platformRetries = new Counter({
  name: 'engarde_platform_retries_total',
  help: 'HTTP attempts that retried an earlier attempt of the same request',
  labelNames: ['platform'] as const,
  registers: [metricsRegistry],
});

const platformRateLimited = new Counter({
  name: 'engarde_platform_rate_limited_total',
  help: 'HTTP attempts the platform answered as rate limited (429 or its own rate-limit status)',
  labelNames: ['platform'] as const,
  registers: [metricsRegistry],
});

const rateLimitWaits = new Counter({
  name: 'engarde_rate_limit_waits_total',
  help: "Times a platform's rate-limit budget made a request wait before it was sent",
  labelNames: ['platform'] as const,
  registers: [metricsRegistry],
});

const rateLimitWaitSeconds = new Counter({
  name: 'engarde_rate_limit_wait_seconds_total',
  help: "Time requests waited for a platform's rate-limit budget before they were sent",
  labelNames: ['platform'] as const,
  registers: [metricsRegistry],
});

const syncRuns = new Counter({
  name: 'engarde_sync_runs_total',
  help: 'Entity sync runs finished, by result (succeeded, failed: after the last attempt)',
  labelNames: ['platform', 'entity', 'result'] as const,
  registers: [metricsRegistry],
});

const recordsSynced = new Counter({
  name: 'engarde_records_synced_total',
  help: 'Records pulled from platforms (direction pull, counted when a run finishes) and pushed to them (push)',
  labelNames: ['platform', 'entity', 'direction'] as const,
  registers: [metricsRegistry],
});

const webhookDeliveries = new Counter({
  name: 'engarde_webhook_deliveries_total',
  help: 'Inbound webhook deliveries, by outcome (accepted, duplicate: stored before, rejected: bad or missing signature)',
  labelNames: ['platform', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** The per-platform series of the attempt path, bound once: an attempt then costs no label hashing. */
interface PlatformSeries {
  duration: Histogram.Internal<'platform'>;
  retries: Counter.Internal;
  rateLimited: Counter.Internal;
  byStatus: Map<number | undefined, Counter.Internal>;
}

const platformSeries = new Map<string, PlatformSeries>();

function seriesFor(platform: string): PlatformSeries {
  let series = platformSeries.get(platform);
  if (!series) {
    const labels = { platform: labelValue(platform) };
    series = {
      duration: platformRequestDuration.labels(labels),
      retries: platformRetries.labels(labels),
      rateLimited: platformRateLimited.labels(labels),
      byStatus: new Map(),
    };
    platformSeries.set(platform, series);
  }
  return series;
}

/**
 * Counts one HTTP attempt to a platform (an adapter's `onAttempt`): its status, latency, whether it was a retry
 * and whether it was rate limited.
 *
 * @example
 * registry.create('stripe', { ...options, onAttempt: (event) => recordPlatformAttempt('stripe', event) });
 */
export function recordPlatformAttempt(
  platform: string,
  event: Pick<AttemptEvent, 'status' | 'attempt' | 'durationMs' | 'rateLimited'>,
): void {
  const series = seriesFor(platform);
  let requests = series.byStatus.get(event.status);
  if (!requests) {
    requests = platformRequests.labels({
      platform: labelValue(platform),
      status: event.status === undefined ? NETWORK_ERROR_STATUS : String(event.status),
    });
    series.byStatus.set(event.status, requests);
  }
  requests.inc();
  series.duration.observe(event.durationMs / 1000);
  if (event.attempt > 1) series.retries.inc();
  if (event.rateLimited) series.rateLimited.inc();
}

/**
 * Counts a request held back by the platform's rate-limit budget, and how long it waits.
 * @example
 * recordRateLimitWait('shopify', 480);
 */
export function recordRateLimitWait(platform: string, waitMs: number): void {
  const labels = { platform: labelValue(platform) };
  rateLimitWaits.inc(labels);
  if (waitMs > 0 && Number.isFinite(waitMs)) rateLimitWaitSeconds.inc(labels, waitMs / 1000);
}

export type SyncRunResult = 'succeeded' | 'failed';

/**
 * Counts a finished entity sync run.
 * @example
 * recordSyncRun('hubspot', 'contacts', 'succeeded');
 */
export function recordSyncRun(platform: string, entity: string, result: SyncRunResult): void {
  syncRuns.inc({ platform: labelValue(platform), entity: labelValue(entity), result });
}

export type SyncDirection = 'pull' | 'push';

/**
 * Counts records pulled from or pushed to a platform.
 * @example
 * recordRecordsSynced('hubspot', 'contacts', 'pull', 250);
 */
export function recordRecordsSynced(platform: string, entity: string, direction: SyncDirection, n: number): void {
  if (!(n >= 0) || !Number.isFinite(n)) return;
  recordsSynced.inc({ platform: labelValue(platform), entity: labelValue(entity), direction }, n);
}

export type WebhookOutcome = 'accepted' | 'duplicate' | 'rejected';

/**
 * Counts an inbound webhook delivery: `accepted` (stored, answered 2xx), `duplicate` (stored before, answered 2xx
 * again), `rejected` (bad or missing signature, answered 401).
 * @example
 * recordWebhookDelivery('stripe', 'accepted');
 */
export function recordWebhookDelivery(platform: string, outcome: WebhookOutcome): void {
  webhookDeliveries.inc({ platform: labelValue(platform), outcome });
}

let processMetricsEnabled = false;

/**
 * Adds Node's standard process metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, event loop
 * lag, …) to `metricsRegistry`, once; the metrics route turns them on, so commands that never serve metrics never
 * start their collectors.
 */
export function enableProcessMetrics(): void {
  if (processMetricsEnabled) return;
  processMetricsEnabled = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/** What the database said at one scrape; a part is `undefined` when its query failed. */
export interface DatabaseSnapshot {
  /** `performance.now()` when it was asked for. */
  takenAt: number;
  /** graphile-worker's jobs table, counted. */
  jobs: { queued: number; scheduled: number; running: number; retrying: number; failed: number } | undefined;
  /** Connections not disconnected, with the oldest last success among their pulled entities. */
  connections:
    | Array<{
        platform: string;
        connectionId: string;
        status: string;
        health: string;
        oldestSuccess: Date | null;
      }>
    | undefined;
  /** Entity syncs of connections not disconnected, by platform and `sync_status`. */
  syncEntities: Array<{ platform: string; status: string; count: number }> | undefined;
}

export interface DatabaseGaugesOptions {
  /** The service clock (sync lag is measured against it). Default: the system clock. */
  now?: (() => Date) | undefined;
  /** How long one snapshot answers scrapes. Default 1000 ms. */
  maxAgeMs?: number | undefined;
  /** Where a failing query is reported. */
  logger?: Logger | undefined;
}

/** Default `DatabaseGaugesOptions.maxAgeMs`. */
export const DATABASE_GAUGES_MAX_AGE_MS = 1000;

/**
 * The gauges read from PostgreSQL when scraped, in a registry of their own (one per database), each filled by its
 * prom-client `collect()` from one shared snapshot of four aggregate queries:
 *
 * - `engarde_jobs_queued` — jobs ready to run now (not locked, attempts left, `run_at` passed);
 *   `engarde_jobs_scheduled` — waiting for a later `run_at` (retries backing off included); `engarde_jobs_running`
 *   — locked by a worker; `engarde_jobs_retrying` — not locked, failed at least once, attempts left;
 *   `engarde_jobs_failed` — attempts used up (kept until the cleanup job removes them). One pass over
 *   `graphile_worker._private_jobs`.
 * - `engarde_connection_healthy{platform,connection_id}` — 1 healthy, 0 unhealthy or needing re-authorization; no
 *   series before a connection's first health check. `engarde_connections{platform,status,health}` — how many.
 *   One pass over `platform_connections` (disconnected ones left out).
 * - `engarde_sync_lag_seconds{platform,connection_id}` — time since the least recently synced of the connection's
 *   pulled entities last succeeded (entities that never succeeded show in `engarde_sync_entities` instead).
 *   Aggregated in the same query, from `platform_sync_status` grouped by connection.
 * - `engarde_sync_entities{platform,status}` — entity syncs by `sync_status` (idle, queued, running, succeeded,
 *   failed).
 * - `engarde_metrics_database_up` — 1 when every query answered; 0 when one failed (its gauges are then absent).
 *
 * @example
 * const gauges = databaseGaugesFor(ctx.db, { now: ctx.now });
 * const text = (await metricsRegistry.metrics()) + (await gauges.registry.metrics());
 */
export class DatabaseGauges {
  readonly registry = new Registry();
  /** How long one snapshot answers scrapes (0: every scrape asks the database). */
  maxAgeMs: number;
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;
  readonly #logger: Logger | undefined;
  #cached: Promise<DatabaseSnapshot> | undefined;
  #cachedAt = Number.NEGATIVE_INFINITY;

  constructor(db: Kysely<Database>, options: DatabaseGaugesOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.maxAgeMs = options.maxAgeMs ?? DATABASE_GAUGES_MAX_AGE_MS;
    this.#logger = options.logger;
    const self = this;
    const registers = [this.registry];
    const jobGauge = (name: string, help: string, pick: (jobs: NonNullable<DatabaseSnapshot['jobs']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const { jobs } = await self.snapshot();
          // Unknown is not zero.
          this.set(jobs ? pick(jobs) : Number.NaN);
        },
      });
    jobGauge('engarde_jobs_queued', 'Background jobs ready to run now, waiting for a worker', (j) => j.queued);
    jobGauge(
      'engarde_jobs_scheduled',
      'Background jobs waiting for a later run time (retries backing off included)',
      (j) => j.scheduled,
    );
    jobGauge('engarde_jobs_running', 'Background jobs locked by a worker', (j) => j.running);
    jobGauge(
      'engarde_jobs_retrying',
      'Background jobs that failed at least once and will be retried (not locked)',
      (j) => j.retrying,
    );
    jobGauge(
      'engarde_jobs_failed',
      'Background jobs that used up their attempts (kept until the cleanup job removes them)',
      (j) => j.failed,
    );
    new Gauge({
      name: 'engarde_connection_healthy',
      help: 'Connection health from its last check: 1 healthy, 0 unhealthy or needing re-authorization (absent before the first check)',
      labelNames: ['platform', 'connection_id'] as const,
      registers,
      async collect() {
        const { connections } = await self.snapshot();
        this.reset();
        for (const c of connections ?? []) {
          const healthy = c.status === 'active' && c.health === 'healthy';
          // Active and never checked: unknown, so no series (an alert on 0 must not fire for a new connection).
          if (!healthy && c.status === 'active' && c.health !== 'unhealthy') continue;
          this.set({ platform: labelValue(c.platform), connection_id: labelValue(c.connectionId) }, healthy ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'engarde_connections',
      help: 'Connections (not disconnected) by platform, status and health',
      labelNames: ['platform', 'status', 'health'] as const,
      registers,
      async collect() {
        const { connections } = await self.snapshot();
        this.reset();
        for (const c of connections ?? []) {
          this.inc({ platform: labelValue(c.platform), status: labelValue(c.status), health: labelValue(c.health) });
        }
      },
    });
    new Gauge({
      name: 'engarde_sync_lag_seconds',
      help: "Seconds since the least recently synced of a connection's pulled entities last succeeded",
      labelNames: ['platform', 'connection_id'] as const,
      registers,
      async collect() {
        const { connections } = await self.snapshot();
        this.reset();
        const now = self.#now().getTime();
        for (const c of connections ?? []) {
          if (c.oldestSuccess === null) continue;
          const lag = Math.max((now - c.oldestSuccess.getTime()) / 1000, 0);
          this.set({ platform: labelValue(c.platform), connection_id: labelValue(c.connectionId) }, lag);
        }
      },
    });
    new Gauge({
      name: 'engarde_sync_entities',
      help: 'Entity syncs of connections not disconnected, by platform and sync status',
      labelNames: ['platform', 'status'] as const,
      registers,
      async collect() {
        const { syncEntities } = await self.snapshot();
        this.reset();
        for (const e of syncEntities ?? []) {
          this.inc({ platform: labelValue(e.platform), status: labelValue(e.status) }, e.count);
        }
      },
    });
    new Gauge({
      name: 'engarde_metrics_database_up',
      help: 'Whether every query behind the database gauges answered at the last scrape',
      registers,
      async collect() {
        const s = await self.snapshot();
        this.set(s.jobs && s.connections && s.syncEntities ? 1 : 0);
      },
    });
  }

  /** The current snapshot: a fresh one when the last is older than `maxAgeMs`; concurrent scrapes share one. */
  snapshot(): Promise<DatabaseSnapshot> {
    const now = performance.now();
    if (this.#cached && now - this.#cachedAt < this.maxAgeMs) return this.#cached;
    this.#cachedAt = now;
    this.#cached = this.#load(now);
    return this.#cached;
  }

  /** Forgets the snapshot: the next scrape asks the database. */
  invalidate(): void {
    this.#cached = undefined;
    this.#cachedAt = Number.NEGATIVE_INFINITY;
  }

  /** The text of every database gauge (Prometheus exposition format). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  async #load(takenAt: number): Promise<DatabaseSnapshot> {
    const [jobs, connections, syncEntities] = await Promise.allSettled([
      this.#jobs(),
      this.#connections(),
      this.#syncEntities(),
    ]);
    const value = <T>(result: PromiseSettledResult<T>, what: string): T | undefined => {
      if (result.status === 'fulfilled') return result.value;
      this.#logger?.warn({ error: String((result.reason as Error)?.message ?? result.reason) }, `metrics: ${what}`);
      return undefined;
    };
    return {
      takenAt,
      jobs: value(jobs, 'counting jobs failed'),
      connections: value(connections, 'reading connections failed'),
      syncEntities: value(syncEntities, 'counting entity syncs failed'),
    };
  }

  async #jobs(): Promise<NonNullable<DatabaseSnapshot['jobs']>> {
    const { rows } = await sql<{
      queued: number;
      scheduled: number;
      running: number;
      retrying: number;
      failed: number;
    }>`
      select
        count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as queued,
        count(*) filter (where locked_at is null and attempts < max_attempts and run_at > now())::int as scheduled,
        count(*) filter (where locked_at is not null)::int as running,
        count(*) filter (where locked_at is null and attempts > 0 and attempts < max_attempts)::int as retrying,
        count(*) filter (where attempts >= max_attempts)::int as failed
      from graphile_worker._private_jobs`.execute(this.#db);
    const row = rows[0];
    return {
      queued: row?.queued ?? 0,
      scheduled: row?.scheduled ?? 0,
      running: row?.running ?? 0,
      retrying: row?.retrying ?? 0,
      failed: row?.failed ?? 0,
    };
  }

  async #connections(): Promise<NonNullable<DatabaseSnapshot['connections']>> {
    const db = this.#db;
    const lastSuccess = db
      .selectFrom('platform_sync_status')
      .select(['tenant_id', 'connection_id', (eb) => eb.fn.min('last_success_at').as('oldest_success')])
      .where('sync_direction', '<>', 'push')
      .where('last_success_at', 'is not', null)
      .groupBy(['tenant_id', 'connection_id'])
      .as('s');
    const rows = await db
      .selectFrom('platform_connections as c')
      .leftJoin(lastSuccess, (join) =>
        join.onRef('s.tenant_id', '=', 'c.tenant_id').onRef('s.connection_id', '=', 'c.connection_id'),
      )
      .select(['c.platform', 'c.connection_id', 'c.status', 'c.connection_health', 's.oldest_success'])
      .where('c.status', '<>', 'disconnected')
      .execute();
    return rows.map((r) => ({
      platform: r.platform,
      connectionId: r.connection_id,
      status: r.status,
      health: r.connection_health,
      oldestSuccess: r.oldest_success === null ? null : new Date(r.oldest_success as Date | string),
    }));
  }

  async #syncEntities(): Promise<NonNullable<DatabaseSnapshot['syncEntities']>> {
    const rows = await this.#db
      .selectFrom('platform_sync_status as s')
      .innerJoin('platform_connections as c', (join) =>
        join.onRef('c.tenant_id', '=', 's.tenant_id').onRef('c.connection_id', '=', 's.connection_id'),
      )
      .select(['c.platform', 's.sync_status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('c.status', '<>', 'disconnected')
      .groupBy(['c.platform', 's.sync_status'])
      .execute();
    return rows.map((r) => ({ platform: r.platform, status: r.sync_status, count: Number(r.n) }));
  }
}

const databaseGauges = new WeakMap<Kysely<Database>, DatabaseGauges>();

/**
 * The database gauges of a database, made once (a second call with the same `db` returns the same gauges, so
 * their snapshot is shared).
 * @example
 * const gauges = databaseGaugesFor(ctx.db, { now: ctx.now, logger: ctx.logger });
 * gauges.invalidate(); // after a change a test wants to see at once
 */
export function databaseGaugesFor(db: Kysely<Database>, options: DatabaseGaugesOptions = {}): DatabaseGauges {
  let gauges = databaseGauges.get(db);
  if (!gauges) {
    gauges = new DatabaseGauges(db, options);
    databaseGauges.set(db, gauges);
  }
  return gauges;
}

/**
 * The whole exposition: this process's metrics, then the database gauges.
 * @example
 * reply.type(metricsContentType).send(await metricsText(databaseGaugesFor(ctx.db)));
 */
export async function metricsText(gauges?: DatabaseGauges): Promise<string> {
  const [own, database] = await Promise.all([metricsRegistry.metrics(), gauges ? gauges.metrics() : '']);
  return database === '' ? own : `${own.endsWith('\n') ? own : `${own}\n`}${database}`;
}

/** The Content-Type of `metricsText` (Prometheus text format 0.0.4). */
export const metricsContentType: string = metricsRegistry.contentType;
