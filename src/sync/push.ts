/**
 * Push: an entity's pending local changes (the outbox), oldest first, to the platform. Before an update or delete
 * the record is read again from the platform, and a three-way merge against the base the change was made on decides
 * what to write (`three-way-merge.ts`): a remote change we have not seen goes through the conflict rules instead of
 * being overwritten. Writes carry the outbox row's idempotency key where the platform takes one, so a push retried
 * after a crash does not write twice. What the platform answers becomes the new base (and content hash), so our own
 * write coming back in the next pull is no change and no conflict.
 *
 * A transient failure (5xx, 429, network) is thrown for the job to retry with backoff; a refusal (a 4xx validation
 * error) is not retried: it is kept on the outbox row and shown on the record and in the sync status.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { ConflictField, Database } from '../db/schema.js';
import type { BaseAdapter } from '../runtime/base-adapter.js';
import { getPath } from '../runtime/dotted-path.js';
import { NotFoundError } from '../runtime/errors.js';
import { cursorInstant } from '../runtime/incremental-filter.js';
import type { EntityConfig } from '../runtime/platform-schema.js';
import type { ServiceContext } from '../service/service-context.js';
import { normalizedOf } from './pull.js';
import { contentHash, entityRows, type SyncTarget } from './record-store.js';
import { describeError, isRetryable } from './sync-errors.js';
import { type ConflictStrategy, type FieldRule, type Json, threeWayMerge } from './three-way-merge.js';

type Db = Kysely<Database>;

export interface PushResult {
  pushed: number;
  conflicts: number;
  failed: number;
  /** The last refusal's message, for the sync status. */
  lastError: string | undefined;
}

export interface PushRules {
  strategy: ConflictStrategy;
  fieldRules: Readonly<Record<string, FieldRule>>;
}

interface OutboxRow {
  outbox_id: string;
  external_id: string;
  operation: 'create' | 'update' | 'delete';
  changes: Json;
  base_data: Json | null;
  idempotency_key: string;
}

/** The entity's conflict strategy and field rules, from its sync settings (default: manual, no rules). */
export async function pushRulesFor(db: Db, target: SyncTarget): Promise<PushRules> {
  const row = await db
    .selectFrom('platform_sync_status')
    .select(['conflict_strategy', 'field_rules'])
    .where(entityRows(target))
    .executeTakeFirst();
  return {
    strategy: (row?.conflict_strategy as ConflictStrategy | undefined) ?? 'manual',
    fieldRules: row?.field_rules?.[target.entity] ?? {},
  };
}

/**
 * Sends every pending change of the entity.
 * @throws the first transient failure (the rest stay pending for the retry).
 */
export async function pushEntity(
  ctx: ServiceContext,
  adapter: BaseAdapter,
  target: SyncTarget,
  rules: PushRules,
): Promise<PushResult> {
  const result: PushResult = { pushed: 0, conflicts: 0, failed: 0, lastError: undefined };
  const config = adapter.meta.entities[target.entity] as EntityConfig;
  for (;;) {
    const row = (await ctx.db
      .selectFrom('sync_outbox')
      .select(['outbox_id', 'external_id', 'operation', 'changes', 'base_data', 'idempotency_key'])
      .where(entityRows(target))
      .where('status', '=', 'pending')
      .orderBy('outbox_id')
      .limit(1)
      .executeTakeFirst()) as OutboxRow | undefined;
    if (!row) return result;
    try {
      const outcome = await pushOne(ctx, adapter, target, config, rules, row);
      result[outcome]++;
    } catch (error) {
      const message = describeError(error);
      if (isRetryable(error)) {
        await ctx.db
          .updateTable('sync_outbox')
          .set((eb) => ({ attempts: eb('attempts', '+', 1), error: message }))
          .where('tenant_id', '=', target.tenantId)
          .where('outbox_id', '=', row.outbox_id)
          .execute();
        throw error;
      }
      await ctx.db.transaction().execute(async (trx) => {
        await finishOutbox(trx, target.tenantId, row.outbox_id, 'failed', message);
        await trx
          .updateTable('sync_records')
          .set({ push_error: message })
          .where(entityRows(target, row.external_id))
          .execute();
      });
      result.failed++;
      result.lastError = message;
    }
  }
}

async function pushOne(
  ctx: ServiceContext,
  adapter: BaseAdapter,
  target: SyncTarget,
  config: EntityConfig,
  rules: PushRules,
  row: OutboxRow,
): Promise<'pushed' | 'conflicts'> {
  const record = await ctx.db
    .selectFrom('sync_records')
    .select(['data', 'local_updated_at', 'deleted'])
    .where(entityRows(target, row.external_id))
    .executeTakeFirst();
  const key = { idempotencyKey: row.idempotency_key };
  if (row.operation === 'create') {
    const local = (record?.data ?? row.changes) as Json;
    const created = (await adapter.create(target.entity, withoutId(local, config), key)) as unknown;
    await storeCreated(ctx, adapter, target, config, row, created, local);
    return 'pushed';
  }

  const remote = config.getById ? await readRemote(adapter, target.entity, row.external_id) : row.base_data;
  const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
  const remoteAt = remote && cursorField ? cursorInstant(remote, cursorField) : undefined;
  const merge = threeWayMerge({
    base: row.base_data,
    local: row.operation === 'delete' ? null : ((record?.data as Json | undefined) ?? null),
    remote,
    strategy: rules.strategy,
    fieldRules: rules.fieldRules,
    localUpdatedAt: record?.local_updated_at ?? undefined,
    remoteUpdatedAt: remoteAt === undefined ? undefined : new Date(remoteAt),
  });

  if (merge.kind === 'conflict') {
    await ctx.db.transaction().execute(async (trx) => {
      await openConflict(trx, target, row, merge.fields, (record?.data as Json | undefined) ?? null, remote);
      await trx
        .updateTable('sync_outbox')
        .set({ status: 'conflict' })
        .where('tenant_id', '=', target.tenantId)
        .where('outbox_id', '=', row.outbox_id)
        .execute();
    });
    return 'conflicts';
  }

  const { write } = merge;
  let after: Json | null = merge.record;
  if (write.op === 'update') {
    const answer = (await adapter.update(target.entity, row.external_id, write.changes, key)) as unknown;
    after = isRecord(answer) && getPath(answer, config.idField) !== undefined ? answer : merge.record;
  } else if (write.op === 'delete') {
    try {
      await adapter.delete(target.entity, row.external_id, key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    after = null;
  } else if (write.op === 'create') {
    const created = (await adapter.create(target.entity, withoutId(write.data, config), key)) as unknown;
    await storeCreated(ctx, adapter, target, config, row, created, write.data);
    return 'pushed';
  }
  await ctx.db.transaction().execute(async (trx) => {
    await storeAgreed(trx, adapter, target, row.external_id, after, cursorField);
    await finishOutbox(trx, target.tenantId, row.outbox_id, 'sent', null);
  });
  return 'pushed';
}

/** The platform's record now; `null` when it no longer exists. */
async function readRemote(adapter: BaseAdapter, entity: string, id: string): Promise<Json | null> {
  try {
    const record = (await adapter.get(entity, id)) as unknown;
    return isRecord(record) ? record : null;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** Stores a version both sides now agree on (`null`: deleted on both). */
async function storeAgreed(
  db: Db,
  adapter: BaseAdapter,
  target: SyncTarget,
  externalId: string,
  record: Json | null,
  cursorField: string | undefined,
): Promise<void> {
  const now = new Date();
  if (record === null) {
    await sql`
      update sync_records set deleted = true, deleted_at = ${now}, updated_at = ${now}, push_error = null
      where tenant_id = ${target.tenantId} and connection_id = ${target.connectionId}
        and entity_type = ${target.entity} and external_id = ${externalId}`.execute(db);
    return;
  }
  const at = cursorField ? cursorInstant(record, cursorField) : undefined;
  const json = JSON.stringify(record);
  const normalized = JSON.stringify(normalizedOf(adapter.meta, target.entity, record));
  await sql`
    update sync_records set data = ${json}::jsonb, base_data = ${json}::jsonb, normalized = ${normalized}::jsonb,
      content_hash = ${contentHash(sql`${json}::jsonb`)},
      remote_updated_at = ${at === undefined ? null : new Date(at)}, deleted = false, deleted_at = null,
      push_error = null, updated_at = ${now}
    where tenant_id = ${target.tenantId} and connection_id = ${target.connectionId}
      and entity_type = ${target.entity} and external_id = ${externalId}`.execute(db);
}

/** A record created on the platform: the local row takes the platform's id and answer. */
async function storeCreated(
  ctx: ServiceContext,
  adapter: BaseAdapter,
  target: SyncTarget,
  config: EntityConfig,
  row: OutboxRow,
  created: unknown,
  sent: Json,
): Promise<void> {
  const id = isRecord(created) ? getPath(created, config.idField) : undefined;
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new Error(
      `${adapter.meta.id} ${target.entity}: the platform's answer to a create has no "${config.idField}"`,
    );
  }
  const newId = String(id);
  const record = { ...sent, ...(created as Json) };
  const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
  await ctx.db.transaction().execute(async (trx) => {
    // A pull may have stored the new record already; the local row replaces it.
    if (newId !== row.external_id) {
      await trx.deleteFrom('sync_records').where(entityRows(target, newId)).execute();
      await trx
        .updateTable('sync_records')
        .set({ external_id: newId })
        .where(entityRows(target, row.external_id))
        .execute();
      await trx
        .updateTable('sync_outbox')
        .set({ external_id: newId })
        .where('tenant_id', '=', target.tenantId)
        .where('outbox_id', '=', row.outbox_id)
        .execute();
    }
    await storeAgreed(trx, adapter, target, newId, record, cursorField);
    await finishOutbox(trx, target.tenantId, row.outbox_id, 'sent', null);
  });
}

async function finishOutbox(
  db: Db,
  tenantId: string,
  outboxId: string,
  status: 'sent' | 'failed',
  error: string | null,
): Promise<void> {
  await db
    .updateTable('sync_outbox')
    .set((eb) => ({ status, error, finished_at: new Date(), attempts: eb('attempts', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('outbox_id', '=', outboxId)
    .execute();
}

async function openConflict(
  db: Db,
  target: SyncTarget,
  row: OutboxRow,
  fields: Record<string, ConflictField>,
  local: Json | null,
  remote: Json | null,
): Promise<void> {
  await db
    .insertInto('sync_conflicts')
    .values({
      tenant_id: target.tenantId,
      conflict_id: randomUUID(),
      connection_id: target.connectionId,
      entity_type: target.entity,
      external_id: row.external_id,
      fields: JSON.stringify(fields),
      base_data: row.base_data === null ? null : JSON.stringify(row.base_data),
      local_data: row.operation === 'delete' || local === null ? null : JSON.stringify(local),
      remote_data: remote === null ? null : JSON.stringify(remote),
      outbox_id: row.outbox_id,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A record to create: without the id field (the platform assigns it). */
function withoutId(record: Json, config: EntityConfig): Json {
  if (config.idField.includes('.') || !Object.hasOwn(record, config.idField)) return record;
  const { [config.idField]: _id, ...rest } = record;
  return rest;
}
