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
  /** The platform's ids of the subscriptions made through its API. */
  platformWebhookIds: string[];
  ipAllowlist: boolean;
  registrationError: string | null;
  reconciledAt: Date | null;
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
  'platform_webhook_ids',
  'ip_allowlist',
  'registration_error',
  'reconciled_at',
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
  platform_webhook_ids: string[];
  ip_allowlist: boolean;
  registration_error: string | null;
  reconciled_at: Date | null;
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
    platformWebhookIds: row.platform_webhook_ids,
    ipAllowlist: row.ip_allowlist,
    registrationError: row.registration_error,
    reconciledAt: row.reconciled_at,
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

/**
 * A new registration, with its signing secret sealed — or none yet, when the platform gives it at subscription (the
 * inbound route fails closed until it is stored).
 */
export async function insertWebhook(
  db: Db,
  ring: KeyRing,
  input: {
    tenantId: string;
    connectionId: string;
    platform: string;
    events: string[];
    publicUrl: string;
    secret: string | undefined;
    ipAllowlist?: boolean | undefined;
    /** Subscribed through the platform's API next (the daily reconcile then checks it, and finishes it if cut off). */
    throughApi?: boolean | undefined;
  },
): Promise<WebhookRegistration> {
  const webhookId = randomUUID();
  const secrets = input.secret === undefined ? [] : [input.secret];
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
        seal(ring, webhookSecretContext(input.tenantId, webhookId), { secrets } satisfies SealedSecrets),
      ),
      registered_at_platform: false,
      through_api: input.throughApi ?? false,
      ip_allowlist: input.ipAllowlist ?? false,
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

/**
 * Records subscriptions made at the platform: their ids, and the secret that signs them (rotated in: the previous
 * one keeps verifying deliveries already on their way).
 */
export async function recordSubscription(
  db: Db,
  ring: KeyRing,
  input: {
    tenantId: string;
    connectionId: string;
    webhookId: string;
    ids: string[];
    secret: string | undefined;
    at: Date;
  },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (input.secret !== undefined) await rotateWebhookSecret(trx, ring, { ...input, secret: input.secret });
    await trx
      .updateTable('platform_webhooks')
      .set({
        platform_webhook_ids: input.ids,
        registered_at_platform: true,
        registration_error: null,
        reconciled_at: input.at,
        unregistered_at: null,
        updated_at: input.at,
      })
      .where('tenant_id', '=', input.tenantId)
      .where('webhook_id', '=', input.webhookId)
      .execute();
  });
}

/** Notes why subscribing (or finding the subscription) failed; the registration stays for the reconcile to retry. */
export async function recordRegistrationError(
  db: Db,
  input: { tenantId: string; webhookId: string; error: string; at: Date },
): Promise<void> {
  await db
    .updateTable('platform_webhooks')
    .set({ registration_error: input.error.slice(0, 2000), updated_at: input.at })
    .where('tenant_id', '=', input.tenantId)
    .where('webhook_id', '=', input.webhookId)
    .execute();
}

/** The subscriptions are gone from the platform (removed on disconnect, or found missing by the reconcile). */
export async function recordUnsubscribed(
  db: Db,
  input: { tenantId: string; webhookId: string; at: Date; removed: boolean },
): Promise<void> {
  await db
    .updateTable('platform_webhooks')
    .set({
      platform_webhook_ids: [],
      registered_at_platform: false,
      updated_at: input.at,
      ...(input.removed ? { unregistered_at: input.at } : {}),
    })
    .where('tenant_id', '=', input.tenantId)
    .where('webhook_id', '=', input.webhookId)
    .execute();
}

/** One registration of the tenant's, or `undefined`. */
export async function findWebhook(
  db: Db,
  tenantId: string,
  webhookId: string,
): Promise<WebhookRegistration | undefined> {
  const row = await db
    .selectFrom('platform_webhooks')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirst();
  return row ? toRegistration(row) : undefined;
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
      'w.platform_webhook_ids',
      'w.ip_allowlist',
      'w.registration_error',
      'w.reconciled_at',
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

export interface NewEvent {
  tenantId: string;
  connectionId: string;
  webhookId: string;
  platform: string;
  deliveryId: string;
  eventType: string;
  payload: unknown;
}

/**
 * Stores events and queues their processing jobs in one statement (atomic: all of it or none): each insert's
 * `ON CONFLICT DO NOTHING` on the delivery id stores a repeated delivery nowhere — within the batch too — and queues
 * nothing for it; the jobs go in with one `graphile_worker.add_jobs` (one NOTIFY for the batch).
 * @returns per event, in order, the new event's id, or `undefined` when its delivery was stored before.
 */
export async function storeEvents(db: Db, events: readonly NewEvent[]): Promise<Array<string | undefined>> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    tenant_id: e.tenantId,
    event_id: randomUUID(),
    connection_id: e.connectionId,
    webhook_id: e.webhookId,
    platform: e.platform,
    delivery_id: e.deliveryId,
    event_type: e.eventType,
    payload: e.payload,
  }));
  const { rows: stored } = await sql<{ event_id: string }>`
    with incoming as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(tenant_id uuid, event_id uuid,
        connection_id uuid, webhook_id uuid, platform text, delivery_id text, event_type text, payload jsonb)
    ), stored as (
      insert into platform_event_logs (tenant_id, event_id, connection_id, webhook_id, platform, delivery_id,
        event_type, payload)
      select tenant_id, event_id, connection_id, webhook_id, platform, delivery_id, event_type, payload from incoming
      on conflict (tenant_id, connection_id, delivery_id) do nothing
      returning tenant_id, connection_id, event_id
    ), queued as (
      select count(*) as n from graphile_worker.add_jobs(array(
        select row('process_webhook_event',
                   json_build_object('tenant_id', tenant_id, 'connection_id', connection_id, 'event_id', event_id),
                   null, null, 10, 'process_webhook_event:' || event_id, null, null)::graphile_worker.job_spec
        from stored))
    )
    select stored.event_id from stored, queued`.execute(db);
  const inserted = new Set(stored.map((r) => r.event_id));
  return rows.map((r) => (inserted.has(r.event_id) ? r.event_id : undefined));
}

/**
 * Group commit for inbound deliveries: while one batch is being written, the deliveries that arrive wait and go
 * together in the next one — one statement, one transaction and one NOTIFY for many deliveries under load, one each
 * when traffic is light. Each caller's promise settles when its own event is durable.
 */
export class EventWriter {
  readonly #db: Db;
  readonly #maxBatch: number;
  #waiting: Array<{ event: NewEvent; resolve(id: string | undefined): void; reject(error: unknown): void }> = [];
  #writing = false;

  constructor(db: Db, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 200;
  }

  /** @returns the new event's id, or `undefined` for a repeated delivery. */
  write(event: NewEvent): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ event, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        const ids = await storeEvents(
          this.#db,
          batch.map((b) => b.event),
        );
        for (const [i, b] of batch.entries()) b.resolve(ids[i]);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.#writing = false;
  }
}
