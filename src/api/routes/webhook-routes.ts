/**
 * Webhooks (DESIGN.md §4): a tenant registers a connection's webhook endpoint and lists its registrations and events;
 * platforms post deliveries to `POST /webhooks/{platform}/{event_type}?endpoint=<webhook id>`.
 *
 * Inbound deliveries are hostile until checked: the raw bytes are verified (the platform's scheme, every secret the
 * registration holds, inside the scheme's replay window) before anything parses them; a bad or missing signature is
 * answered 401 and stored nowhere as an event; a body over 1 MiB is 413; an unknown endpoint 404. A verified delivery
 * is stored once per delivery id (a unique constraint) with its processing job, in one transaction, and only then
 * answered 200 — a repeated delivery is answered 200 too, and not stored again.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audit } from '../../db/repositories/audit-repository.js';
import { recordWebhookDelivery } from '../../observability/metrics.js';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { getPath } from '../../runtime/dotted-path.js';
import { ApiError } from '../../runtime/errors.js';
import { verifyWebhook } from '../../runtime/webhooks/verify-webhook.js';
import type { PlatformWebhookConfig } from '../../runtime/webhooks/webhook-types.js';
import type { ServiceContext } from '../../service/service-context.js';
import { senderAllowed } from '../../webhooks/sender-addresses.js';
import {
  deliveryIdOf,
  EventWriter,
  findWebhook,
  InboundWebhookCache,
  insertWebhook,
  listWebhooks,
  rotateWebhookSecret,
  type WebhookRegistration,
} from '../../webhooks/webhook-store.js';
import { apiRegistrationOf, subscribeAtPlatform, subscriptionBlocker } from '../../webhooks/webhook-subscriber.js';
import { CursorCodec } from '../cursor-codec.js';
import type { IntegrationCatalog } from '../integration-catalog.js';
import { notFound, ProblemError } from '../problem.js';
import { connectionQuery, limitParam, platformParams } from '../route-schemas.js';
import { actorOf } from '../tenant-auth.js';
import { platformProblem, resolveConnection } from './connection-routes.js';

const inboundCaches = new WeakMap<ServiceContext, InboundWebhookCache>();
const eventWriters = new WeakMap<ServiceContext, EventWriter>();

/** The service's group-commit writer of inbound events (see `EventWriter`). */
function eventWriter(ctx: ServiceContext): EventWriter {
  let writer = eventWriters.get(ctx);
  if (!writer) {
    writer = new EventWriter(ctx.db);
    eventWriters.set(ctx, writer);
  }
  return writer;
}

/** The inbound registration cache of a service (one per context, shared by the inbound and rotation routes). */
function inboundCache(ctx: ServiceContext): InboundWebhookCache {
  let cache = inboundCaches.get(ctx);
  if (!cache) {
    cache = new InboundWebhookCache(ctx.db, ctx.settings.keyRing);
    inboundCaches.set(ctx, cache);
  }
  return cache;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The largest delivery accepted (platforms send far less: GitHub caps payloads at 25 MB, most send a few KB). */
export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

const eventName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:/*-]+$/, 'letters, digits and _ . : / * - only');

/** An event's processing status (the column's check constraint). */
const EVENT_STATUSES = ['pending', 'processing', 'processed', 'failed'] as const;

/** A registration as the routes answer it (`webhookJson`); never a secret. */
const webhookResponse = z.object({
  webhook_id: z.string(),
  connection_id: z.string(),
  endpoint_url: z.string(),
  events: z.array(z.string()),
  registered_at_platform: z.boolean(),
  platform_webhook_ids: z.array(z.string()),
  ip_allowlist: z.boolean(),
  registration_error: z.string().optional(),
  reconciled_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  instructions: z.string().optional(),
});

function webhookJson(w: WebhookRegistration, instructions?: string) {
  return {
    webhook_id: w.webhookId,
    connection_id: w.connectionId,
    endpoint_url: w.endpointUrl,
    events: w.events,
    registered_at_platform: w.registeredAtPlatform,
    platform_webhook_ids: w.platformWebhookIds,
    ip_allowlist: w.ipAllowlist,
    ...(w.registrationError ? { registration_error: w.registrationError } : {}),
    reconciled_at: w.reconciledAt?.toISOString() ?? null,
    created_at: w.createdAt.toISOString(),
    ...(instructions ? { instructions } : {}),
  };
}

/** What the user does in the platform for a registration we cannot make through its API. */
function manualInstructions(meta: PlatformMeta, endpoint: string, events: string[]): string {
  const registration = meta.webhooks.scheme === 'none' ? undefined : meta.webhooks.registration;
  const where =
    registration?.kind === 'dashboard'
      ? registration.instructions
      : `create the subscription in ${meta.name} (${meta.webhooks.scheme !== 'none' ? meta.webhooks.docsUrl : ''})`;
  return `${where} Endpoint URL: ${endpoint} — events: ${events.join(', ')}. Keep the signing secret ${meta.name} shows you; it is the one sent here as "secret".`;
}

export function webhookRoutes(scope: FastifyInstance, ctx: ServiceContext, catalog: IntegrationCatalog): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const cursors = new CursorCodec(ctx.settings.keyRing);
  const security = [{ tenantKey: [] }];

  app.post(
    '/integrations/:integration_id/webhooks/register',
    {
      schema: {
        tags: ['webhooks'],
        summary:
          "Register a connection's webhook endpoint: through the platform's API where it has one, or with the secret its dashboard shows",
        description:
          "With `secret` (copied from the platform's dashboard) nothing is sent to the platform. Without it, EnGarde subscribes through the platform's API and keeps the secret it returns, the one EnGarde chose and sent, or the OAuth app's client secret. `endpoint_url` is the public origin (and path prefix) under which this service is reachable, when it is not ENGARDE_PUBLIC_URL. `ip_allowlist` accepts deliveries only from the addresses the vendor publishes for its webhooks.",
        security,
        params: platformParams,
        querystring: connectionQuery,
        body: z
          .object({
            events: z.array(eventName).min(1).max(100),
            secret: z.string().min(8).max(1000).optional(),
            endpoint_url: z
              .url({ protocol: /^https?$/ })
              .max(500)
              .refine((u) => !/[?#]/.test(u), 'must not have a query or fragment')
              .optional(),
            ip_allowlist: z.boolean().optional(),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const platform = request.params.integration_id;
      const connection = await resolveConnection(ctx, tenantId, platform, request.query.connection_id);
      const meta = (await catalog.meta(platform)) as PlatformMeta;
      if (meta.webhooks.scheme === 'none') {
        throw new ProblemError(409, 'Conflict', `${meta.name} does not send signed webhooks: ${meta.webhooks.reason}`);
      }
      const { events, secret, ip_allowlist: ipAllowlist } = request.body;
      if (ipAllowlist && !meta.webhooks.sourceIps) {
        throw new ProblemError(422, 'Invalid request', `${meta.name} publishes no addresses its webhooks come from`, {
          errors: [{ in: 'body', path: '/ip_allowlist', message: `${meta.name} publishes no sender addresses` }],
        });
      }
      const registration = apiRegistrationOf(meta);
      if (secret === undefined) {
        const blocker = subscriptionBlocker(ctx, meta);
        if (blocker) {
          throw new ProblemError(
            422,
            'Invalid request',
            `${blocker}: ${manualInstructions(meta, `${ctx.settings.publicUrl}/webhooks/${platform}/…`, events)}`,
            {
              errors: [{ in: 'body', path: '/secret', message: 'is required' }],
            },
          );
        }
      }
      const throughApi = secret === undefined && registration !== undefined;
      const publicUrl = request.body.endpoint_url ?? ctx.settings.publicUrl;
      const created = await insertWebhook(ctx.db, ctx.settings.keyRing, {
        tenantId,
        connectionId: connection.connectionId,
        platform,
        events,
        publicUrl,
        secret,
        ipAllowlist,
        throughApi,
      });
      let instructions: string | undefined;
      if (throughApi) {
        try {
          const made = await subscribeAtPlatform(ctx, connection, created);
          if (!made.secretKnown && registration.secret.from === 'user') {
            instructions = `${registration.secret.instructions} Then send it with PUT /integrations/${platform}/webhooks/${created.webhookId}/secret; until then deliveries are refused (401).`;
          }
        } catch (error) {
          // Whatever the platform made before it refused was removed again (subscribeWebhook): the registration goes too.
          await ctx.db
            .deleteFrom('platform_webhooks')
            .where('tenant_id', '=', tenantId)
            .where('webhook_id', '=', created.webhookId)
            .execute();
          if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
            // The platform refused what was asked (an event type it does not know): the caller's input.
            throw new ProblemError(422, 'Invalid request', `${meta.name} refused the subscription: ${error.message}`, {
              errors: [{ in: 'body', path: '/events', message: `refused by ${meta.name}` }],
            });
          }
          throw platformProblem(error, meta.name);
        }
      } else {
        instructions = manualInstructions(meta, created.endpointUrl, events);
      }
      const webhook = await findWebhook(ctx.db, tenantId, created.webhookId);
      await audit(ctx.db, {
        tenantId,
        actor: actorOf(request),
        action: 'webhook.registered',
        targetType: 'webhook',
        targetId: created.webhookId,
        details: {
          platform,
          connection_id: connection.connectionId,
          events,
          registered_at_platform: throughApi,
          ...(throughApi ? { platform_webhook_ids: webhook?.platformWebhookIds ?? [] } : {}),
          ip_allowlist: ipAllowlist ?? false,
        },
      });
      return reply.status(201).send({ webhook: webhookJson(webhook ?? created, instructions) });
    },
  );

  app.put(
    '/integrations/:integration_id/webhooks/:webhook_id/secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Rotate the signing secret: the new one signs from now on, the previous one keeps verifying',
        security,
        params: platformParams.extend({ webhook_id: z.uuid() }),
        querystring: connectionQuery,
        body: z.object({ secret: z.string().min(8).max(1000) }).strict(),
      },
    },
    async (request, reply) => {
      const { tenantId } = request.tenant;
      const { integration_id: platform, webhook_id: webhookId } = request.params;
      const connection = await resolveConnection(ctx, tenantId, platform, request.query.connection_id);
      const rotated = await ctx.db.transaction().execute(async (trx) => {
        const done = await rotateWebhookSecret(trx, ctx.settings.keyRing, {
          tenantId,
          connectionId: connection.connectionId,
          webhookId,
          secret: request.body.secret,
        });
        if (done) {
          await audit(trx, {
            tenantId,
            actor: actorOf(request),
            action: 'webhook.secret_rotated',
            targetType: 'webhook',
            targetId: webhookId,
            details: { platform, connection_id: connection.connectionId },
          });
        }
        return done;
      });
      if (!rotated) throw notFound(`webhook ${webhookId}`);
      inboundCache(ctx).forget(webhookId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/integrations/:integration_id/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "A connection's webhook registrations (never their secrets)",
        security,
        params: platformParams,
        querystring: connectionQuery,
        response: {
          200: z.object({ webhooks: z.array(webhookResponse) }),
        },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const connection = await resolveConnection(
        ctx,
        tenantId,
        request.params.integration_id,
        request.query.connection_id,
      );
      return { webhooks: (await listWebhooks(ctx.db, tenantId, connection.connectionId)).map((w) => webhookJson(w)) };
    },
  );

  app.get(
    '/integrations/:integration_id/events',
    {
      schema: {
        tags: ['webhooks'],
        summary: "A connection's webhook events, newest first, with their processing status",
        security,
        params: platformParams,
        querystring: connectionQuery.extend({
          status: z.enum(EVENT_STATUSES).optional(),
          limit: limitParam,
          cursor: z.string().max(2000).optional(),
        }),
        response: {
          200: z.object({
            events: z.array(
              z.object({
                event_id: z.string(),
                delivery_id: z.string(),
                event_type: z.string(),
                received_at: z.iso.datetime(),
                processing_status: z.enum(EVENT_STATUSES),
                processed_at: z.iso.datetime().nullable(),
                error: z.string().optional(),
              }),
            ),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = request.tenant;
      const connection = await resolveConnection(
        ctx,
        tenantId,
        request.params.integration_id,
        request.query.connection_id,
      );
      const { status, limit, cursor } = request.query;
      const scopeName = `events:${connection.connectionId}:${status ?? ''}`;
      const before = cursor
        ? cursors.decode(scopeName, cursor, z.object({ t: z.iso.datetime(), id: z.uuid() }))
        : undefined;
      let query = ctx.db
        .selectFrom('platform_event_logs')
        .select(['event_id', 'delivery_id', 'event_type', 'received_at', 'processing_status', 'error', 'processed_at'])
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connection.connectionId);
      if (status) query = query.where('processing_status', '=', status);
      if (before) {
        const t = new Date(before.t);
        query = query.where((eb) =>
          eb.or([eb('received_at', '<', t), eb.and([eb('received_at', '=', t), eb('event_id', '<', before.id)])]),
        );
      }
      const rows = await query
        .orderBy('received_at', 'desc')
        .orderBy('event_id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page.map((e) => ({
          event_id: e.event_id,
          delivery_id: e.delivery_id,
          event_type: e.event_type,
          received_at: e.received_at.toISOString(),
          processing_status: e.processing_status,
          processed_at: e.processed_at?.toISOString() ?? null,
          ...(e.error ? { error: e.error } : {}),
        })),
        next_cursor:
          rows.length > limit && last
            ? cursors.encode(scopeName, { t: last.received_at.toISOString(), id: last.event_id })
            : null,
      };
    },
  );
}

/** A text (or number) at a dotted path of a delivery's payload, as text; `undefined` without a path or value. */
function bodyText(payload: unknown, path: string | undefined): string | undefined {
  if (!path) return undefined;
  const value = getPath(payload, path);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** How long after registering a handshake (the platform sending its secret) is taken. */
const HANDSHAKE_WINDOW_MS = 10 * 60_000;

/**
 * The secret a platform hands over in a registration handshake (Asana's `X-Hook-Secret`), taken only for a
 * registration of that platform that has no secret yet and was made minutes ago — afterwards the header is ignored
 * and the delivery must verify like any other.
 */
function handshakeSecret(
  meta: PlatformMeta,
  webhook: { secrets: string[]; createdAt: Date },
  headers: Record<string, string | string[] | undefined>,
  now: Date,
): { header: string; secret: string } | undefined {
  const registration = meta.webhooks.scheme === 'none' ? undefined : meta.webhooks.registration;
  if (registration?.kind !== 'api' || registration.secret.from !== 'handshake') return undefined;
  if (webhook.secrets.length > 0 || now.getTime() - webhook.createdAt.getTime() > HANDSHAKE_WINDOW_MS) return undefined;
  const secret = headerText(headers[registration.secret.header.toLowerCase()]);
  if (!secret || secret.length > 1000) return undefined;
  return { header: registration.secret.header, secret };
}

/** A refused delivery, counted for the signature-failure alert; a failure to count never changes the answer. */
async function countRejection(
  ctx: ServiceContext,
  webhook: { tenantId: string; connectionId: string },
  platform: string,
  reason: string,
): Promise<void> {
  recordWebhookDelivery(platform, 'rejected');
  await ctx.db
    .insertInto('webhook_rejections')
    .values({ tenant_id: webhook.tenantId, connection_id: webhook.connectionId, platform, reason })
    .execute()
    .catch(() => {});
}

/** Header value as text (the first of repeated ones). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The delivery's payload for storage: JSON as parsed, a form as its fields, anything else as text. */
function payloadOf(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

/**
 * The public inbound route, in its own scope: bodies are read as raw bytes (every content type), at most
 * {@link WEBHOOK_BODY_LIMIT_BYTES}.
 */
export async function inboundWebhookRoutes(
  scope: FastifyInstance,
  ctx: ServiceContext,
  catalog: IntegrationCatalog,
): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const registrations = inboundCache(ctx);
  app.post(
    '/webhooks/:platform/:event_type',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT_BYTES,
      schema: {
        tags: ['webhooks'],
        summary: 'Inbound deliveries from a platform (signature checked before anything else)',
        params: z.object({ platform: z.string().min(1).max(100), event_type: z.string().min(1).max(200) }),
        querystring: z.object({ endpoint: z.string().max(100).optional() }).passthrough(),
      },
    },
    async (request, reply) => {
      const { platform, event_type: pathEvent } = request.params;
      const endpointId = request.query.endpoint;
      // Made only when needed: an Error captures a stack, which costs more than the rest of a delivery's checks.
      const unknown = () => notFound(`webhook endpoint on ${platform}`);
      if (!endpointId || !UUID.test(endpointId) || !catalog.has(platform)) throw unknown();
      const webhook = await registrations.get(endpointId);
      if (!webhook || webhook.platform !== platform || !webhook.connectionActive) throw unknown();
      const meta = (await catalog.meta(platform)) as PlatformMeta;
      if (webhook.ipAllowlist && !senderAllowed(meta, request.ip)) {
        const reason = `sender address ${request.ip} is not one ${meta.name} publishes for its webhooks`;
        request.log.info({ platform, webhookId: webhook.webhookId, reason }, 'webhook rejected');
        await countRejection(ctx, webhook, platform, reason);
        throw new ProblemError(403, 'Forbidden', reason);
      }
      const handshake = handshakeSecret(meta, webhook, request.headers, ctx.now());
      if (handshake !== undefined) {
        // The platform hands over the signing secret while our create request is in flight; it takes the
        // subscription only when the same header comes back.
        await ctx.db
          .transaction()
          .execute((trx) => rotateWebhookSecret(trx, ctx.settings.keyRing, { ...webhook, secret: handshake.secret }));
        registrations.forget(webhook.webhookId);
        return reply.header(handshake.header, handshake.secret).status(200).send({ handshake: true });
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const url = new URL(request.url, ctx.settings.publicUrl).toString();
      const delivery = { method: request.method, url, headers: request.headers, rawBody: raw };
      const verifyWith = (secrets: string[]) =>
        verifyWebhook(platform, delivery, { secrets, now: ctx.now(), config: meta.webhooks as PlatformWebhookConfig });
      let verified = verifyWith(webhook.secrets);
      if (!verified.ok) {
        // The secrets may have changed in another process (a reconcile subscribed again) since they were cached:
        // one fresh read before refusing, so a new secret works at once rather than after the cache's TTL.
        registrations.forget(webhook.webhookId);
        const fresh = await registrations.get(webhook.webhookId);
        if (fresh && fresh.secrets.join('\n') !== webhook.secrets.join('\n')) verified = verifyWith(fresh.secrets);
      }
      if (!verified.ok) {
        request.log.info({ platform, webhookId: webhook.webhookId, reason: verified.reason }, 'webhook rejected');
        await countRejection(ctx, webhook, platform, verified.reason);
        throw new ProblemError(401, 'Unauthorized', `the delivery's signature does not verify: ${verified.reason}`);
      }
      const config = meta.webhooks.scheme === 'none' ? undefined : meta.webhooks;
      const headerId = config?.deliveryIdHeader
        ? headerText(request.headers[config.deliveryIdHeader.toLowerCase()])
        : undefined;
      const headerType = config?.eventTypeHeader
        ? headerText(request.headers[config.eventTypeHeader.toLowerCase()])
        : undefined;
      const payload = payloadOf(raw, headerText(request.headers['content-type']));
      const eventId = await eventWriter(ctx).write({
        tenantId: webhook.tenantId,
        connectionId: webhook.connectionId,
        webhookId: webhook.webhookId,
        platform,
        deliveryId: deliveryIdOf(headerId ?? verified.deliveryId ?? bodyText(payload, config?.deliveryIdPath), raw),
        eventType: (headerType ?? bodyText(payload, config?.eventTypePath) ?? pathEvent).slice(0, 200),
        payload,
      });
      recordWebhookDelivery(platform, eventId === undefined ? 'duplicate' : 'accepted');
      return reply.status(200).send({ received: true, duplicate: eventId === undefined });
    },
  );
}
