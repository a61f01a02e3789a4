/**
 * Queueing jobs from the service's own transactions: `graphile_worker.add_job` is SQL, so a job and the rows it
 * works on commit together (a local change and the push that sends it; sync settings and the first run) — a crash
 * between the two can lose neither. `installJobQueue` creates graphile-worker's schema with the service's migrations,
 * so routes can queue jobs before any worker has started.
 */
import { runMigrations } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import type { Database } from '../db/schema.js';
import type { EntityJobPayload } from './job-payloads.js';

/** Creates or upgrades graphile-worker's schema (idempotent; graphile-worker takes its own lock). */
export async function installJobQueue(pool: pg.Pool): Promise<void> {
  await runMigrations({ pgPool: pool });
}

/** Attempts a sync or push job gets before it is marked failed (graphile-worker backs off exponentially). */
export const SYNC_MAX_ATTEMPTS = 10;

/**
 * The queue that runs one entity's syncs one at a time: graphile-worker hands out a named queue's jobs serially, so
 * two workers never run the same entity's sync at once.
 */
export function syncQueueName(p: EntityJobPayload): string {
  return `sync:${p.connection_id}:${p.entity_type}`;
}

/** Pushes have their own queue per entity, so a local change goes out in seconds even during a long pull. */
export function pushQueueName(p: EntityJobPayload): string {
  return `push:${p.connection_id}:${p.entity_type}`;
}

type Queryable = Kysely<Database>;

async function addJob(
  db: Queryable,
  task: string,
  payload: EntityJobPayload,
  queue: string,
  runAt: Date | undefined,
): Promise<void> {
  const body = { tenant_id: payload.tenant_id, connection_id: payload.connection_id, entity_type: payload.entity_type };
  await sql`select graphile_worker.add_job(
      ${task}, ${JSON.stringify(body)}::json,
      queue_name => ${queue}, run_at => ${runAt ?? null}::timestamptz, max_attempts => ${SYNC_MAX_ATTEMPTS},
      job_key => ${`${task}:${payload.tenant_id}:${payload.connection_id}:${payload.entity_type}`})`.execute(db);
}

/**
 * Queues a sync of one entity (one queued job per entity: queueing again before it starts replaces it).
 * @example
 * await ctx.db.transaction().execute(async (trx) => { …; await queueSync(trx, { tenant_id, connection_id, entity_type }); });
 */
export async function queueSync(db: Queryable, payload: EntityJobPayload, runAt?: Date): Promise<void> {
  await addJob(db, 'sync_entity', payload, syncQueueName(payload), runAt);
}

/** Queues a push of an entity's pending local changes. */
export async function queuePush(db: Queryable, payload: EntityJobPayload): Promise<void> {
  await addJob(db, 'push_records', payload, pushQueueName(payload), undefined);
}
