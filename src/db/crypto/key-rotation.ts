/**
 * `engarde keys rotate`: re-wraps every stored secret that is not under the ring's active master key.
 *
 * Online: rows are taken in primary-key order, a small batch per transaction, each locked `FOR UPDATE SKIP LOCKED`
 * (a row a request is writing is skipped, not waited for, and picked up by a later pass), and every update is
 * conditioned on the row still holding the value that was read, so a concurrent write is never overwritten with
 * stale data. Only the data key is re-wrapped: the value's ciphertext stays, and `updated_at` is not touched.
 *
 * Resumable: each batch commits atomically and each value's `kid` says which key wraps it, so a run killed at any
 * moment (kill -9 included) loses nothing; the next run, with a ring that still holds the old keys, continues with
 * the rows still under them.
 *
 * A value that does not open (a key missing from the ring, a corrupt row) is reported by table and primary key and
 * skipped; the run goes on, and its result says it is not complete.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../schema.js';
import { rewrap } from './envelope-cipher.js';
import type { KeyRing } from './key-ring.js';
import { SEALED_COLUMNS, type SealedColumn, type SealedTable } from './sealed-columns.js';
import { SealedValueError, type SealedValueFailure } from './sealed-value-error.js';

export interface RotationOptions {
  /** Rows per transaction (default 100). */
  batchSize?: number;
  /**
   * Called after each committed batch. An exception stops the run (what was committed stays; a rerun continues).
   */
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
  /** Stops the run between batches; the result then says `interrupted`. */
  signal?: AbortSignal;
}

export interface RotationProgress {
  table: SealedTable;
  column: string;
  /** Values of this column re-wrapped so far in this run. */
  rotated: number;
  /** Values of this column that did not open, so far. */
  failed: number;
  /** Values of this column that were not under the active key when the run reached it. */
  pending: number;
}

export interface TableRotation {
  column: string;
  rotated: number;
  failed: number;
  /**
   * Values still not under the active key at the end: the failed ones, and any a concurrent transaction kept
   * locked (or wrote under an old key) throughout.
   */
  remaining: number;
}

export interface RotationFailure {
  table: SealedTable;
  column: string;
  /** The row's primary key (`bytea` as hex). */
  primaryKey: Record<string, string>;
  reason: SealedValueFailure;
  /** The `SealedValueError`'s message: ids only, never a secret. */
  message: string;
}

export interface RotationResult {
  activeKeyId: string;
  tables: Record<SealedTable, TableRotation>;
  failures: RotationFailure[];
  /** Stopped by `signal` before the end. */
  interrupted: boolean;
  /** Every stored secret is now under the active key. */
  complete: boolean;
}

const DEFAULT_BATCH_SIZE = 100;
/** Passes over a column: later passes pick up rows that were locked by a concurrent transaction. */
const MAX_PASSES = 5;

/**
 * Re-wraps every sealed value not under `ring.active` (see the module comment for the guarantees).
 *
 * @throws what the database throws (the batch in flight rolls back; a rerun continues), or what `onProgress` throws.
 * @example
 * const result = await rotateKeys(db, parseKeyRing(process.env.ENGARDE_ENCRYPTION_KEYS!), {
 *   onProgress: (p) => process.stderr.write(`\r${p.table}: ${p.rotated}/${p.pending}`),
 * });
 * for (const f of result.failures) console.error(`${f.table} ${JSON.stringify(f.primaryKey)}: ${f.message}`);
 * process.exitCode = result.complete ? 0 : 1;
 */
export async function rotateKeys(
  db: Kysely<Database>,
  ring: KeyRing,
  options: RotationOptions = {},
): Promise<RotationResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('rotateKeys: batchSize must be ≥ 1');
  const tables = {} as Record<SealedTable, TableRotation>;
  const failures: RotationFailure[] = [];
  let interrupted = false;
  for (const column of SEALED_COLUMNS) {
    const stats: TableRotation = { column: column.column, rotated: 0, failed: 0, remaining: 0 };
    tables[column.table] = stats;
    if (!interrupted) interrupted = await rotateColumn(db, ring, column, batchSize, options, stats, failures);
    stats.remaining = await countNotUnderActiveKey(db, ring, column);
  }
  const complete = Object.values(tables).every((t) => t.remaining === 0);
  return { activeKeyId: ring.active.id, tables, failures, interrupted, complete };
}

/** @returns whether the run was interrupted. */
async function rotateColumn(
  db: Kysely<Database>,
  ring: KeyRing,
  column: SealedColumn,
  batchSize: number,
  options: RotationOptions,
  stats: TableRotation,
  failures: RotationFailure[],
): Promise<boolean> {
  const pending = await countNotUnderActiveKey(db, ring, column);
  const failedRows = new Set<string>();
  for (let pass = 0; pass < MAX_PASSES && pending > 0; pass++) {
    let after: unknown[] | undefined;
    let rotatedInPass = 0;
    for (;;) {
      if (options.signal?.aborted) return true;
      const batch = await db
        .transaction()
        .execute((trx) => rotateBatch(trx, ring, column, batchSize, after, failedRows));
      if (batch.seen === 0) break;
      after = batch.last;
      rotatedInPass += batch.rotated;
      stats.rotated += batch.rotated;
      stats.failed += batch.failures.length;
      failures.push(...batch.failures);
      await options.onProgress?.({
        table: column.table,
        column: column.column,
        rotated: stats.rotated,
        failed: stats.failed,
        pending,
      });
      if (batch.seen < batchSize) break;
    }
    if (rotatedInPass === 0) break; // what is left failed, or is held by someone else: a later run
  }
  return false;
}

interface BatchOutcome {
  /** Rows read (locked) in this batch. */
  seen: number;
  /** The last row's primary key: the next batch starts after it. */
  last: unknown[] | undefined;
  rotated: number;
  failures: RotationFailure[];
}

async function rotateBatch(
  trx: Kysely<Database>,
  ring: KeyRing,
  column: SealedColumn,
  batchSize: number,
  after: unknown[] | undefined,
  failedRows: Set<string>,
): Promise<BatchOutcome> {
  const key = sql.join(column.primaryKey.map((c) => sql.ref(c)));
  const value = sql.ref(column.column);
  const { rows } = await sql<Record<string, unknown>>`
    select ${key}, ${value} as sealed
    from ${sql.table(column.table)}
    where ${notUnderActiveKey(ring, column)}
    ${after === undefined ? sql`` : sql`and (${key}) > (${sql.join(after)})`}
    order by ${key}
    limit ${batchSize}
    for update skip locked`.execute(trx);
  const outcome: BatchOutcome = { seen: rows.length, last: undefined, rotated: 0, failures: [] };
  for (const row of rows) {
    outcome.last = column.primaryKey.map((c) => row[c]);
    const primaryKey = describeKey(column, row);
    const rowId = JSON.stringify(primaryKey);
    if (failedRows.has(rowId)) continue; // reported by an earlier pass
    let next: unknown;
    try {
      next = rewrap(ring, column.context(row), row.sealed);
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error;
      failedRows.add(rowId);
      const { table, column: name } = column;
      outcome.failures.push({ table, column: name, primaryKey, reason: error.reason, message: error.message });
      continue;
    }
    const matches = sql.join(
      column.primaryKey.map((c) => sql`${sql.ref(c)} = ${row[c]}`),
      sql` and `,
    );
    // The row is locked, so it still holds what was read; the condition says so again, at no cost.
    const updated = await sql`
      update ${sql.table(column.table)}
      set ${value} = ${JSON.stringify(next)}::jsonb
      where ${matches} and ${value} = ${JSON.stringify(row.sealed)}::jsonb`.execute(trx);
    if (updated.numAffectedRows === 1n) outcome.rotated += 1;
  }
  return outcome;
}

function notUnderActiveKey(ring: KeyRing, column: SealedColumn): RawBuilder<unknown> {
  const value = sql.ref(column.column);
  return sql`${value} is not null and (${value} ->> 'kid') is distinct from ${ring.active.id}`;
}

async function countNotUnderActiveKey(db: Kysely<Database>, ring: KeyRing, column: SealedColumn): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    select count(*) as count from ${sql.table(column.table)} where ${notUnderActiveKey(ring, column)}`.execute(db);
  return Number(rows[0]?.count ?? 0);
}

function describeKey(column: SealedColumn, row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    column.primaryKey.map((c) => {
      const part = row[c];
      return [c, part instanceof Uint8Array ? Buffer.from(part).toString('hex') : String(part)];
    }),
  );
}
