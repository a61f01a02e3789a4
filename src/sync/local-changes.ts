/**
 * Local changes to synced records (the records routes and conflict resolutions): each changes the local copy and
 * writes its outbox entry and the push job in one transaction, so a change is either recorded and on its way to
 * the platform, or not made at all. One unsent change per record: later edits fold into it, keeping the base it was
 * made on (what the push compares the platform's record against).
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { queuePush } from '../jobs/job-queue.js';
import { contentHash, entityRows, type SyncTarget } from './record-store.js';
import { sameJson } from './same-json.js';
import { jobPayload } from './sync-entity.js';
import type { Json } from './three-way-merge.js';

type Db = Kysely<Database>;

export interface StoredRecord {
  external_id: string;
  data: Json;
  normalized: Json | null;
  remote_updated_at: Date | null;
  local_updated_at: Date | null;
  deleted: boolean;
  push_error: string | null;
  updated_at: Date;
}

export const RECORD_COLUMNS = [
  'external_id',
  'data',
  'normalized',
  'remote_updated_at',
  'local_updated_at',
  'deleted',
  'push_error',
  'updated_at',
] as const;

async function findRecord(db: Db, target: SyncTarget, externalId: string): Promise<StoredRecord | undefined> {
  return (await db
    .selectFrom('sync_records')
    .select(RECORD_COLUMNS)
    .where(entityRows(target, externalId))
    .forUpdate()
    .executeTakeFirst()) as StoredRecord | undefined;
}

async function pendingChange(trx: Transaction<Database>, target: SyncTarget, externalId: string) {
  return trx
    .selectFrom('sync_outbox')
    .select(['outbox_id', 'operation', 'changes', 'status'])
    .where(entityRows(target, externalId))
    .where('status', 'in', ['pending', 'conflict'])
    .forUpdate()
    .executeTakeFirst();
}

/** A record created here: stored under `local:<uuid>` until the platform assigns its id. */
export async function createLocal(db: Db, target: SyncTarget, data: Json, now: Date): Promise<StoredRecord> {
  return db.transaction().execute(async (trx) => {
    const externalId = `local:${randomUUID()}`;
    const record = (await trx
      .insertInto('sync_records')
      .values({
        tenant_id: target.tenantId,
        connection_id: target.connectionId,
        entity_type: target.entity,
        external_id: externalId,
        data: JSON.stringify(data),
        local_updated_at: now,
        updated_at: now,
      })
      .returning(RECORD_COLUMNS)
      .executeTakeFirstOrThrow()) as StoredRecord;
    await trx
      .insertInto('sync_outbox')
      .values({
        tenant_id: target.tenantId,
        connection_id: target.connectionId,
        entity_type: target.entity,
        external_id: externalId,
        operation: 'create',
        changes: JSON.stringify(data),
        base_data: null,
        idempotency_key: randomUUID(),
      })
      .execute();
    await queuePush(trx, jobPayload(target));
    return record;
  });
}

/**
 * Changes fields of a stored record.
 * @returns the record, or `undefined` when there is none (or it is deleted).
 */
export async function updateLocal(
  db: Db,
  target: SyncTarget,
  externalId: string,
  changes: Json,
  now: Date,
): Promise<StoredRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    const record = await findRecord(trx, target, externalId);
    if (!record || record.deleted) return undefined;
    const data = { ...record.data, ...changes };
    const pending = await pendingChange(trx, target, externalId);
    if (pending) {
      await trx
        .updateTable('sync_outbox')
        .set({ changes: JSON.stringify({ ...pending.changes, ...changes }) })
        .where('tenant_id', '=', target.tenantId)
        .where('outbox_id', '=', pending.outbox_id)
        .execute();
    } else {
      await sql`
        insert into sync_outbox (tenant_id, connection_id, entity_type, external_id, operation, changes, base_data,
          idempotency_key)
        select tenant_id, connection_id, entity_type, external_id, 'update', ${JSON.stringify(changes)}::jsonb,
          coalesce(base_data, data), ${randomUUID()}::uuid
        from sync_records
        where tenant_id = ${target.tenantId} and connection_id = ${target.connectionId}
          and entity_type = ${target.entity} and external_id = ${externalId}`.execute(trx);
    }
    const updated = (await trx
      .updateTable('sync_records')
      .set({ data: JSON.stringify(data), local_updated_at: now, updated_at: now, push_error: null })
      .where(entityRows(target, externalId))
      .returning(RECORD_COLUMNS)
      .executeTakeFirstOrThrow()) as StoredRecord;
    if (pending?.status !== 'conflict') await queuePush(trx, jobPayload(target));
    return updated;
  });
}

/**
 * Deletes a record here and, through the push, on the platform. A record created here and not pushed yet is simply
 * dropped.
 * @returns whether there was a record to delete.
 */
export async function deleteLocal(db: Db, target: SyncTarget, externalId: string, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const record = await findRecord(trx, target, externalId);
    if (!record || record.deleted) return false;
    const pending = await pendingChange(trx, target, externalId);
    if (pending?.operation === 'create') {
      await trx
        .updateTable('sync_outbox')
        .set({ status: 'discarded', finished_at: now })
        .where('tenant_id', '=', target.tenantId)
        .where('outbox_id', '=', pending.outbox_id)
        .execute();
      await trx.deleteFrom('sync_records').where(entityRows(target, externalId)).execute();
      return true;
    }
    if (pending) {
      await trx
        .updateTable('sync_outbox')
        .set({ operation: 'delete', changes: '{}' })
        .where('tenant_id', '=', target.tenantId)
        .where('outbox_id', '=', pending.outbox_id)
        .execute();
    } else {
      await sql`
        insert into sync_outbox (tenant_id, connection_id, entity_type, external_id, operation, base_data,
          idempotency_key)
        select tenant_id, connection_id, entity_type, external_id, 'delete', coalesce(base_data, data),
          ${randomUUID()}::uuid
        from sync_records
        where tenant_id = ${target.tenantId} and connection_id = ${target.connectionId}
          and entity_type = ${target.entity} and external_id = ${externalId}`.execute(trx);
    }
    await trx
      .updateTable('sync_records')
      .set({ deleted: true, deleted_at: now, local_updated_at: now, updated_at: now })
      .where(entityRows(target, externalId))
      .execute();
    if (pending?.status !== 'conflict') await queuePush(trx, jobPayload(target));
    return true;
  });
}

/**
 * Resolves an open conflict: `remote` takes the platform's version; `local` keeps ours; `merge` sets the given
 * fields over the platform's version (the fields not given keep the platform's values). Ours and merged data become a pending change against the platform's version at the time of the conflict
 * (so a further platform change since then is caught again), pushed at once.
 * @returns the resolved conflict's id, or `undefined` when there is no open conflict with that id.
 */
export async function resolveConflict(
  db: Db,
  tenantId: string,
  connectionId: string,
  conflictId: string,
  resolution: { kind: 'local' | 'remote' } | { kind: 'merge'; data: Json },
  now: Date,
): Promise<{ entity: string; externalId: string } | undefined> {
  return db.transaction().execute(async (trx) => {
    const conflict = await trx
      .selectFrom('sync_conflicts')
      .select(['entity_type', 'external_id', 'local_data', 'remote_data', 'outbox_id'])
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', connectionId)
      .where('conflict_id', '=', conflictId)
      .where('status', '=', 'open')
      .forUpdate()
      .executeTakeFirst();
    if (!conflict) return undefined;
    const target: SyncTarget = { tenantId, connectionId, entity: conflict.entity_type };
    const remote = conflict.remote_data;
    // Merged values are the fields to set, laid over the platform's version (or ours, when the platform deleted it):
    // the rest of the record stays as it is.
    const chosen: Json | null =
      resolution.kind === 'merge'
        ? { ...(remote ?? conflict.local_data ?? {}), ...resolution.data }
        : resolution.kind === 'local'
          ? conflict.local_data
          : remote;
    // The outbox entry that met the conflict ends; a new one carries the chosen version (unless it is the platform's).
    await trx
      .updateTable('sync_outbox')
      .set({ status: 'discarded', finished_at: now })
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', connectionId)
      .where('entity_type', '=', conflict.entity_type)
      .where('external_id', '=', conflict.external_id)
      .where('status', 'in', ['pending', 'conflict'])
      .execute();
    const recordWhere = sql`tenant_id = ${tenantId} and connection_id = ${connectionId}
      and entity_type = ${conflict.entity_type} and external_id = ${conflict.external_id}`;
    if (resolution.kind === 'remote' || sameAsRemote(chosen, remote)) {
      if (remote === null) {
        await sql`update sync_records set deleted = true, deleted_at = ${now}, updated_at = ${now} where ${recordWhere}`.execute(
          trx,
        );
      } else {
        const json = JSON.stringify(remote);
        await sql`update sync_records set data = ${json}::jsonb, base_data = ${json}::jsonb,
            content_hash = ${contentHash(sql`${json}::jsonb`)}, deleted = false, deleted_at = null,
            updated_at = ${now} where ${recordWhere}`.execute(trx);
      }
    } else {
      const operation = chosen === null ? 'delete' : remote === null ? 'create' : 'update';
      const changes = chosen === null ? {} : remote === null ? chosen : changedFields(remote, chosen);
      await trx
        .insertInto('sync_outbox')
        .values({
          tenant_id: tenantId,
          connection_id: connectionId,
          entity_type: conflict.entity_type,
          external_id: conflict.external_id,
          operation,
          changes: JSON.stringify(changes),
          base_data: remote === null ? null : JSON.stringify(remote),
          idempotency_key: randomUUID(),
        })
        .execute();
      const data = JSON.stringify(chosen ?? conflict.local_data ?? remote ?? {});
      await sql`update sync_records set data = ${data}::jsonb, base_data = ${remote === null ? null : JSON.stringify(remote)}::jsonb,
          deleted = ${chosen === null}, local_updated_at = ${now}, updated_at = ${now} where ${recordWhere}`.execute(
        trx,
      );
      await queuePush(trx, jobPayload(target));
    }
    await trx
      .updateTable('sync_conflicts')
      .set({ status: 'resolved', resolution: resolution.kind, resolved_at: now })
      .where('tenant_id', '=', tenantId)
      .where('conflict_id', '=', conflictId)
      .execute();
    return { entity: conflict.entity_type, externalId: conflict.external_id };
  });
}

function sameAsRemote(chosen: Json | null, remote: Json | null): boolean {
  return sameJson(chosen, remote);
}

/** The fields of `to` that differ from `from` (removed fields as null). */
function changedFields(from: Json, to: Json): Json {
  const out: Json = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (!sameJson(from[key] ?? null, to[key] ?? null)) out[key] = to[key] ?? null;
  }
  return out;
}
