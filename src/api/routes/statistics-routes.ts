/**
 * A connection's statistics over time: `GET /integrations/{integration_id}/statistics?connection_id=&from=&to=`
 * answers the 10-minute rollups the `rollup_statistics` task keeps in `connection_stats` (API calls, errors,
 * retries, rate-limit waits, p95 latency, records pulled and pushed, sync runs and failures), oldest first. The range
 * defaults to the last 24 hours and spans at most 31 days; a bucket is in it when it overlaps it. Another tenant's
 * connection answers 404.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BUCKET_MS, bucketStart } from '../../jobs/tasks/rollup_statistics.js';
import type { ServiceContext } from '../../service/service-context.js';
import { type FieldProblem, ProblemError } from '../problem.js';
import { connectionQuery, instant, platformParams } from '../route-schemas.js';
import { resolveConnection } from './connection-routes.js';

/** The range when `from` is not given: the day before `to`. */
export const DEFAULT_STATISTICS_RANGE_MS = 24 * 3_600_000;

/** The longest range one request may ask for. */
export const MAX_STATISTICS_RANGE_MS = 31 * 24 * 3_600_000;

const bucketResponse = z.object({
  bucket_start: instant,
  api_calls: z.number().int(),
  errors: z.number().int(),
  retries: z.number().int(),
  rate_limited: z.number().int(),
  /** Null when the bucket saw no request with a latency. */
  p95_latency_ms: z.number().int().nullable(),
  records_pulled: z.number().int(),
  records_pushed: z.number().int(),
  sync_runs: z.number().int(),
  sync_failures: z.number().int(),
});

/**
 * @example
 * const tenantRouteModules: TenantRouteModule[] = [connectionRoutes, statisticsRoutes];
 */
export function statisticsRoutes(scope: FastifyInstance, ctx: ServiceContext): void {
  scope.withTypeProvider<ZodTypeProvider>().get(
    '/integrations/:integration_id/statistics',
    {
      schema: {
        tags: ['connections'],
        summary: "A connection's 10-minute statistics, oldest first (default the last 24 hours, at most 31 days)",
        security: [{ tenantKey: [] }],
        params: platformParams,
        querystring: connectionQuery.extend({
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
        }),
        response: {
          200: z.object({
            bucket_seconds: z.literal(BUCKET_MS / 1000),
            from: instant,
            to: instant,
            buckets: z.array(bucketResponse),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { connection_id: connectionId, from: fromText, to: toText } = request.query;
      const to = toText ? new Date(toText) : ctx.now();
      const from = fromText ? new Date(fromText) : new Date(to.getTime() - DEFAULT_STATISTICS_RANGE_MS);
      const problems: FieldProblem[] = [];
      if (from.getTime() > to.getTime()) {
        problems.push(
          fromText
            ? { in: 'querystring', path: '/from', message: `is after to (${to.toISOString()})` }
            : { in: 'querystring', path: '/to', message: 'is before from' },
        );
      } else if (to.getTime() - from.getTime() > MAX_STATISTICS_RANGE_MS) {
        problems.push({
          in: 'querystring',
          path: fromText ? '/from' : '/to',
          message: `is more than 31 days ${fromText ? 'before to' : 'after from'}`,
        });
      }
      if (problems.length > 0) {
        throw new ProblemError(422, 'Invalid request', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
          errors: problems,
        });
      }
      const connection = await resolveConnection(ctx, tenantId, request.params.integration_id, connectionId);
      const rows = await ctx.db
        .selectFrom('connection_stats')
        .select([
          'bucket_start',
          'api_calls',
          'errors',
          'retries',
          'rate_limited',
          'p95_latency_ms',
          'records_pulled',
          'records_pushed',
          'sync_runs',
          'sync_failures',
        ])
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connection.connectionId)
        // Every bucket that overlaps [from, to): buckets start at multiples of their width.
        .where('bucket_start', '>=', bucketStart(from))
        .where('bucket_start', '<', to)
        .orderBy('bucket_start')
        .execute();
      return {
        bucket_seconds: BUCKET_MS / 1000,
        from: from.toISOString(),
        to: to.toISOString(),
        buckets: rows.map((r) => ({
          bucket_start: r.bucket_start.toISOString(),
          api_calls: Number(r.api_calls),
          errors: Number(r.errors),
          retries: Number(r.retries),
          rate_limited: Number(r.rate_limited),
          p95_latency_ms: r.p95_latency_ms === null ? null : Number(r.p95_latency_ms),
          records_pulled: Number(r.records_pulled),
          records_pushed: Number(r.records_pushed),
          sync_runs: Number(r.sync_runs),
          sync_failures: Number(r.sync_failures),
        })),
      };
    },
  );
}
