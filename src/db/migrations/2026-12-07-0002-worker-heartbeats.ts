/**
 * Worker heartbeats: each worker process writes `beat_at` for its graphile-worker workers every few seconds, so a
 * sweeper can tell a crashed worker (killed with -9, its machine gone) from a busy one and release its jobs, which
 * graphile-worker would otherwise leave locked for four hours. Not tenant data.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('worker_heartbeats')
    .addColumn('worker_id', 'text', (c) => c.primaryKey())
    /** host:pid of the process, for people reading the table. */
    .addColumn('process', 'text', (c) => c.notNull())
    .addColumn('beat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('worker_heartbeats').ifExists().execute();
}
