/**
 * `GET /audit-log` (DESIGN.md §4): the tenant's audit trail, newest first — tenant, key, connection, credential,
 * OAuth, sync, webhook and alert actions as `audit()` wrote them (ids and names, never a secret). Filters: `action`,
 * `target_type`, `since`; an opaque keyset cursor on (`at`, `audit_id`).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ServiceContext } from '../../service/service-context.js';
import { CursorCodec } from '../cursor-codec.js';
import { limitParam } from '../route-schemas.js';

/** A keyset position: `at` with microseconds (what a JavaScript date would lose), and the row's id. */
const auditPosition = z.object({
  at: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
  id: z.string().regex(/^\d{1,19}$/),
});
const filterText = z.string().trim().min(1).max(200);

export function auditRoutes(scope: FastifyInstance, ctx: ServiceContext): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const cursors = new CursorCodec(ctx.settings.keyRing);

  app.get(
    '/audit-log',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first',
        security: [{ tenantKey: [] }],
        querystring: z.object({
          action: filterText.optional(),
          target_type: filterText.optional(),
          since: z.iso.datetime({ offset: true }).optional(),
          limit: limitParam,
          cursor: z.string().max(2000).optional(),
        }),
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { action, target_type, since, limit, cursor } = request.query;
      const scopeName = `audit:${tenantId}:${action ?? ''}:${target_type ?? ''}:${since ?? ''}`;
      const before = cursor ? cursors.decode(scopeName, cursor, auditPosition) : undefined;
      let query = ctx.db
        .selectFrom('audit_log')
        .select(['audit_id', 'actor', 'action', 'target_type', 'target_id', 'details'])
        .select(sql<string>`to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'))
        .where('tenant_id', '=', tenantId);
      if (action) query = query.where('action', '=', action);
      if (target_type) query = query.where('target_type', '=', target_type);
      if (since) query = query.where('at', '>=', new Date(since));
      if (before) {
        query = query.where(sql<boolean>`(at, audit_id) < (${before.at}::timestamptz, ${before.id}::bigint)`);
      }
      const rows = await query
        .orderBy('at', 'desc')
        .orderBy('audit_id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        entries: page.map((r) => ({
          audit_id: String(r.audit_id),
          at: r.position,
          actor: r.actor,
          action: r.action,
          target_type: r.target_type,
          target_id: r.target_id,
          details: r.details,
        })),
        next_cursor:
          rows.length > limit && last
            ? cursors.encode(scopeName, { at: last.position, id: String(last.audit_id) })
            : null,
      };
    },
  );
}
