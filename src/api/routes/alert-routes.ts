/**
 * Alerts (DESIGN.md §4): `GET /alerts`, `POST /alerts/{alert_id}/ack`, and the tenant's delivery destination,
 * `PUT|GET|DELETE /alerts/destination` (a URL; `PUT` answers the Standard Webhooks signing secret, once). Another
 * tenant's alert answers 404. Acknowledgements and destination changes write the audit log (the destination's
 * origin only: a path or query may hold a token).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  checkDestinationUrl,
  type DestinationInfo,
  deleteDestination,
  getDestination,
  setDestination,
  urlOrigin,
} from '../../alerts/alert-destinations.js';
import { ALERT_RULE_NAMES } from '../../alerts/alert-rules.js';
import { acknowledgeAlert, alertJson, listAlerts } from '../../alerts/alert-store.js';
import { audit } from '../../db/repositories/audit-repository.js';
import type { ServiceContext } from '../../service/service-context.js';
import { CursorCodec } from '../cursor-codec.js';
import { notFound, ProblemError } from '../problem.js';
import { alertResponse, limitParam, nextCursor } from '../route-schemas.js';
import { isStorableText } from '../storable-text.js';
import { actorOf } from '../tenant-auth.js';

/** A keyset position: `first_seen_at` with microseconds, and the alert id. */
const alertPosition = z.object({ at: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), id: z.uuid() });

function destinationJson(d: DestinationInfo) {
  return { url: d.url, created_at: d.created_at.toISOString(), updated_at: d.updated_at.toISOString() };
}

export function alertRoutes(scope: FastifyInstance, ctx: ServiceContext): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const cursors = new CursorCodec(ctx.settings.keyRing);
  const security = [{ tenantKey: [] }];

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first',
        description: `Rules: ${ALERT_RULE_NAMES.join(', ')}. At most one alert per rule and connection is open; it resolves by itself when its condition clears.`,
        security,
        querystring: z.object({
          status: z.enum(['open', 'resolved', 'all']).default('all'),
          rule: z.enum(ALERT_RULE_NAMES).optional(),
          connection_id: z.uuid().optional(),
          limit: limitParam,
          cursor: z.string().max(2000).optional(),
        }),
        response: { 200: z.object({ alerts: z.array(alertResponse), next_cursor: nextCursor }) },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const { status, rule, connection_id, limit, cursor } = request.query;
      const scopeName = `alerts:${tenantId}:${status}:${rule ?? ''}:${connection_id ?? ''}`;
      const before = cursor ? cursors.decode(scopeName, cursor, alertPosition) : undefined;
      const rows = await listAlerts(ctx.db, tenantId, {
        status: status === 'all' ? undefined : status,
        rule,
        connectionId: connection_id,
        limit: limit + 1,
        before,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        alerts: page.map(alertJson),
        next_cursor:
          rows.length > limit && last ? cursors.encode(scopeName, { at: last.position, id: last.alert_id }) : null,
      };
    },
  );

  app.post(
    '/alerts/:alert_id/ack',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an alert (it stays open until its condition clears)',
        security,
        params: z.object({ alert_id: z.string().min(1).max(100) }),
        response: { 200: z.object({ alert: alertResponse }) },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const alertId = request.params.alert_id;
      if (!z.uuid().safeParse(alertId).success) throw notFound(`alert ${alertId}`);
      const result = await ctx.db.transaction().execute(async (trx) => {
        const outcome = await acknowledgeAlert(trx, tenantId, alertId, actorOf(request), ctx.now());
        if (outcome?.acknowledged) {
          await audit(trx, {
            tenantId,
            actor: actorOf(request),
            action: 'alert.acknowledged',
            targetType: 'alert',
            targetId: alertId,
            details: { rule: outcome.alert.rule, connection_id: outcome.alert.connection_id },
          });
        }
        return outcome;
      });
      if (!result) throw notFound(`alert ${alertId}`);
      return { alert: alertJson(result.alert) };
    },
  );

  app.put(
    '/alerts/destination',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Set where alerts are delivered; answers a new signing secret, shown only here',
        description:
          'Alerts are POSTed to this URL as they open and resolve, signed per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature headers) with the whsec_ secret this answers. Every PUT issues a new secret.',
        security,
        body: z.object({ url: z.string().min(1).max(4096).refine(isStorableText, 'must be text') }).strict(),
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const checked = checkDestinationUrl(request.body.url.trim(), ctx.settings);
      if (!checked.ok) {
        throw new ProblemError(422, 'Invalid request', `url ${checked.message}`, {
          errors: [{ in: 'body', path: '/url', message: checked.message }],
        });
      }
      const result = await ctx.db.transaction().execute(async (trx) => {
        const set = await setDestination(trx, ctx.settings.keyRing, tenantId, checked.url, ctx.now());
        await audit(trx, {
          tenantId,
          actor: actorOf(request),
          action: set.created ? 'alert_destination.created' : 'alert_destination.replaced',
          targetType: 'alert_destination',
          targetId: tenantId,
          details: { origin: urlOrigin(checked.url), secret_issued: true },
        });
        return set;
      });
      return reply
        .status(result.created ? 201 : 200)
        .send({ destination: { ...destinationJson(result.destination), secret: result.secret } });
    },
  );

  app.get(
    '/alerts/destination',
    { schema: { tags: ['alerts'], summary: 'Where alerts are delivered (never the secret)', security } },
    async (request) => {
      const destination = await getDestination(ctx.db, request.tenant.tenantId);
      if (!destination) throw notFound('an alert destination');
      return { destination: destinationJson(destination) };
    },
  );

  app.delete(
    '/alerts/destination',
    { schema: { tags: ['alerts'], summary: 'Stop delivering alerts (pending deliveries are dropped)', security } },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const removed = await ctx.db.transaction().execute(async (trx) => {
        const gone = await deleteDestination(trx, tenantId);
        if (gone) {
          await audit(trx, {
            tenantId,
            actor: actorOf(request),
            action: 'alert_destination.deleted',
            targetType: 'alert_destination',
            targetId: tenantId,
            details: { origin: urlOrigin(gone.url) },
          });
        }
        return gone;
      });
      if (!removed) throw notFound('an alert destination');
      return reply.status(204).send();
    },
  );
}
