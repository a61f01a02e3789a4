/**
 * `cleanup_database` (crontab, hourly at :15): deletes what has outlived its use, oldest history first:
 *
 * - OAuth states a day after they expired or were used (until then the callback can still say "expired" or
 *   "already used" rather than "unknown", as `insertOAuthState`'s own pruning also keeps them);
 * - webhook events processed or failed before `ENGARDE_EVENT_RETENTION_DAYS` (pending and processing ones never);
 * - before `ENGARDE_HISTORY_RETENTION_DAYS`: finished sync runs with the ids their full passes saw (the latest run
 *   of each connection's entity is kept whatever its age, and so is the run its sync status points at), sent or
 *   discarded outbox rows, resolved conflicts, health checks, and graphile-worker's permanently failed jobs;
 * - statistics rollups before `ENGARDE_STATS_RETENTION_DAYS`.
 *
 * Every statement deletes at most {@link CLEANUP_BATCH_SIZE} rows in its own transaction, looping until a batch
 * comes back short, so a large backlog is worked through without one long transaction or lock. Rows another
 * transaction holds are skipped (`skip locked`) and taken next time. One table failing does not stop the others;
 * the job then fails (and is retried) after trying them all.
 */
import type { JobHelpers, Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ServiceContext } from '../../service/service-context.js';

/** Rows deleted per statement. */
export const CLEANUP_BATCH_SIZE = 5000;

/** How long an OAuth state is kept after it expired or was used. */
export const OAUTH_STATE_GRACE_MS = 24 * 3_600_000;

const DAY_MS = 24 * 3_600_000;

/** Rows deleted, by what they were. */
export interface CleanupCounts {
  oauth_states: number;
  event_logs: number;
  sync_run_seen: number;
  sync_runs: number;
  sync_outbox: number;
  sync_conflicts: number;
  connection_health_checks: number;
  connection_stats: number;
  failed_jobs: number;
  alerts: number;
  webhook_rejections: number;
}

/** Refused webhook deliveries feed a 15-minute alert window: two days of them is plenty. */
export const WEBHOOK_REJECTION_RETENTION_MS = 2 * DAY_MS;

export interface CleanupOptions {
  /** Rows per statement (default {@link CLEANUP_BATCH_SIZE}; tests make it small to exercise the loop). */
  batchSize?: number | undefined;
}

/**
 * @example
 * const tasks = { cleanup_database: cleanupDatabase(ctx) };
 */
export function cleanupDatabase(ctx: ServiceContext, options: CleanupOptions = {}): Task {
  const batch = options.batchSize ?? CLEANUP_BATCH_SIZE;
  return async (_payload, helpers) => {
    const now = ctx.now().getTime();
    const { eventDays, historyDays, statsDays } = ctx.settings.retention;
    const since = (ms: number) => new Date(now - ms);
    const history = since(historyDays * DAY_MS);
    const db = ctx.db;
    const steps: Array<[string, () => Promise<Partial<CleanupCounts>>]> = [
      ['oauth_states', async () => ({ oauth_states: await deleteOAuthStates(db, since(OAUTH_STATE_GRACE_MS), batch) })],
      ['event_logs', async () => ({ event_logs: await deleteEventLogs(db, since(eventDays * DAY_MS), batch) })],
      ['sync_runs', () => deleteSyncRuns(db, history, batch)],
      ['sync_outbox', async () => ({ sync_outbox: await deleteOutbox(db, history, batch) })],
      ['sync_conflicts', async () => ({ sync_conflicts: await deleteConflicts(db, history, batch) })],
      [
        'connection_health_checks',
        async () => ({ connection_health_checks: await deleteHealthChecks(db, history, batch) }),
      ],
      ['connection_stats', async () => ({ connection_stats: await deleteStats(db, since(statsDays * DAY_MS), batch) })],
      ['failed_jobs', async () => ({ failed_jobs: await deleteFailedJobs(helpers, history, batch) })],
      ['alerts', async () => ({ alerts: await deleteResolvedAlerts(db, history, batch) })],
      [
        'webhook_rejections',
        async () => ({
          webhook_rejections: await deleteRejections(db, since(WEBHOOK_REJECTION_RETENTION_MS), batch),
        }),
      ],
    ];
    const counts: CleanupCounts = {
      oauth_states: 0,
      event_logs: 0,
      sync_run_seen: 0,
      sync_runs: 0,
      sync_outbox: 0,
      sync_conflicts: 0,
      connection_health_checks: 0,
      connection_stats: 0,
      failed_jobs: 0,
      alerts: 0,
      webhook_rejections: 0,
    };
    const failures: string[] = [];
    for (const [name, step] of steps) {
      try {
        Object.assign(counts, await step());
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
        helpers.logger.error(`cleanup of ${name} failed: ${(error as Error).message}`);
      }
    }
    const deleted = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${n} ${name}`);
    helpers.logger.info(deleted.length > 0 ? `cleanup deleted ${deleted.join(', ')}` : 'cleanup: nothing to delete', {
      counts,
    });
    if (failures.length > 0) throw new Error(`cleanup_database: ${failures.join('; ')}`);
  };
}

type Db = Kysely<Database>;

/** Runs a statement deleting at most `batch` rows until one deletes fewer; the total. */
async function inBatches(batch: number, statement: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = Number((await statement()).numDeletedRows);
    total += n;
    if (n < batch) return total;
  }
}

function deleteOAuthStates(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('platform_oauth_states')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'state_hash'),
          'in',
          selectFrom('platform_oauth_states')
            .select(['tenant_id', 'state_hash'])
            .where((w) => w.or([w('expires_at', '<', before), w('consumed_at', '<', before)]))
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'state_hash'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

function deleteEventLogs(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('platform_event_logs')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'event_id'),
          'in',
          selectFrom('platform_event_logs')
            .select(['tenant_id', 'event_id'])
            .where('processing_status', 'in', ['processed', 'failed'])
            .where('received_at', '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'event_id'),
        ),
      )
      // Checked again on the row itself: an event set back to pending since the subquery read it is kept.
      .where('processing_status', 'in', ['processed', 'failed'])
      .executeTakeFirstOrThrow(),
  );
}

/**
 * Finished runs that finished before `before`, except the latest run of each connection's entity and the run its
 * sync status names; their seen ids first (in batches), then the runs.
 */
async function deleteSyncRuns(
  db: Db,
  before: Date,
  batch: number,
): Promise<Pick<CleanupCounts, 'sync_runs' | 'sync_run_seen'>> {
  const counts = { sync_runs: 0, sync_run_seen: 0 };
  for (;;) {
    const doomed = await db
      .selectFrom('sync_runs as r')
      .select(['r.tenant_id', 'r.run_id'])
      .where('r.status', 'in', ['succeeded', 'failed'])
      .where('r.finished_at', '<', before)
      .where(({ and, exists, not, selectFrom }) =>
        and([
          exists(
            selectFrom('sync_runs as later')
              .select(sql`1`.as('one'))
              .whereRef('later.tenant_id', '=', 'r.tenant_id')
              .whereRef('later.connection_id', '=', 'r.connection_id')
              .whereRef('later.entity_type', '=', 'r.entity_type')
              .where(sql<boolean>`(later.started_at, later.run_id) > (r.started_at, r.run_id)`),
          ),
          not(
            exists(
              selectFrom('platform_sync_status as s')
                .select(sql`1`.as('one'))
                .whereRef('s.tenant_id', '=', 'r.tenant_id')
                .whereRef('s.current_run_id', '=', 'r.run_id'),
            ),
          ),
        ]),
      )
      .orderBy('r.finished_at')
      .limit(batch)
      .execute();
    if (doomed.length === 0) break;
    const runs = sql<boolean>`(tenant_id, run_id) in (select * from unnest(${doomed.map((r) => r.tenant_id)}::uuid[], ${doomed.map((r) => r.run_id)}::uuid[]))`;
    counts.sync_run_seen += await inBatches(batch, () =>
      db
        .deleteFrom('sync_run_seen')
        .where(({ eb, refTuple, selectFrom }) =>
          eb(
            refTuple('tenant_id', 'run_id', 'external_id'),
            'in',
            selectFrom('sync_run_seen')
              .select(['tenant_id', 'run_id', 'external_id'])
              .where(runs)
              .limit(batch)
              .$asTuple('tenant_id', 'run_id', 'external_id'),
          ),
        )
        .executeTakeFirstOrThrow(),
    );
    const deleted = await db
      .deleteFrom('sync_runs')
      .where(runs)
      .where('status', 'in', ['succeeded', 'failed']) // not one resumed since it was read
      .executeTakeFirstOrThrow();
    counts.sync_runs += Number(deleted.numDeletedRows);
    if (doomed.length < batch || deleted.numDeletedRows === 0n) break;
  }
  return counts;
}

function deleteOutbox(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('sync_outbox')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'outbox_id'),
          'in',
          selectFrom('sync_outbox')
            .select(['tenant_id', 'outbox_id'])
            .where('status', 'in', ['sent', 'discarded'])
            .where(sql<Date>`coalesce(finished_at, created_at)`, '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'outbox_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

function deleteConflicts(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('sync_conflicts')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'conflict_id'),
          'in',
          selectFrom('sync_conflicts')
            .select(['tenant_id', 'conflict_id'])
            .where('status', '=', 'resolved')
            .where(sql<Date>`coalesce(resolved_at, created_at)`, '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'conflict_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

function deleteHealthChecks(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('connection_health_checks')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'connection_id', 'checked_at'),
          'in',
          selectFrom('connection_health_checks')
            .select(['tenant_id', 'connection_id', 'checked_at'])
            .where('checked_at', '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'connection_id', 'checked_at'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

/** Resolved alerts past retention, with their deliveries (the foreign key cascades). */
function deleteResolvedAlerts(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('alerts')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'alert_id'),
          'in',
          selectFrom('alerts')
            .select(['tenant_id', 'alert_id'])
            .where('status', '=', 'resolved')
            .where('resolved_at', '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'alert_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

function deleteRejections(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('webhook_rejections')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'rejection_id'),
          'in',
          selectFrom('webhook_rejections')
            .select(['tenant_id', 'rejection_id'])
            .where('received_at', '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'rejection_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

function deleteStats(db: Db, before: Date, batch: number): Promise<number> {
  return inBatches(batch, () =>
    db
      .deleteFrom('connection_stats')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('tenant_id', 'connection_id', 'bucket_start'),
          'in',
          selectFrom('connection_stats')
            .select(['tenant_id', 'connection_id', 'bucket_start'])
            .where('bucket_start', '<', before)
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .$asTuple('tenant_id', 'connection_id', 'bucket_start'),
        ),
      )
      .executeTakeFirstOrThrow(),
  );
}

/**
 * graphile-worker's permanently failed jobs (attempts used up, not locked) last updated before `before`, removed
 * through its own `complete_jobs` (what `WorkerUtils.completeJobs` calls), on the worker's connection.
 */
async function deleteFailedJobs(helpers: Pick<JobHelpers, 'withPgClient'>, before: Date, batch: number) {
  let total = 0;
  for (;;) {
    const { rows } = await helpers.withPgClient((client) =>
      client.query<{ id: string }>(
        `select id from graphile_worker._private_jobs
          where attempts >= max_attempts and locked_at is null and updated_at < $1
          order by id limit $2`,
        [before, batch],
      ),
    );
    if (rows.length === 0) return total;
    const completed = await helpers.withPgClient((client) =>
      client.query<{ id: string }>('select id from graphile_worker.complete_jobs($1::bigint[])', [
        rows.map((r) => r.id),
      ]),
    );
    total += completed.rows.length;
    if (rows.length < batch) return total;
  }
}
