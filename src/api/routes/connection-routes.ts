/**
 * A tenant's connections (DESIGN.md §4): list, connect with credentials, disconnect, health, and live data read
 * through the adapter. `{integration_id}` is a platform id; `?connection_id=` picks one of several connections to
 * it and may be left out when there is exactly one. Another tenant's connection, and a platform the tenant has not
 * connected, answer 404.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audit } from '../../db/repositories/audit-repository.js';
import {
  type ConnectionRow,
  getConnection,
  insertConnection,
  listConnections,
  loadCredentials,
  markDisconnected,
  recordHealth,
} from '../../db/repositories/connection-repository.js';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import {
  AdapterError,
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from '../../runtime/errors.js';
import { cursorInstant } from '../../runtime/incremental-filter.js';
import type { PageRequest } from '../../runtime/pagination/paginator.js';
import { AdapterPool } from '../../service/adapter-pool.js';
import { adapterOptions } from '../../service/connection-adapters.js';
import { revokeConnectionTokens } from '../../service/oauth/token-revocation.js';
import type { ServiceContext } from '../../service/service-context.js';
import { describeError } from '../../sync/sync-errors.js';
import { listWebhooks } from '../../webhooks/webhook-store.js';
import { unsubscribeAtPlatform } from '../../webhooks/webhook-subscriber.js';
import { checkConnectionInput, pointerForField } from '../connection-input.js';
import { connectionJson } from '../connection-json.js';
import { CursorCodec } from '../cursor-codec.js';
import type { IntegrationCatalog } from '../integration-catalog.js';
import { notFound, ProblemError } from '../problem.js';
import {
  connectionQuery,
  connectionResponse,
  instant,
  limitParam,
  nextCursor,
  platformParams,
} from '../route-schemas.js';
import { storableLabel } from '../storable-text.js';
import { actorOf } from '../tenant-auth.js';

/**
 * The connection a platform route is about: the one named by `connection_id`, or the tenant's only connection to
 * the platform. 404 when there is none (or it is another tenant's); 409 listing them when there are several.
 */
export async function resolveConnection(
  ctx: ServiceContext,
  tenantId: string,
  platform: string,
  connectionId: string | undefined,
  options: { withCredentials?: boolean } = {},
): Promise<ConnectionRow> {
  if (connectionId !== undefined) {
    const row = await getConnection(ctx.db, tenantId, connectionId, options);
    if (!row || row.platform !== platform || row.status === 'disconnected') {
      throw notFound(`connection ${connectionId} to ${platform}`);
    }
    return row;
  }
  const rows = await listConnections(ctx.db, tenantId, { limit: 51, platform, ...options });
  if (rows.length === 0) throw notFound(`a connection to ${platform}`);
  if (rows.length > 1) {
    throw new ProblemError(
      409,
      'Conflict',
      `the tenant has ${rows.length > 50 ? 'more than 50' : rows.length} connections to ${platform}; name one with ?connection_id=`,
      { connections: rows.slice(0, 50).map((r) => ({ connection_id: r.connectionId, label: r.label })) },
    );
  }
  return rows[0] as ConnectionRow;
}

/** A platform's failure on a live call, as the problem the API answers (never a 5xx for the caller's input). */
export function platformProblem(error: unknown, platform: string): ProblemError {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return new ProblemError(409, 'Connection needs attention', `${platform} refused the stored credentials: ${detail}`);
  }
  if (error instanceof NotFoundError) return new ProblemError(404, 'Not found', detail);
  if (error instanceof RateLimitError) {
    return new ProblemError(503, 'Platform rate limit', detail, {
      retry_after_ms: error.retryAfterMs ?? null,
    });
  }
  if (error instanceof ConfigurationError) return new ProblemError(409, 'Connection needs attention', detail);
  if (error instanceof AdapterError) return new ProblemError(502, 'Platform error', detail);
  return new ProblemError(502, 'Platform error', `${platform} could not be read`);
}

export function connectionRoutes(scope: FastifyInstance, ctx: ServiceContext, catalog: IntegrationCatalog): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const cursors = new CursorCodec(ctx.settings.keyRing);
  // Adapters live between requests (their sockets and budgets with them); closed when the server stops.
  const adapters = new AdapterPool(ctx);
  scope.addHook('onClose', () => adapters.closeAll());
  const security = [{ tenantKey: [] }];

  const platformMeta = async (id: string): Promise<PlatformMeta> => {
    const meta = catalog.has(id) ? await catalog.meta(id) : undefined;
    if (!meta) throw notFound(`integration "${id}"`);
    return meta;
  };

  app.get(
    '/integrations/connections',
    {
      schema: {
        tags: ['connections'],
        summary: "The tenant's connections",
        security,
        querystring: z.object({ limit: limitParam, cursor: z.string().max(2000).optional() }),
        response: { 200: z.object({ connections: z.array(connectionResponse), next_cursor: nextCursor }) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = cursor
        ? cursors.decode('connections', cursor, z.object({ t: z.iso.datetime(), id: z.uuid() }))
        : undefined;
      const rows = await listConnections(ctx.db, request.tenant.tenantId, {
        limit: limit + 1,
        after: after ? { createdAt: new Date(after.t), connectionId: after.id } : undefined,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        connections: page.map(connectionJson),
        next_cursor:
          rows.length > limit && last
            ? cursors.encode('connections', { t: last.createdAt.toISOString(), id: last.connectionId })
            : null,
      };
    },
  );

  app.post(
    '/integrations/:integration_id/connect',
    {
      schema: {
        tags: ['connections'],
        summary: 'Connect with credentials (field names as the registry entry publishes them)',
        security,
        params: platformParams,
        body: z
          .object({
            credentials: z.record(z.string(), z.unknown()),
            connection_config: z.record(z.string(), z.unknown()).default({}),
            label: storableLabel(200).optional(),
          })
          .strict(),
        response: { 201: z.object({ connection: connectionResponse }) },
      },
    },
    async (request, reply) => {
      const platform = request.params.integration_id;
      const meta = await platformMeta(platform);
      const { credentials, connection_config: connectionConfig, label } = request.body;
      const problems = checkConnectionInput(meta, credentials, connectionConfig);
      if (problems.length > 0) {
        throw new ProblemError(422, 'Invalid connection', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
          errors: problems,
        });
      }
      const { tenantId } = request.tenant;
      let adapter: Awaited<ReturnType<ServiceContext['registry']['create']>>;
      try {
        adapter = await ctx.registry.create(
          platform,
          adapterOptions(ctx, platform, { credentials, connectionConfig, tenantId }),
        );
      } catch (error) {
        if (error instanceof ConfigurationError) {
          throw new ProblemError(422, 'Invalid connection', error.message, {
            errors: [{ in: 'body', path: pointerForField(error.field), message: error.message }],
          });
        }
        throw error;
      }
      let probe: Awaited<ReturnType<typeof adapter.probe>>;
      try {
        probe = await adapter.probe();
      } finally {
        await adapter.close();
      }
      if (!probe.ok) {
        const error = probe.error;
        const field = error instanceof ConfigurationError ? pointerForField(error.field) : undefined;
        const status = error instanceof ConnectionError || error instanceof RateLimitError ? 502 : 422;
        throw new ProblemError(
          status,
          status === 422 ? 'Credentials refused' : 'Platform unreachable',
          `${meta.name} did not accept the connection: ${error.message}`,
          field ? { errors: [{ in: 'body', path: field, message: error.message }] } : {},
        );
      }
      // The connection, its first health check and its audit row are written together, or not at all.
      const row = await ctx.db.transaction().execute(async (trx) => {
        const inserted = await insertConnection(trx, ctx.settings.keyRing, {
          tenantId,
          platform,
          label: label ?? null,
          credentials,
          connectionConfig,
        });
        await recordHealth(trx, tenantId, inserted.connectionId, { healthy: true, at: ctx.now() });
        await audit(trx, {
          tenantId,
          actor: actorOf(request),
          action: 'connection.created',
          targetType: 'connection',
          targetId: inserted.connectionId,
          details: { platform, label: label ?? null, via: 'credentials' },
        });
        return inserted;
      });
      return reply.status(201).send({ connection: { ...connectionJson(row), health: 'healthy' } });
    },
  );

  app.post(
    '/integrations/:integration_id/disconnect',
    {
      schema: {
        tags: ['connections'],
        summary: 'Disconnect: revoke tokens at the platform where it can, erase the credentials',
        security,
        params: platformParams,
        querystring: connectionQuery,
        response: {
          200: z.object({
            connection: connectionResponse,
            revoked: z.boolean(),
            webhook_subscriptions_removed: z.number().int(),
            /** Why the tokens were not revoked (no revocation endpoint, no OAuth app, the platform refused). */
            revocation_detail: z.string().optional(),
          }),
        },
      },
    },
    async (request) => {
      const platform = request.params.integration_id;
      await platformMeta(platform);
      const { tenantId } = request.tenant;
      const row = await resolveConnection(ctx, tenantId, platform, request.query.connection_id);
      let credentials: Record<string, unknown> | undefined;
      try {
        credentials = await loadCredentials(ctx.db, ctx.settings.keyRing, tenantId, row.connectionId);
      } catch {
        credentials = undefined; // unreadable: nothing to revoke, still erased below
      }
      // Subscriptions made through the platform's API are removed while the credentials still work.
      const unsubscribed = credentials
        ? await unsubscribeAtPlatform(ctx, row, await listWebhooks(ctx.db, tenantId, row.connectionId)).catch(
            (error: unknown) => ({ removed: 0, failed: [describeError(error)] }),
          )
        : { removed: 0, failed: [] };
      const revocation = await revokeConnectionTokens(ctx, row, credentials);
      await markDisconnected(ctx.db, tenantId, row.connectionId);
      adapters.drop(tenantId, row.connectionId);
      await audit(ctx.db, {
        tenantId,
        actor: actorOf(request),
        action: 'connection.disconnected',
        targetType: 'connection',
        targetId: row.connectionId,
        details: {
          platform,
          revoked: revocation.revoked,
          ...(revocation.detail ? { detail: revocation.detail } : {}),
          webhook_subscriptions_removed: unsubscribed.removed,
          ...(unsubscribed.failed.length ? { webhook_unsubscribe_failures: unsubscribed.failed } : {}),
        },
      });
      return {
        connection: { ...connectionJson(row), status: 'disconnected' as const },
        revoked: revocation.revoked,
        webhook_subscriptions_removed: unsubscribed.removed,
        ...(revocation.detail ? { revocation_detail: revocation.detail } : {}),
      };
    },
  );

  app.get(
    '/integrations/:integration_id/health',
    {
      schema: {
        tags: ['connections'],
        summary: "A live check of the connection's credentials, with its latency and rate-limit state",
        security,
        params: platformParams,
        querystring: connectionQuery,
        response: {
          200: z.object({
            healthy: z.boolean(),
            checked_at: instant,
            latency_ms: z.number(),
            /** Why the check failed; absent when it passed. */
            error: z.string().optional(),
            status: connectionResponse.shape.status,
            last_sync_at: instant.nullable(),
            rate_limit: z.object({
              model: z.string(),
              /** What the platform's rate-limit headers last said; null before any were seen. */
              observed: z
                .object({
                  limit: z.number().int().nullable(),
                  remaining: z.number().int().nullable(),
                  reset_at: instant.nullable(),
                  paused_until: instant.nullable(),
                  observed_at: instant,
                })
                .nullable(),
            }),
          }),
        },
      },
    },
    async (request) => {
      const platform = request.params.integration_id;
      const meta = await platformMeta(platform);
      const { tenantId } = request.tenant;
      const row = await resolveConnection(ctx, tenantId, platform, request.query.connection_id, {
        withCredentials: true,
      });
      const adapter = await adapters.get(row);
      const probe = await adapter.probe();
      const checkedAt = ctx.now();
      await recordHealth(ctx.db, tenantId, row.connectionId, {
        healthy: probe.ok,
        error: probe.ok ? undefined : probe.error.message,
        at: checkedAt,
      });
      const observed = await ctx.db
        .selectFrom('platform_rate_limits')
        .select(['limit_per_window', 'remaining', 'reset_at', 'paused_until', 'observed_at'])
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', row.connectionId)
        .executeTakeFirst();
      return {
        healthy: probe.ok,
        checked_at: checkedAt.toISOString(),
        latency_ms: probe.latencyMs,
        ...(probe.ok ? {} : { error: probe.error.message }),
        status: row.status,
        last_sync_at: row.lastSyncAt?.toISOString() ?? null,
        rate_limit: {
          model: meta.rateLimit.model,
          observed: observed
            ? {
                limit: observed.limit_per_window,
                remaining: observed.remaining,
                reset_at: observed.reset_at?.toISOString() ?? null,
                paused_until: observed.paused_until?.toISOString() ?? null,
                observed_at: observed.observed_at.toISOString(),
              }
            : null,
        },
      };
    },
  );

  const pageRequest = z.object({
    method: z.enum(['GET', 'POST']),
    url: z.string().max(4000),
    query: z.record(z.string(), z.string()),
    body: z.record(z.string(), z.unknown()).optional(),
  });
  const dataCursor = z.object({
    e: z.string(),
    c: z.uuid(),
    r: pageRequest,
    skip: z.number().int().min(0),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
  });

  app.get(
    '/integrations/:integration_id/data/:entity_type',
    {
      schema: {
        tags: ['data'],
        summary: 'Records read live from the platform, through its adapter',
        security,
        params: platformParams.extend({ entity_type: z.string().min(1).max(100) }),
        querystring: connectionQuery.extend({
          limit: limitParam,
          date_from: z.iso.datetime({ offset: true }).optional(),
          date_to: z.iso.datetime({ offset: true }).optional(),
          cursor: z.string().max(16_000).optional(),
        }),
      },
    },
    async (request) => {
      const { integration_id: platform, entity_type: entity } = request.params;
      const meta = await platformMeta(platform);
      if (!Object.hasOwn(meta.entities, entity)) throw notFound(`entity "${entity}" of ${platform}`);
      const { tenantId } = request.tenant;
      const row = await resolveConnection(ctx, tenantId, platform, request.query.connection_id, {
        withCredentials: true,
      });
      const { limit } = request.query;
      const position = request.query.cursor ? cursors.decode('data', request.query.cursor, dataCursor) : undefined;
      if (position && (position.e !== entity || position.c !== row.connectionId)) {
        throw new ProblemError(400, 'Invalid request', 'cursor belongs to another listing', {
          errors: [{ in: 'querystring', path: '/cursor', message: 'belongs to another listing' }],
        });
      }
      const fromText = position ? position.from : request.query.date_from;
      const toText = position ? position.to : request.query.date_to;
      const from = fromText ? new Date(fromText) : undefined;
      const to = toText ? new Date(toText) : undefined;
      const config = meta.entities[entity] as PlatformMeta['entities'][string];
      const cursorField = config.incremental.kind === 'none' ? undefined : config.incremental.cursorField;
      if (!cursorField && (from || to)) {
        // Filtering silently on nothing would hand back records outside the range as if they were in it.
        const param = from ? 'date_from' : 'date_to';
        throw new ProblemError(400, 'Invalid request', `${platform} ${entity} has no modification time to filter on`, {
          errors: [
            { in: 'querystring', path: `/${param}`, message: `${entity} of ${meta.name} cannot be filtered by date` },
          ],
        });
      }

      const adapter = await adapters.get(row);
      const records: unknown[] = [];
      let next: { r: PageRequest; skip: number } | undefined;
      try {
        let resumeFrom: PageRequest | undefined = position?.r as PageRequest | undefined;
        let skip = position?.skip ?? 0;
        for (;;) {
          const page = await adapter.page(entity, {
            ...(from ? { since: from } : {}),
            pageSize: limit,
            ...(resumeFrom ? { from: resumeFrom } : {}),
          });
          const pageRecords = page.records as unknown[];
          let index = skip;
          for (; index < pageRecords.length && records.length < limit; index++) {
            const record = pageRecords[index];
            if (cursorField && (from || to)) {
              const at = cursorInstant(record, cursorField);
              if (at !== undefined && ((from && at < from.getTime()) || (to && at >= to.getTime()))) continue;
            }
            records.push(record);
          }
          if (records.length >= limit) {
            if (index < pageRecords.length) next = { r: page.request ?? (resumeFrom as PageRequest), skip: index };
            else if (page.next) next = { r: page.next, skip: 0 };
            break;
          }
          if (!page.next) break;
          resumeFrom = page.next;
          skip = 0;
        }
      } catch (error) {
        throw platformProblem(error, platform);
      }
      return {
        [entity]: records,
        next_cursor: next
          ? cursors.encode('data', {
              e: entity,
              c: row.connectionId,
              r: next.r,
              skip: next.skip,
              ...(fromText ? { from: new Date(fromText).toISOString() } : {}),
              ...(toText ? { to: new Date(toText).toISOString() } : {}),
            })
          : null,
      };
    },
  );
}
