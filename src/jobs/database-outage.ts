/**
 * Jobs that outlive a database restart. When a task fails because Postgres went away (restarted, failed over),
 * graphile-worker 0.17 cannot write the failure either: its batched `failJobs` gives up with an unhandled rejection
 * and the job stays locked by a live worker (whose heartbeat keeps the sweeper away). So a failing task first waits
 * for the database to answer again — bounded — and only then fails, so that the failure, and the retry it
 * schedules, are recorded.
 */
import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** How long a failing task waits for the database before failing anyway. */
export const DATABASE_WAIT_MS = 5 * 60_000;

/** Resolves once `select 1` answers, or after `timeoutMs`. */
export async function untilDatabaseAnswers(
  db: Kysely<Database>,
  timeoutMs = DATABASE_WAIT_MS,
  pollMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sql`select 1`.execute(db);
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/**
 * The task, failing only once the database answers again (see the module comment).
 * @example
 * sync_entity: surviveDatabaseOutage(ctx.db, syncEntityTask(ctx)),
 */
export function surviveDatabaseOutage(db: Kysely<Database>, task: Task): Task {
  return async (payload, helpers) => {
    try {
      return await task(payload, helpers);
    } catch (error) {
      await untilDatabaseAnswers(db);
      throw error;
    }
  };
}
