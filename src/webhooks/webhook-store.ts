/**
 * Webhook registrations and their events in the database: signing secrets sealed per registration (several during a
 * rotation), an event stored once per delivery id by a unique constraint (not a lookup), with its processing job
 * queued in the same transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { openJson, seal } from '../db/crypto/envelope-cipher.js';
import type { KeyRing } from '../db/crypto/key-ring.js';
import { webhookSecretContext } from '../db/crypto/seal-context.js';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

export interface WebhookRegistration {
  tenantId: string;
  webhookId: string;
  connectionId: string;
  platform: string;
  events: string[];
  endpointUrl: string;
  registeredAtPlatform: boolean;
  createdAt: Date;
}

interface SealedSecrets {
  secrets: string[];
}

const COLUMNS = [
  'tenant_id',
  'webhook_id',
  'connection_id',
  'platform',
  'events',
  'endpoint_url',
  'registered_at_platform',
  'created_at',
] as const;

function toRegistration(row: {
  tenant_id: string;
  webhook_id: string;
  connection_id: string;
  platform: string;
  events: string[];
  endpoint_url: string;
  registered_at_platform: boolean;
  created_at: Date;
}): WebhookRegistration {
  return {
    tenantId: row.tenant_id,
    webhookId: row.webhook_id,
    connectionId: row.connection_id,
    platform: row.platform,
    events: row.events,
    endpointUrl: row.endpoint_url,
    registeredAtPlatform: row.registered_at_platform,
    createdAt: row.created_at,
  };
}

/**
 * Where the platform posts: `<public URL>/webhooks/<platform>/<event or "all">?endpoint=<webhook id>`.
 * @example
 * endpointUrl('https://engarde.example', 'github', ['push'], id); // https://engarde.example/webhooks/github/push?endpoint=…
 */
export function endpointUrl(publicUrl: string, platform: string, events: readonly string[], webhookId: string): string {
  const group = events.length === 1 ? (events[0] as string) : 'all';
  const url = new URL(`/webhooks/${encodeURIComponent(platform)}/${encodeURIComponent(group)}`, publicUrl);
  url.searchParams.set('endpoint', webhookId);
  return url.toString();
}

/** A new registration with its signing secret, sealed. */
export async function insertWebhook(
  db: Db,
  ring: KeyRing,
  input: {
    tenantId: string;
    connectionId: string;
    platform: string;
    events: string[];
    publicUrl: string;
    secret: string;
  },
): Promise<WebhookRegistration> {
  const webhookId = randomUUID();
  const row = await db
    .insertInto('platform_webhooks')
    .values({
      tenant_id: input.tenantId,
      webhook_id: webhookId,
      connection_id: input.connectionId,
      platform: input.platform,
      events: input.events,
      endpoint_url: endpointUrl(input.publicUrl, input.platform, input.events, webhookId),
      secret_data: JSON.stringify(
        seal(ring, webhookSecretContext(input.tenantId, webhookId), {
          secrets: [input.secret],
        } satisfies SealedSecrets),
      ),
      registered_at_platform: false,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toRegistration(row);
}

/**
 * Rotates a registration's signing secret: the new one first, the one before it kept so deliveries the platform
 * signed before the switch still verify (one previous secret, until the next rotation).
 * Run it in a transaction (it locks the row while it reads and rewrites the secrets).
 * @returns whether the registration exists (the tenant's own).
 */
export async function rotateWebhookSecret(
  trx: Transaction<Database>,
  ring: KeyRing,
  input: { tenantId: string; connectionId: string; webhookId: string; secret: string },
): Promise<boolean> {
  const row = await trx
    .selectFrom('platform_webhooks')
    .select('secret_data')
    .where('tenant_id', '=', input.tenantId)
    .where('connection_id', '=', input.connectionId)
    .where('webhook_id', '=', input.webhookId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return false;
  const context = webhookSecretContext(input.tenantId, input.webhookId);
  const current = row.secret_data ? openJson<SealedSecrets>(ring, context, row.secret_data).secrets : [];
  const secrets = [input.secret, ...current.filter((s) => s !== input.secret)].slice(0, 2);
  await trx
    .updateTable('platform_webhooks')
    .set({
      secret_data: JSON.stringify(seal(ring, context, { secrets } satisfies SealedSecrets)),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', input.tenantId)
    .where('webhook_id', '=', input.webhookId)
    .execute();
  return true;
}

export async function listWebhooks(db: Db, tenantId: string, connectionId: string): Promise<WebhookRegistration[]> {
  const rows = await db
    .selectFrom('platform_webhooks')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .orderBy('created_at')
    .execute();
  return rows.map(toRegistration);
}

/**
 * The registration an inbound delivery names, with its secrets opened and whether its connection is active.
 * `undefined` for an unknown id.
 */
export async function findInboundWebhook(
  db: Db,
  ring: KeyRing,
  webhookId: string,
): Promise<InboundWebhook | undefined> {
  const row = await db
    .selectFrom('platform_webhooks as w')
    .innerJoin('platform_connections as c', (join) =>
      join.onRef('c.tenant_id', '=', 'w.tenant_id').onRef('c.connection_id', '=', 'w.connection_id'),
    )
    .select([
      'w.tenant_id',
      'w.webhook_id',
      'w.connection_id',
      'w.platform',
      'w.events',
      'w.endpoint_url',
      'w.registered_at_platform',
      'w.created_at',
      'w.secret_data',
      'c.status',
    ])
    .where('w.webhook_id', '=', webhookId)
    .executeTakeFirst();
  if (!row) return undefined;
  const sealed = row.secret_data
    ? openJson<SealedSecrets>(ring, webhookSecretContext(row.tenant_id, row.webhook_id), row.secret_data)
    : { secrets: [] };
  return {
    ...toRegistration(row),
    secrets: Array.isArray(sealed.secrets) ? sealed.secrets.filter((s) => typeof s === 'string') : [],
    connectionActive: row.status === 'active',
  };
}

export type InboundWebhook = WebhookRegistration & { secrets: string[]; connectionActive: boolean };

/**
 * Registrations looked up by inbound deliveries, kept for `ttlMs` (10 s): a burst of deliveries costs one query and
 * one decryption, not one per delivery. A new secret or a disconnect takes effect within the TTL. Unknown ids are
 * not cached (an attacker's random ids cannot fill it); at most `maxEntries` are kept.
 */
export class InboundWebhookCache {
  readonly #entries = new Map<string, { value: InboundWebhook; expiresAt: number }>();
  constructor(
    private readonly db: Db,
    private readonly ring: KeyRing,
    private readonly options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {}

  /** Drops a registration (its secrets changed here); other processes see the change within the TTL. */
  forget(webhookId: string): void {
    this.#entries.delete(webhookId);
  }

  async get(webhookId: string): Promise<InboundWebhook | undefined> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.#entries.get(webhookId);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = await findInboundWebhook(this.db, this.ring, webhookId);
    if (!value) {
      this.#entries.delete(webhookId);
      return undefined;
    }
    if (this.#entries.size >= (this.options.maxEntries ?? 10_000)) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(webhookId, { value, expiresAt: now + (this.options.ttlMs ?? 10_000) });
    return value;
  }
}

/** The delivery id to store an event under: the platform's own, else a digest of the exact bytes received. */
export function deliveryIdOf(platformId: string | undefined, rawBody: Buffer): string {
  if (platformId && platformId.length <= 500) return platformId;
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/**
 * Stores an event and queues its processing in one statement (atomic: both or neither): the insert's `ON CONFLICT DO
 * NOTHING` on the delivery id makes a repeated delivery insert nothing, and then queue nothing.
 * @returns the new event's id, or `undefined` when this delivery was stored before (a duplicate).
 */
export async function storeEvent(
  db: Db,
  event: {
    tenantId: string;
    connectionId: string;
    webhookId: string;
    platform: string;
    deliveryId: string;
    eventType: string;
    payload: unknown;
  },
): Promise<string | undefined> {
  const eventId = randomUUID();
  const job = JSON.stringify({ tenant_id: event.tenantId, connection_id: event.connectionId, event_id: eventId });
  const { rows } = await sql<{ event_id: string }>`
    with stored as (
      insert into platform_event_logs (tenant_id, event_id, connection_id, webhook_id, platform, delivery_id,
        event_type, payload)
      values (${event.tenantId}, ${eventId}, ${event.connectionId}, ${event.webhookId}, ${event.platform},
        ${event.deliveryId}, ${event.eventType}, ${JSON.stringify(event.payload)}::jsonb)
      on conflict (tenant_id, connection_id, delivery_id) do nothing
      returning event_id
    )
    select stored.event_id, graphile_worker.add_job('process_webhook_event', ${job}::json, max_attempts => 10,
      job_key => ${`process_webhook_event:${eventId}`}) is not null as queued
    from stored`.execute(db);
  return rows[0]?.event_id;
}
