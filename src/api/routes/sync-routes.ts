/**
 * Sync settings and status, the synced records, and conflicts (DESIGN.md §4): `POST|GET …/sync`,
 * `GET|POST|PATCH|DELETE …/records/{entity_type}`, `GET …/conflicts`, `POST …/conflicts/{id}/resolve`. Records are
 * the local copy in Postgres; local changes are queued for the push in the same transaction and answered 202.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { audit } from '../../db/repositories/audit-repository.js';
import type { ConflictField } from '../../db/schema.js';
import { queuePush, queueSync } from '../../jobs/job-queue.js';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import type { ServiceContext } from '../../service/service-context.js';
import {
  createLocal,
  deleteLocal,
  RECORD_COLUMNS,
  resolveConflict,
  type StoredRecord,
  updateLocal,
} from '../../sync/local-changes.js';
import type { SyncTarget } from '../../sync/record-store.js';
import { jobPayload } from '../../sync/sync-entity.js';
import { nextRunAt } from '../../sync/sync-schedule.js';
import { CONFLICT_STRATEGIES } from '../../sync/three-way-merge.js';
import { CursorCodec } from '../cursor-codec.js';
import type { IntegrationCatalog } from '../integration-catalog.js';
import { type FieldProblem, notFound, ProblemError } from '../problem.js';
import {
  conflictResponse,
  connectionQuery,
  instant,
  limitParam,
  nextCursor,
  platformParams,
  syncRecordResponse,
} from '../route-schemas.js';
import { actorOf } from '../tenant-auth.js';
import { resolveConnection } from './connection-routes.js';

const entityParams = platformParams.extend({ entity_type: z.string().min(1).max(128) });
const recordParams = entityParams.extend({ external_id: z.string().min(1).max(512) });
const recordBody = z.object({ data: z.record(z.string(), z.unknown()) }).strict();
const syncDirection = z.enum(['pull', 'push', 'bidirectional']);
/** idle (set up, never run), queued, running, succeeded or failed (it stays so until the next run starts). */
const syncStatus = z.enum(['idle', 'queued', 'running', 'succeeded', 'failed']);

const CONFLICT_COLUMNS = [
  'conflict_id',
  'entity_type',
  'external_id',
  'status',
  'fields',
  'created_at',
  'resolved_at',
  'resolution',
] as const;

function invalid(errors: FieldProblem[]): ProblemError {
  return new ProblemError(422, 'Invalid request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

function recordJson(r: StoredRecord) {
  return {
    external_id: r.external_id,
    data: r.data,
    normalized: r.normalized,
    remote_updated_at: r.remote_updated_at?.toISOString() ?? null,
    local_updated_at: r.local_updated_at?.toISOString() ?? null,
    deleted: r.deleted,
    ...(r.push_error ? { push_error: r.push_error } : {}),
  };
}

export function syncRoutes(scope: FastifyInstance, ctx: ServiceContext, catalog: IntegrationCatalog): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const cursors = new CursorCodec(ctx.settings.keyRing);
  const security = [{ tenantKey: [] }];

  /** The connection, its platform's metadata, and (when named) the entity, which must be the platform's. */
  const locate = async (tenantId: string, platform: string, connectionId: string | undefined, entity?: string) => {
    const connection = await resolveConnection(ctx, tenantId, platform, connectionId);
    const meta = (await catalog.meta(platform)) as PlatformMeta;
    if (entity !== undefined && !Object.hasOwn(meta.entities, entity))
      throw notFound(`entity "${entity}" of ${platform}`);
    const target: SyncTarget = { tenantId, connectionId: connection.connectionId, entity: entity ?? '' };
    return { connection, meta, target };
  };

  /** Local writes need the entity to sync push or bidirectional, and the platform to allow the operation. */
  const requireWritable = async (meta: PlatformMeta, target: SyncTarget, operation: 'create' | 'update' | 'delete') => {
    const status = await ctx.db
      .selectFrom('platform_sync_status')
      .select('sync_direction')
      .where('tenant_id', '=', target.tenantId)
      .where('connection_id', '=', target.connectionId)
      .where('entity_type', '=', target.entity)
      .executeTakeFirst();
    if (!status || status.sync_direction === 'pull') {
      throw new ProblemError(
        409,
        'Conflict',
        `${target.entity} does not sync push or bidirectional on this connection; set sync_direction with POST /integrations/${meta.id}/sync first`,
      );
    }
    if (!meta.entities[target.entity]?.write.includes(operation)) {
      throw new ProblemError(409, 'Conflict', `${meta.name} does not allow ${operation} of ${target.entity}`);
    }
  };

  app.post(
    '/integrations/:integration_id/sync',
    {
      schema: {
        tags: ['sync'],
        summary: 'Set up (or change) syncing of entities, and run it now',
        security,
        params: platformParams,
        querystring: connectionQuery,
        body: z
          .object({
            sync_direction: z.enum(['pull', 'push', 'bidirectional']),
            frequency: z.string().min(1).max(100).default('manual'),
            entities: z.array(z.string().min(1).max(128)).min(1).max(200),
            conflict_strategy: z.enum(CONFLICT_STRATEGIES).default('manual'),
            field_rules: z.record(z.string(), z.record(z.string(), z.enum(['platform', 'local']))).default({}),
          })
          .strict(),
        response: {
          202: z.object({
            sync: z.object({
              connection_id: z.string(),
              sync_direction: syncDirection,
              frequency: z.string(),
              entities: z.array(z.string()),
              conflict_strategy: z.enum(CONFLICT_STRATEGIES),
              field_rules: z.record(z.string(), z.record(z.string(), z.enum(['platform', 'local']))),
              next_run_at: instant.nullable(),
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const { connection, meta } = await locate(tenantId, request.params.integration_id, request.query.connection_id);
      const body = request.body;
      const entities = [...new Set(body.entities)];
      const problems: FieldProblem[] = [];
      body.entities.forEach((entity, i) => {
        const config = Object.hasOwn(meta.entities, entity) ? meta.entities[entity] : undefined;
        if (!config) {
          problems.push({
            in: 'body',
            path: `/entities/${i}`,
            message: `${meta.name} has no entity "${entity}"; it has ${Object.keys(meta.entities).sort().join(', ')}`,
          });
        } else if (body.sync_direction !== 'pull' && config.write.length === 0) {
          problems.push({
            in: 'body',
            path: `/entities/${i}`,
            message: `${meta.name} does not allow writes to ${entity}, so it can only sync pull`,
          });
        }
      });
      for (const entity of Object.keys(body.field_rules)) {
        if (!entities.includes(entity)) {
          problems.push({ in: 'body', path: `/field_rules/${entity}`, message: 'is not one of the entities' });
        }
      }
      let next: Date | null = null;
      try {
        next = nextRunAt(body.frequency, connection.connectionId, ctx.now());
      } catch (error) {
        problems.push({ in: 'body', path: '/frequency', message: (error as Error).message });
      }
      if (problems.length > 0) throw invalid(problems);

      await ctx.db.transaction().execute(async (trx) => {
        for (const entity of entities) {
          const values = {
            sync_direction: body.sync_direction,
            frequency: body.frequency,
            conflict_strategy: body.conflict_strategy,
            field_rules: JSON.stringify(body.field_rules[entity] ? { [entity]: body.field_rules[entity] } : {}),
            next_run_at: next,
            updated_at: ctx.now(),
          };
          await trx
            .insertInto('platform_sync_status')
            .values({
              tenant_id: tenantId,
              connection_id: connection.connectionId,
              entity_type: entity,
              ...values,
              sync_status: 'queued',
            })
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'connection_id', 'entity_type']).doUpdateSet({
                ...values,
                sync_status: sql`case when platform_sync_status.sync_status = 'running' then 'running' else 'queued' end`,
              }),
            )
            .execute();
          const payload = jobPayload({ tenantId, connectionId: connection.connectionId, entity });
          if (body.sync_direction === 'push') await queuePush(trx, payload);
          else await queueSync(trx, payload);
        }
        await audit(trx, {
          tenantId,
          actor: actorOf(request),
          action: 'sync.configured',
          targetType: 'connection',
          targetId: connection.connectionId,
          details: {
            entities,
            sync_direction: body.sync_direction,
            frequency: body.frequency,
            conflict_strategy: body.conflict_strategy,
          },
        });
      });
      return reply.status(202).send({
        sync: {
          connection_id: connection.connectionId,
          sync_direction: body.sync_direction,
          frequency: body.frequency,
          entities,
          conflict_strategy: body.conflict_strategy,
          field_rules: body.field_rules,
          next_run_at: next?.toISOString() ?? null,
        },
      });
    },
  );

  app.get(
    '/integrations/:integration_id/sync',
    {
      schema: {
        tags: ['sync'],
        summary: 'Sync status per entity',
        security,
        params: platformParams,
        querystring: connectionQuery,
        response: {
          200: z.object({
            connection_id: z.string(),
            entities: z.array(
              z.object({
                entity_type: z.string(),
                sync_direction: syncDirection,
                frequency: z.string(),
                conflict_strategy: z.string(),
                sync_status: syncStatus,
                last_sync_attempt: instant.nullable(),
                last_success_at: instant.nullable(),
                next_run_at: instant.nullable(),
                records_total: z.number().int(),
                /** While a run is going: the records it has pulled so far. */
                progress: z.object({ records_so_far: z.number().int() }).optional(),
                /** The last finished (or failed) pull run; null before one. */
                last_run: z
                  .object({
                    started_at: instant,
                    finished_at: instant.nullable(),
                    records_pulled: z.number().int(),
                    records_pushed: z.number().int(),
                  })
                  .nullable(),
                conflicts_open: z.number().int(),
                error: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { connection } = await locate(tenantId, request.params.integration_id, request.query.connection_id);
      const rows = await sql<{
        entity_type: string;
        sync_direction: z.infer<typeof syncDirection>;
        frequency: string;
        conflict_strategy: string;
        sync_status: z.infer<typeof syncStatus>;
        last_sync_attempt: Date | null;
        last_success_at: Date | null;
        next_run_at: Date | null;
        error: string | null;
        records_total: string;
        conflicts_open: string;
        running_pulled: string | null;
        last_started: Date | null;
        last_finished: Date | null;
        last_pulled: string | null;
        last_pushed: string | null;
      }>`
        select s.entity_type, s.sync_direction, s.frequency, s.conflict_strategy, s.sync_status, s.last_sync_attempt,
          s.last_success_at, s.next_run_at, s.error,
          (select count(*) from sync_records r where r.tenant_id = s.tenant_id and r.connection_id = s.connection_id
             and r.entity_type = s.entity_type and not r.deleted) as records_total,
          (select count(*) from sync_conflicts c where c.tenant_id = s.tenant_id and c.connection_id = s.connection_id
             and c.entity_type = s.entity_type and c.status = 'open') as conflicts_open,
          running.records_pulled as running_pulled,
          last.started_at as last_started, last.finished_at as last_finished, last.records_pulled as last_pulled,
          (select coalesce(sum(p.records_pushed), 0) from sync_runs p where p.tenant_id = s.tenant_id
             and p.connection_id = s.connection_id and p.entity_type = s.entity_type and p.mode = 'push'
             and p.started_at >= coalesce(last.started_at, '-infinity')) as last_pushed
        from platform_sync_status s
        left join lateral (select records_pulled from sync_runs r where r.tenant_id = s.tenant_id
             and r.connection_id = s.connection_id and r.entity_type = s.entity_type and r.status = 'running'
             and r.mode <> 'push' order by started_at desc limit 1) running on true
        left join lateral (select started_at, finished_at, records_pulled from sync_runs r where r.tenant_id = s.tenant_id
             and r.connection_id = s.connection_id and r.entity_type = s.entity_type and r.status <> 'running'
             and r.mode <> 'push' order by started_at desc limit 1) last on true
        where s.tenant_id = ${tenantId} and s.connection_id = ${connection.connectionId}
        order by s.entity_type`.execute(ctx.db);
      return {
        connection_id: connection.connectionId,
        entities: rows.rows.map((r) => ({
          entity_type: r.entity_type,
          sync_direction: r.sync_direction,
          frequency: r.frequency,
          conflict_strategy: r.conflict_strategy,
          sync_status: r.sync_status,
          last_sync_attempt: r.last_sync_attempt?.toISOString() ?? null,
          last_success_at: r.last_success_at?.toISOString() ?? null,
          next_run_at: r.next_run_at?.toISOString() ?? null,
          records_total: Number(r.records_total),
          ...(r.sync_status === 'running' ? { progress: { records_so_far: Number(r.running_pulled ?? 0) } } : {}),
          last_run: r.last_started
            ? {
                started_at: r.last_started.toISOString(),
                finished_at: r.last_finished?.toISOString() ?? null,
                records_pulled: Number(r.last_pulled ?? 0),
                records_pushed: Number(r.last_pushed ?? 0),
              }
            : null,
          conflicts_open: Number(r.conflicts_open),
          error: r.error,
        })),
      };
    },
  );

  app.get(
    '/integrations/:integration_id/records/:entity_type',
    {
      schema: {
        tags: ['records'],
        summary: 'The synced copy of an entity',
        security,
        params: entityParams,
        querystring: connectionQuery.extend({
          limit: limitParam,
          cursor: z.string().max(2000).optional(),
          updated_since: z.iso.datetime({ offset: true }).optional(),
          include_deleted: z
            .enum(['true', 'false'])
            .default('false')
            .transform((v) => v === 'true'),
        }),
        response: { 200: z.object({ records: z.array(syncRecordResponse), next_cursor: nextCursor }) },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { integration_id, entity_type } = request.params;
      const { target } = await locate(tenantId, integration_id, request.query.connection_id, entity_type);
      const { limit, cursor, updated_since, include_deleted } = request.query;
      const scopeName = `records:${target.connectionId}:${entity_type}`;
      const after = cursor ? cursors.decode(scopeName, cursor, z.object({ id: z.string() })) : undefined;
      let query = ctx.db
        .selectFrom('sync_records')
        .select(RECORD_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', target.connectionId)
        .where('entity_type', '=', entity_type);
      if (!include_deleted) query = query.where('deleted', '=', false);
      if (updated_since) query = query.where('updated_at', '>=', new Date(updated_since));
      if (after) query = query.where('external_id', '>', after.id);
      const rows = (await query
        .orderBy('external_id')
        .limit(limit + 1)
        .execute()) as StoredRecord[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        records: page.map(recordJson),
        next_cursor: rows.length > limit && last ? cursors.encode(scopeName, { id: last.external_id }) : null,
      };
    },
  );

  app.post(
    '/integrations/:integration_id/records/:entity_type',
    {
      schema: {
        tags: ['records'],
        summary: 'Create a record here; it is pushed to the platform',
        security,
        params: entityParams,
        querystring: connectionQuery,
        body: recordBody,
        response: { 202: z.object({ record: syncRecordResponse }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const { integration_id, entity_type } = request.params;
      const { meta, target } = await locate(tenantId, integration_id, request.query.connection_id, entity_type);
      await requireWritable(meta, target, 'create');
      const record = await createLocal(ctx.db, target, request.body.data, ctx.now());
      return reply.status(202).send({ record: recordJson(record) });
    },
  );

  app.patch(
    '/integrations/:integration_id/records/:entity_type/:external_id',
    {
      schema: {
        tags: ['records'],
        summary: 'Change fields of a record here; the change is pushed to the platform',
        security,
        params: recordParams,
        querystring: connectionQuery,
        body: recordBody,
        response: { 202: z.object({ record: syncRecordResponse }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const { integration_id, entity_type, external_id } = request.params;
      const { meta, target } = await locate(tenantId, integration_id, request.query.connection_id, entity_type);
      await requireWritable(meta, target, 'update');
      const record = await updateLocal(ctx.db, target, external_id, request.body.data, ctx.now());
      if (!record) throw notFound(`${entity_type} record ${external_id}`);
      return reply.status(202).send({ record: recordJson(record) });
    },
  );

  app.delete(
    '/integrations/:integration_id/records/:entity_type/:external_id',
    {
      schema: {
        tags: ['records'],
        summary: 'Delete a record here and, through the push, on the platform',
        security,
        params: recordParams,
        querystring: connectionQuery,
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const { integration_id, entity_type, external_id } = request.params;
      const { meta, target } = await locate(tenantId, integration_id, request.query.connection_id, entity_type);
      await requireWritable(meta, target, 'delete');
      if (!(await deleteLocal(ctx.db, target, external_id, ctx.now()))) {
        throw notFound(`${entity_type} record ${external_id}`);
      }
      return reply.status(202).send({ record: { external_id, deleted: true } });
    },
  );

  app.get(
    '/integrations/:integration_id/conflicts',
    {
      schema: {
        tags: ['conflicts'],
        summary: 'Conflicts between local changes and the platform',
        security,
        params: platformParams,
        querystring: connectionQuery.extend({
          status: z.enum(['open', 'resolved', 'all']).default('open'),
          limit: limitParam,
          cursor: z.string().max(2000).optional(),
        }),
        response: { 200: z.object({ conflicts: z.array(conflictResponse), next_cursor: nextCursor }) },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { connection } = await locate(tenantId, request.params.integration_id, request.query.connection_id);
      const { status, limit, cursor } = request.query;
      const scopeName = `conflicts:${connection.connectionId}:${status}`;
      const after = cursor
        ? cursors.decode(scopeName, cursor, z.object({ t: z.iso.datetime(), id: z.uuid() }))
        : undefined;
      let query = ctx.db
        .selectFrom('sync_conflicts')
        .select(CONFLICT_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connection.connectionId);
      if (status !== 'all') query = query.where('status', '=', status);
      if (after) {
        const t = new Date(after.t);
        query = query.where((eb) =>
          eb.or([eb('created_at', '>', t), eb.and([eb('created_at', '=', t), eb('conflict_id', '>', after.id)])]),
        );
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('conflict_id')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        conflicts: page.map(conflictJson),
        next_cursor:
          rows.length > limit && last
            ? cursors.encode(scopeName, { t: last.created_at.toISOString(), id: last.conflict_id })
            : null,
      };
    },
  );

  app.post(
    '/integrations/:integration_id/conflicts/:conflict_id/resolve',
    {
      schema: {
        tags: ['conflicts'],
        summary: 'Resolve a conflict with the local, the remote or merged data (applied here and pushed)',
        security,
        params: platformParams.extend({ conflict_id: z.uuid() }),
        querystring: connectionQuery,
        body: z
          .object({
            resolution: z.enum(['local', 'remote', 'merge']),
            data: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
        response: { 200: z.object({ conflict: conflictResponse }) },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { connection } = await locate(tenantId, request.params.integration_id, request.query.connection_id);
      const { resolution, data } = request.body;
      if (resolution === 'merge' && data === undefined) {
        throw invalid([{ in: 'body', path: '/data', message: 'is required when resolution is merge' }]);
      }
      if (resolution !== 'merge' && data !== undefined) {
        throw invalid([{ in: 'body', path: '/data', message: 'is only taken when resolution is merge' }]);
      }
      const conflictId = request.params.conflict_id;
      const resolved = await resolveConflict(
        ctx.db,
        tenantId,
        connection.connectionId,
        conflictId,
        resolution === 'merge' ? { kind: 'merge', data: data ?? {} } : { kind: resolution },
        ctx.now(),
      );
      const row = await ctx.db
        .selectFrom('sync_conflicts')
        .select(CONFLICT_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connection.connectionId)
        .where('conflict_id', '=', conflictId)
        .executeTakeFirst();
      if (!row) throw notFound(`conflict ${conflictId}`);
      if (!resolved) throw new ProblemError(409, 'Conflict', `conflict ${conflictId} is already resolved`);
      await audit(ctx.db, {
        tenantId,
        actor: actorOf(request),
        action: 'conflict.resolved',
        targetType: 'conflict',
        targetId: conflictId,
        details: { resolution, entity_type: row.entity_type, external_id: row.external_id },
      });
      return { conflict: conflictJson(row) };
    },
  );
}

function conflictJson(row: {
  conflict_id: string;
  entity_type: string;
  external_id: string;
  status: 'open' | 'resolved';
  fields: Record<string, ConflictField>;
  created_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
}) {
  return {
    conflict_id: row.conflict_id,
    entity_type: row.entity_type,
    external_id: row.external_id,
    status: row.status,
    fields: row.fields,
    created_at: row.created_at.toISOString(),
    resolved_at: row.resolved_at?.toISOString() ?? null,
    resolution: row.resolution,
  };
}
