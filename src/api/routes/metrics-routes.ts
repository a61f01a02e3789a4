/**
 * `GET /metrics`: Prometheus text format (see `observability/metrics.ts` for every metric). Outside the tenant scope,
 * like `/healthz`; when `ENGARDE_METRICS_TOKEN` is set it needs `Authorization: Bearer <that token>` (compared in
 * constant time), and answers 401 problem+json otherwise.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  databaseGaugesFor,
  enableProcessMetrics,
  metricsContentType,
  metricsText,
} from '../../observability/metrics.js';
import type { ServiceContext } from '../../service/service-context.js';
import { sendProblem } from '../problem.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function metricsRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  enableProcessMetrics();
  const gauges = databaseGaugesFor(ctx.db, { now: ctx.now, logger: ctx.logger });
  const token = ctx.settings.metricsToken;
  // Digests of equal length, so the comparison takes the same time whatever the caller sent.
  const expected = token === undefined ? undefined : digest(token);

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const header = request.headers.authorization;
      const sent = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
      if (sent === undefined || !timingSafeEqual(digest(sent), expected)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          detail:
            sent === undefined
              ? 'send the metrics token as "Authorization: Bearer <ENGARDE_METRICS_TOKEN>"'
              : 'the metrics token is not valid',
        });
      }
    }
    const text = await metricsText(gauges);
    return reply.type(metricsContentType).header('cache-control', 'no-store').send(text);
  });
}
