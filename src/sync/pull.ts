/**
 * Pull: one entity of one connection, from the platform into the local store, page by page. Each page's records and
 * the run's checkpoint (the request for the next page, sealed) are written in one transaction, so a worker killed
 * at any moment resumes from the last stored page: nothing lost, nothing stored twice.
 *
 * - Incremental (the entity has a modification-time cursor): from the last run's highest cursor value minus a
 *   lookback window (clock skew; several records sharing the boundary timestamp), de-duplicated by external id and
 *   content hash (a record seen again unchanged is not rewritten).
 * - Full (no cursor, or the first run): every record; at the end of a complete pass, stored records it did not see
 *   are marked deleted.
 */
import { randomUUID } from 'node:crypto';
import { openJson, seal } from '../db/crypto/envelope-cipher.js';
import { syncCheckpointContext } from '../db/crypto/seal-context.js';
import type { SyncRunsTable } from '../db/schema.js';
import type { PlatformMeta } from '../runtime/adapter-types.js';
import type { BaseAdapter } from '../runtime/base-adapter.js';
import { getPath } from '../runtime/dotted-path.js';
import { cursorInstant } from '../runtime/incremental-filter.js';
import { normalizeRecord } from '../runtime/normalize/normalize-record.js';
import type { PageRequest } from '../runtime/pagination/paginator.js';
import type { EntityConfig } from '../runtime/platform-schema.js';
import type { ServiceContext } from '../service/service-context.js';
import {
  countStored,
  entityRows,
  type IncomingRecord,
  markUnseenDeleted,
  rememberSeen,
  type SyncTarget,
  upsertPulledRecords,
} from './record-store.js';
import { addMetrics, type RequestMetrics } from './sync-metrics.js';

/** Default lookback of an incremental pull (clock skew between us and the platform, shared timestamps). */
export const DEFAULT_LOOKBACK_MS = 5 * 60_000;

export interface PullOptions {
  lookbackMs?: number | undefined;
  /** Records per page to ask for (default: the platform's largest page). */
  pageSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Counts this run's requests (the adapter's `onAttempt` writes into it). */
  metrics: RequestMetrics;
  /** Called after each page is stored (tests use it to stop a worker at a known point). */
  afterPage?: ((stored: { pages: number; recordsPulled: number }) => void | Promise<void>) | undefined;
}

export interface PullResult {
  runId: string;
  mode: 'incremental' | 'full';
  resumed: boolean;
  recordsPulled: number;
  recordsChanged: number;
  recordsDeleted: number;
  recordsTotal: number;
  pages: number;
  /** The highest cursor value seen (ISO), for the next incremental run. */
  highWater: string | null;
}

interface Checkpoint {
  /** The next page's request; `null` once the last page is stored. */
  next: PageRequest | null;
}

type Run = Pick<SyncRunsTable, 'run_id' | 'mode' | 'since_cursor' | 'high_water' | 'checkpoint_data' | 'metrics'> & {
  records_pulled: string;
  records_changed: string;
  pages: number;
  resumes: number;
};

/** The stored cursor of an entity's sync status (`{ high_water }`). */
export function highWaterOf(cursor: unknown): string | undefined {
  const value = (cursor as { high_water?: unknown } | null)?.high_water;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/**
 * Runs (or resumes) the entity's pull.
 * @throws whatever the platform or the database throws; the run stays resumable.
 */
export async function pullEntity(
  ctx: ServiceContext,
  adapter: BaseAdapter,
  target: SyncTarget,
  options: PullOptions,
): Promise<PullResult> {
  const config = adapter.meta.entities[target.entity] as EntityConfig;
  const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
  const { run, resumed } = await openRun(ctx, target, cursorField !== undefined);
  addMetrics(options.metrics, run.metrics);
  const context = syncCheckpointContext(target.tenantId, run.run_id);
  const checkpoint = run.checkpoint_data
    ? openJson<Checkpoint>(ctx.settings.keyRing, context, run.checkpoint_data)
    : undefined;

  let highWater = run.high_water ? Date.parse(run.high_water) : undefined;
  let pulled = Number(run.records_pulled);
  let changed = Number(run.records_changed);
  let pages = run.pages;

  if (checkpoint?.next !== null) {
    const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
    const since =
      run.mode === 'incremental' && run.since_cursor ? new Date(Date.parse(run.since_cursor) - lookbackMs) : undefined;
    const pageSize = options.pageSize ?? maxPageSize(adapter, config);
    const listing = adapter.pages(target.entity, {
      ...(checkpoint?.next ? { from: checkpoint.next } : since ? { since } : {}),
      ...(pageSize ? { pageSize } : {}),
      signal: options.signal,
    });
    for await (const page of listing) {
      const records = toIncoming(adapter, target.entity, config, page.records as unknown[], cursorField);
      // Records of an entity with a standard form that did not normalize (the data-quality alert counts them).
      const unnormalized = config.standard ? records.filter((r) => r.normalized === null).length : 0;
      for (const record of records) {
        if (record.remote_updated_at) {
          const at = Date.parse(record.remote_updated_at);
          if (highWater === undefined || at > highWater) highWater = at;
        }
      }
      const next: Checkpoint = { next: page.next ?? null };
      const pageChanged = await ctx.db.transaction().execute(async (trx) => {
        const n = await upsertPulledRecords(trx, target, records);
        if (run.mode === 'full') {
          await rememberSeen(
            trx,
            target.tenantId,
            run.run_id,
            records.map((r) => r.external_id),
          );
        }
        await trx
          .updateTable('sync_runs')
          .set((eb) => ({
            checkpoint_data: JSON.stringify(seal(ctx.settings.keyRing, context, next)),
            high_water: highWater === undefined ? null : new Date(highWater).toISOString(),
            records_pulled: eb('records_pulled', '+', String(records.length)),
            records_changed: eb('records_changed', '+', String(n)),
            records_unnormalized: eb('records_unnormalized', '+', String(unnormalized)),
            pages: eb('pages', '+', 1),
            metrics: JSON.stringify(options.metrics),
          }))
          .where('tenant_id', '=', target.tenantId)
          .where('run_id', '=', run.run_id)
          .execute();
        return n;
      });
      pulled += records.length;
      changed += pageChanged;
      pages += 1;
      await options.afterPage?.({ pages, recordsPulled: pulled });
    }
  }

  const deleted = run.mode === 'full' ? await markUnseenDeleted(ctx.db, target, run.run_id) : 0;
  const total = await countStored(ctx.db, target);
  return {
    runId: run.run_id,
    mode: run.mode === 'incremental' ? 'incremental' : 'full',
    resumed,
    recordsPulled: pulled,
    recordsChanged: changed,
    recordsDeleted: deleted,
    recordsTotal: total,
    pages,
    highWater: highWater === undefined ? null : new Date(highWater).toISOString(),
  };
}

/** The run a crashed worker left (resumed), or a new one. */
async function openRun(
  ctx: ServiceContext,
  target: SyncTarget,
  incremental: boolean,
): Promise<{ run: Run; resumed: boolean }> {
  const columns = [
    'run_id',
    'mode',
    'since_cursor',
    'high_water',
    'checkpoint_data',
    'metrics',
    'records_pulled',
    'records_changed',
    'pages',
    'resumes',
  ] as const;
  const existing = await ctx.db
    .selectFrom('sync_runs')
    .select(columns)
    .where(entityRows(target))
    .where('status', '=', 'running')
    .where('mode', '!=', 'push')
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  if (existing) {
    await ctx.db
      .updateTable('sync_runs')
      .set((eb) => ({ resumes: eb('resumes', '+', 1) }))
      .where('tenant_id', '=', target.tenantId)
      .where('run_id', '=', existing.run_id)
      .execute();
    return { run: existing as Run, resumed: true };
  }
  const status = await ctx.db
    .selectFrom('platform_sync_status')
    .select('cursor')
    .where(entityRows(target))
    .executeTakeFirst();
  const since = incremental ? highWaterOf(status?.cursor) : undefined;
  const run = await ctx.db
    .insertInto('sync_runs')
    .values({
      tenant_id: target.tenantId,
      run_id: randomUUID(),
      connection_id: target.connectionId,
      entity_type: target.entity,
      mode: since ? 'incremental' : 'full',
      since_cursor: since ?? null,
      started_at: ctx.now(),
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return { run: run as Run, resumed: false };
}

/** The largest page the platform serves, else its default. */
function maxPageSize(adapter: BaseAdapter, config: EntityConfig): number | undefined {
  const pagination = config.pagination ?? adapter.meta.pagination;
  if (pagination.kind === 'none') return undefined;
  return pagination.maxLimit ?? pagination.defaultLimit;
}

/** A page's records as rows: external id, raw data, normalized form (without its copy of raw), update time. */
function toIncoming(
  adapter: BaseAdapter,
  entity: string,
  config: EntityConfig,
  raws: unknown[],
  cursorField: string | undefined,
): IncomingRecord[] {
  const byId = new Map<string, IncomingRecord>();
  for (const raw of raws) {
    const id = getPath(raw, config.idField);
    if (typeof id !== 'string' && typeof id !== 'number') continue; // a record without an id cannot be synced
    const externalId = String(id);
    if (externalId === '' || externalId.startsWith('local:')) continue;
    const at = cursorField ? cursorInstant(raw, cursorField) : undefined;
    byId.set(externalId, {
      external_id: externalId,
      data: raw,
      normalized: normalizedOf(adapter.meta, entity, raw),
      remote_updated_at: at === undefined ? null : new Date(at).toISOString(),
    });
  }
  return [...byId.values()];
}

/** The standard form of a record without its `raw` copy (stored beside it); `null` when it cannot be normalized. */
export function normalizedOf(meta: PlatformMeta, entity: string, raw: unknown): Record<string, unknown> | null {
  const config = meta.entities[entity];
  if (!config) return null;
  try {
    const { raw: _raw, ...rest } = normalizeRecord(meta.id, entity, config, raw) as Record<string, unknown>;
    return rest;
  } catch {
    return null;
  }
}
