/**
 * One entity's sync, as the `sync_entity` job runs it: push pending local changes (push or bidirectional), pull
 * (pull or bidirectional), then record the outcome in `platform_sync_status` and the run's row. While it runs, the
 * entity's sync holds a Postgres advisory lock on a connection of its own, so two workers never sync the same entity
 * at once even outside graphile-worker's queue (the lock goes with the session when a worker dies). And
 * `push_records` runs the push alone, promptly after a local change.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { getConnection } from '../db/repositories/connection-repository.js';
import { queuePush } from '../jobs/job-queue.js';
import { recordRecordsSynced, recordSyncRun } from '../observability/metrics.js';
import type { BaseAdapter } from '../runtime/base-adapter.js';
import { adapterForConnection } from '../service/connection-adapters.js';
import type { ServiceContext } from '../service/service-context.js';
import { type PullResult, pullEntity } from './pull.js';
import { type PushResult, pushEntity, pushRulesFor } from './push.js';
import { entityRows, type SyncTarget } from './record-store.js';
import { describeError, isRetryable } from './sync-errors.js';
import { emptyMetrics, type RequestMetrics, recordAttempt } from './sync-metrics.js';

export interface SyncAttempt {
  /** This attempt's number and the job's limit: the last attempt records a failure instead of leaving it to a retry. */
  attempt: number;
  maxAttempts: number;
  lookbackMs?: number | undefined;
  pageSize?: number | undefined;
  afterPage?: ((stored: { pages: number; recordsPulled: number }) => void | Promise<void>) | undefined;
}

export type SyncOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'succeeded'; pull?: PullResult | undefined }
  | { status: 'failed'; error: string };

/** Raised (for the job to retry) when another worker holds the entity's sync. */
export class SyncBusyError extends Error {
  override readonly name = 'SyncBusyError';
}

/** The ids a job payload carries for a target. */
export function jobPayload(target: SyncTarget) {
  return { tenant_id: target.tenantId, connection_id: target.connectionId, entity_type: target.entity };
}

function lockKey(target: SyncTarget): string {
  return `engarde-sync:${target.tenantId}:${target.connectionId}:${target.entity}`;
}

/**
 * @throws a transient failure before the last attempt (the job retries and the run resumes), or `SyncBusyError`.
 */
export async function syncEntity(ctx: ServiceContext, target: SyncTarget, attempt: SyncAttempt): Promise<SyncOutcome> {
  return ctx.db.connection().execute(async (lockConnection) => {
    const { rows } = await sql<{
      ok: boolean;
    }>`select pg_try_advisory_lock(hashtext(${lockKey(target)})::bigint) as ok`.execute(lockConnection);
    if (!rows[0]?.ok) throw new SyncBusyError(`the ${target.entity} sync of this connection is running elsewhere`);
    try {
      return await syncLocked(ctx, target, attempt);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lockKey(target)})::bigint)`
        .execute(lockConnection)
        .catch(() => {});
    }
  });
}

async function syncLocked(ctx: ServiceContext, target: SyncTarget, attempt: SyncAttempt): Promise<SyncOutcome> {
  const status = await ctx.db
    .selectFrom('platform_sync_status')
    .select(['sync_direction'])
    .where(entityRows(target))
    .executeTakeFirst();
  if (!status) return { status: 'skipped', reason: 'the entity has no sync settings' };
  const connection = await getConnection(ctx.db, target.tenantId, target.connectionId, { withCredentials: true });
  if (connection?.status !== 'active') {
    const reason = connection ? `the connection is ${connection.status}` : 'the connection no longer exists';
    if (connection) {
      await markFinished(ctx, target, 'failed', reason);
      recordSyncRun(connection.platform, target.entity, 'failed');
    }
    return { status: 'skipped', reason };
  }

  const metrics = emptyMetrics();
  await ctx.db
    .updateTable('platform_sync_status')
    .set({ sync_status: 'running', last_sync_attempt: ctx.now(), updated_at: ctx.now() })
    .where(entityRows(target))
    .execute();
  let adapter: BaseAdapter | undefined;
  let runId: string | undefined;
  try {
    adapter = (await adapterForConnection(ctx, connection, {
      onAttempt: (a) => recordAttempt(metrics, { ...a, retry: a.attempt > 1 }),
    })) as BaseAdapter;
    const direction = status.sync_direction;
    // Local changes go out through the entity's push queue (one pusher per entity), not from here.
    if (direction !== 'pull') await queuePush(ctx.db, jobPayload(target));
    let pull: PullResult | undefined;
    if (direction !== 'push') {
      pull = await pullEntity(ctx, adapter, target, {
        metrics,
        lookbackMs: attempt.lookbackMs,
        pageSize: attempt.pageSize,
        afterPage: attempt.afterPage,
      });
      runId = pull.runId;
    }
    await ctx.db.transaction().execute(async (trx) => {
      if (pull) {
        await trx
          .updateTable('sync_runs')
          .set({
            status: 'succeeded',
            finished_at: ctx.now(),
            checkpoint_data: null,
            records_deleted: String(pull.recordsDeleted),
            metrics: JSON.stringify(metrics),
          })
          .where('tenant_id', '=', target.tenantId)
          .where('run_id', '=', pull.runId)
          .execute();
      }
      await trx
        .updateTable('platform_sync_status')
        .set({
          sync_status: 'succeeded',
          last_success_at: ctx.now(),
          current_run_id: runId ?? null,
          error: null,
          ...(pull ? { records_total: String(pull.recordsTotal) } : {}),
          ...(pull?.highWater ? { cursor: JSON.stringify({ high_water: pull.highWater }) } : {}),
          updated_at: ctx.now(),
        })
        .where(entityRows(target))
        .execute();
      await trx
        .updateTable('platform_connections')
        .set({ last_sync_at: ctx.now() })
        .where('tenant_id', '=', target.tenantId)
        .where('connection_id', '=', target.connectionId)
        .execute();
    });
    recordSyncRun(connection.platform, target.entity, 'succeeded');
    if (pull) recordRecordsSynced(connection.platform, target.entity, 'pull', pull.recordsPulled);
    return { status: 'succeeded', pull };
  } catch (error) {
    const message = describeError(error);
    const final = !isRetryable(error) || attempt.attempt >= attempt.maxAttempts;
    if (!final) {
      await ctx.db
        .updateTable('platform_sync_status')
        .set({ error: `retrying: ${message}`, updated_at: ctx.now() })
        .where(entityRows(target))
        .execute()
        .catch(() => {});
      throw error;
    }
    const pulled = await failRunningRun(ctx, target, message, metrics);
    await markFinished(ctx, target, 'failed', message);
    recordSyncRun(connection.platform, target.entity, 'failed');
    if (pulled > 0) recordRecordsSynced(connection.platform, target.entity, 'pull', pulled);
    return { status: 'failed', error: message };
  } finally {
    await adapter?.close();
  }
}

async function markFinished(ctx: ServiceContext, target: SyncTarget, status: 'failed', error: string): Promise<void> {
  await ctx.db
    .updateTable('platform_sync_status')
    .set({ sync_status: status, error, updated_at: ctx.now() })
    .where(entityRows(target))
    .execute();
}

/**
 * The run left `running` by this failure ends as failed (the next sync starts a new one from the last cursor).
 * @returns the records that run had pulled (stored before it failed), for the metrics
 */
async function failRunningRun(
  ctx: ServiceContext,
  target: SyncTarget,
  error: string,
  metrics: RequestMetrics,
): Promise<number> {
  const runs = await ctx.db
    .updateTable('sync_runs')
    .set({ status: 'failed', finished_at: ctx.now(), error, checkpoint_data: null, metrics: JSON.stringify(metrics) })
    .where(entityRows(target))
    .where('status', '=', 'running')
    .returning(['run_id', 'records_pulled'])
    .execute();
  for (const run of runs) {
    await ctx.db
      .deleteFrom('sync_run_seen')
      .where('tenant_id', '=', target.tenantId)
      .where('run_id', '=', run.run_id)
      .execute();
  }
  return runs.reduce((sum, run) => sum + Number(run.records_pulled), 0);
}

/** A push-only run's row (for the run history and the statistics). */
async function recordPushRun(
  ctx: ServiceContext,
  target: SyncTarget,
  push: PushResult | undefined,
  metrics: RequestMetrics,
): Promise<string> {
  const runId = randomUUID();
  await ctx.db
    .insertInto('sync_runs')
    .values({
      tenant_id: target.tenantId,
      run_id: runId,
      connection_id: target.connectionId,
      entity_type: target.entity,
      mode: 'push',
      status: 'succeeded',
      started_at: ctx.now(),
      finished_at: ctx.now(),
      records_pushed: String(push?.pushed ?? 0),
      metrics: JSON.stringify(metrics),
      error: push?.lastError ?? null,
    })
    .execute();
  return runId;
}

/**
 * The `push_records` job: the entity's pending changes now, without a pull (no sync lock needed: pulls leave records
 * with pending changes alone, and pushes of one entity run one at a time in their own queue).
 * @throws a transient failure before the last attempt.
 */
export async function pushPending(
  ctx: ServiceContext,
  target: SyncTarget,
  attempt: SyncAttempt,
): Promise<PushResult | undefined> {
  const connection = await getConnection(ctx.db, target.tenantId, target.connectionId, { withCredentials: true });
  if (connection?.status !== 'active') return undefined;
  const metrics = emptyMetrics();
  const adapter = (await adapterForConnection(ctx, connection, {
    onAttempt: (a) => recordAttempt(metrics, { ...a, retry: a.attempt > 1 }),
  })) as BaseAdapter;
  try {
    const push = await pushEntity(ctx, adapter, target, await pushRulesFor(ctx.db, target));
    recordRecordsSynced(connection.platform, target.entity, 'push', push.pushed);
    if (push.pushed + push.failed + push.conflicts > 0) await recordPushRun(ctx, target, push, metrics);
    if (push.lastError) {
      await ctx.db
        .updateTable('platform_sync_status')
        .set({ error: push.lastError, updated_at: ctx.now() })
        .where(entityRows(target))
        .execute();
    }
    return push;
  } catch (error) {
    if (isRetryable(error) && attempt.attempt < attempt.maxAttempts) throw error;
    await ctx.db
      .updateTable('platform_sync_status')
      .set({ error: describeError(error), updated_at: ctx.now() })
      .where(entityRows(target))
      .execute();
    return undefined;
  } finally {
    await adapter.close();
  }
}
