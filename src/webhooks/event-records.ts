/**
 * What a webhook event does to the local store. Where the platform's config maps the event type to an entity
 * (`webhooks.records`), the record inside the payload is upserted into — or deleted from — the synced copy through
 * the same statement a pull uses (content hash, unpushed local changes left to the push and its conflict rules, an
 * older version never replacing a newer one). Other events make the connection sync.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PlatformMeta } from '../runtime/adapter-types.js';
import { getPath } from '../runtime/dotted-path.js';
import { cursorInstant } from '../runtime/incremental-filter.js';
import { normalizedOf } from '../sync/pull.js';
import { contentHash, type IncomingRecord, type SyncTarget, upsertPulledRecords } from '../sync/record-store.js';

type Db = Kysely<Database>;

export type EventEffect =
  /** No mapping for the event type: the entities the connection pulls are synced. */
  | { kind: 'sync' }
  | { kind: 'upsert'; entity: string; record: IncomingRecord }
  | { kind: 'delete'; entity: string; externalId: string; version: string | null }
  /** A mapped event whose payload lacks the record or its id: it cannot be applied (retrying would not help). */
  | { kind: 'invalid'; reason: string };

/**
 * The effect an event has, from the platform's config and the payload alone.
 * @example
 * eventEffect(stripeMeta, 'customer.updated', { created: 1765000000, data: { object: { id: 'cus_1', … } } });
 * // { kind: 'upsert', entity: 'customers', record: { external_id: 'cus_1', …, remote_updated_at: '2025-12-06T…' } }
 */
export function eventEffect(meta: PlatformMeta, eventType: string, payload: unknown): EventEffect {
  const records = meta.webhooks.scheme === 'none' ? {} : meta.webhooks.records;
  const mapping = Object.hasOwn(records, eventType) ? records[eventType] : undefined;
  if (!mapping) return { kind: 'sync' };
  const config = meta.entities[mapping.entity];
  if (!config) return { kind: 'sync' };
  const record = mapping.recordPath ? getPath(payload, mapping.recordPath) : payload;
  const where = `${meta.id} event "${eventType}"`;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { kind: 'invalid', reason: `${where}: no record at "${mapping.recordPath || '(the payload)'}"` };
  }
  const id = getPath(record, config.idField);
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '' || String(id).startsWith('local:')) {
    return { kind: 'invalid', reason: `${where}: the record has no id at "${config.idField}"` };
  }
  const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
  const at = mapping.versionPath
    ? cursorInstant(payload, mapping.versionPath)
    : cursorField
      ? cursorInstant(record, cursorField)
      : undefined;
  const version = at === undefined ? null : new Date(at).toISOString();
  const deleted =
    mapping.action === 'delete' ||
    mapping.deleteWhen?.in.includes(String(getPath(payload, mapping.deleteWhen.path))) === true;
  if (deleted) return { kind: 'delete', entity: mapping.entity, externalId: String(id), version };
  return {
    kind: 'upsert',
    entity: mapping.entity,
    record: {
      external_id: String(id),
      data: record,
      normalized: normalizedOf(meta, mapping.entity, record),
      remote_updated_at: version,
    },
  };
}

/**
 * Marks a record deleted because the platform said so — unless the stored version is newer than the deletion, or a
 * local change waits to be pushed (the push's conflict rules decide then). A deletion with a version and no stored
 * record leaves a tombstone, so an older event arriving after it cannot bring the record back.
 * @returns whether a row was marked or written.
 */
export async function applyDeletion(
  db: Db,
  target: SyncTarget,
  externalId: string,
  version: string | null,
): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    with marked as (
      update sync_records r set deleted = true, deleted_at = now(), updated_at = now(),
        remote_updated_at = coalesce(${version}::timestamptz, r.remote_updated_at)
      where r.tenant_id = ${target.tenantId} and r.connection_id = ${target.connectionId}
        and r.entity_type = ${target.entity} and r.external_id = ${externalId} and not r.deleted
        and (${version}::timestamptz is null or r.remote_updated_at is null or ${version}::timestamptz >= r.remote_updated_at)
        and not exists (
          select 1 from sync_outbox o
          where o.tenant_id = r.tenant_id and o.connection_id = r.connection_id and o.entity_type = r.entity_type
            and o.external_id = r.external_id and o.status in ('pending', 'conflict'))
      returning 1
    ), tombstone as (
      insert into sync_records (tenant_id, connection_id, entity_type, external_id, data, normalized, content_hash,
        base_data, remote_updated_at, deleted, deleted_at)
      select ${target.tenantId}::uuid, ${target.connectionId}::uuid, ${target.entity}, ${externalId}, '{}'::jsonb,
        null, ${contentHash(sql`'{}'::jsonb`)}, '{}'::jsonb, ${version}::timestamptz, true, now()
      where ${version}::timestamptz is not null
      on conflict (tenant_id, connection_id, entity_type, external_id) do nothing
      returning 1
    )
    select ((select count(*) from marked) + (select count(*) from tombstone))::int as n`.execute(db);
  return (rows[0]?.n ?? 0) > 0;
}

/** Applies an upsert or delete effect. @returns whether the store changed. */
export async function applyEventRecord(
  db: Db,
  target: Omit<SyncTarget, 'entity'>,
  effect: Extract<EventEffect, { kind: 'upsert' | 'delete' }>,
): Promise<boolean> {
  const entityTarget = { ...target, entity: effect.entity };
  if (effect.kind === 'upsert') return (await upsertPulledRecords(db, entityTarget, [effect.record])) > 0;
  return applyDeletion(db, entityTarget, effect.externalId, effect.version);
}
