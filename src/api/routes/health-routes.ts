/** `/healthz` (the process answers) and `/readyz` (the database answers and every migration is applied). */
import type { FastifyInstance } from 'fastify';
import { databaseReachable, pendingMigrations } from '../../db/database.js';
import type { ServiceContext } from '../../service/service-context.js';

export function healthRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (!(await databaseReachable(ctx.db))) {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
    const pending = await pendingMigrations(ctx.db);
    if (pending.length > 0) return reply.status(503).send({ status: 'unavailable', pending_migrations: pending });
    return { status: 'ready' };
  });
}
