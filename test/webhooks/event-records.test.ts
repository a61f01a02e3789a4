/**
 * Webhook events that carry a record: where a platform's config maps the event type to an entity
 * (`webhooks.records`), processing upserts the record into the synced copy, or deletes it, through the same rules as
 * a pull — an event older than the stored version changes nothing, whatever order the deliveries arrive in; a local
 * change waiting to be pushed is not overwritten. Stripe deliveries are signed by the stripe SDK and sent over HTTP.
 */
import type { JobHelpers } from 'graphile-worker';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { processWebhookEventTask } from '../../src/jobs/tasks/process_webhook_event.js';
import type { PlatformMeta } from '../../src/runtime/adapter-types.js';
import { eventEffect } from '../../src/webhooks/event-records.js';
import { startTestService, type TestService } from '../support/service.js';

const SECRET = `whsec_${'e'.repeat(32)}`;
const stripe = new Stripe('sk_test_not_used_offline');
const helpers = { job: { attempts: 1, max_attempts: 10 } } as unknown as JobHelpers;

let service: TestService;
let origin: string;
let endpoint: URL;
let tenant: { tenantId: string; apiKey: string };
let connectionId: string;
let sequence = 0;

beforeAll(async () => {
  service = await startTestService();
  tenant = await service.tenant('Events');
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId: tenant.tenantId,
    platform: 'stripe',
    credentials: { apiKey: 'sk_test_not_used' },
    connectionConfig: {},
  });
  connectionId = connection.connectionId;
  const registered = await service.app.inject({
    method: 'POST',
    url: '/integrations/stripe/webhooks/register',
    headers: service.auth(tenant.apiKey),
    payload: { events: ['customer.created', 'customer.updated', 'customer.deleted'], secret: SECRET },
  });
  expect(registered.statusCode, registered.body).toBe(201);
  endpoint = new URL(registered.json().webhook.endpoint_url);
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await service?.close();
});
beforeEach(async () => {
  await service.ctx.db.deleteFrom('sync_outbox').execute();
  await service.ctx.db.deleteFrom('sync_records').execute();
});

/** A Stripe event about a customer, as Stripe sends it: `created` is when the change happened (unix seconds). */
function customerEvent(type: string, customer: Record<string, unknown>, createdSeconds: number) {
  sequence += 1;
  return {
    id: `evt_${sequence}_${Date.now()}`,
    object: 'event',
    type,
    created: createdSeconds,
    data: { object: customer },
  };
}

/** Delivers the event over HTTP, signed by the stripe SDK, then runs its processing job. */
async function deliverAndProcess(event: object): Promise<void> {
  const body = JSON.stringify(event);
  const response = await fetch(`${origin}${endpoint.pathname}${endpoint.search}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }),
    },
    body,
  });
  expect(response.status).toBe(200);
  const row = await service.ctx.db
    .selectFrom('platform_event_logs')
    .select('event_id')
    .where('delivery_id', '=', (event as { id: string }).id)
    .executeTakeFirstOrThrow();
  await processWebhookEventTask(service.ctx)(
    { tenant_id: tenant.tenantId, connection_id: connectionId, event_id: row.event_id },
    helpers,
  );
}

async function storedCustomer(id: string) {
  return service.ctx.db
    .selectFrom('sync_records')
    .select(['data', 'deleted', 'remote_updated_at'])
    .where('connection_id', '=', connectionId)
    .where('entity_type', '=', 'customers')
    .where('external_id', '=', id)
    .executeTakeFirst();
}

describe('a mapped event', () => {
  it('upserts the record inside the payload into the synced copy, with the event time as its version', async () => {
    await deliverAndProcess(customerEvent('customer.created', { id: 'cus_A', email: 'a@example.com' }, 1_765_000_000));
    const stored = await storedCustomer('cus_A');
    expect(stored?.data).toEqual({ id: 'cus_A', email: 'a@example.com' });
    expect(stored?.remote_updated_at?.toISOString()).toBe('2025-12-06T05:46:40.000Z');
    const listed = await service.app.inject({
      method: 'GET',
      url: '/integrations/stripe/records/customers',
      headers: service.auth(tenant.apiKey),
    });
    expect(listed.json().records.map((r: { external_id: string }) => r.external_id)).toEqual(['cus_A']);
  });

  it('keeps the newer version when an older event arrives after it (out of order)', async () => {
    await deliverAndProcess(customerEvent('customer.updated', { id: 'cus_B', email: 'new@example.com' }, 2_000));
    await deliverAndProcess(customerEvent('customer.updated', { id: 'cus_B', email: 'old@example.com' }, 1_000));
    expect((await storedCustomer('cus_B'))?.data).toEqual({ id: 'cus_B', email: 'new@example.com' });
  });

  it('deletes on a deletion event, and an older update arriving afterwards does not bring the record back', async () => {
    await deliverAndProcess(customerEvent('customer.created', { id: 'cus_C', email: 'c@example.com' }, 1_000));
    await deliverAndProcess(customerEvent('customer.deleted', { id: 'cus_C', deleted: true }, 3_000));
    await deliverAndProcess(customerEvent('customer.updated', { id: 'cus_C', email: 'late@example.com' }, 2_000));
    const stored = await storedCustomer('cus_C');
    expect(stored?.deleted).toBe(true);
    expect(stored?.data).toEqual({ id: 'cus_C', email: 'c@example.com' });
  });

  it('leaves a tombstone when the deletion arrives before the record, so the late creation stays deleted', async () => {
    await deliverAndProcess(customerEvent('customer.deleted', { id: 'cus_D', deleted: true }, 3_000));
    await deliverAndProcess(customerEvent('customer.created', { id: 'cus_D', email: 'd@example.com' }, 1_000));
    expect((await storedCustomer('cus_D'))?.deleted).toBe(true);
  });

  it('does not overwrite a local change waiting to be pushed (the push and its conflict rules decide)', async () => {
    await deliverAndProcess(customerEvent('customer.created', { id: 'cus_E', email: 'e@example.com' }, 1_000));
    await service.ctx.db
      .insertInto('platform_sync_status')
      .values({
        tenant_id: tenant.tenantId,
        connection_id: connectionId,
        entity_type: 'customers',
        sync_direction: 'bidirectional',
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const patched = await service.app.inject({
      method: 'PATCH',
      url: '/integrations/stripe/records/customers/cus_E',
      headers: service.auth(tenant.apiKey),
      payload: { data: { email: 'local@example.com' } },
    });
    expect(patched.statusCode, patched.body).toBe(202);
    await deliverAndProcess(customerEvent('customer.updated', { id: 'cus_E', email: 'remote@example.com' }, 2_000));
    expect((await storedCustomer('cus_E'))?.data).toMatchObject({ email: 'local@example.com' });
  });

  it('fails an event whose payload lacks the record, with the reason in the events list', async () => {
    await deliverAndProcess({ id: 'evt_broken', type: 'customer.updated', created: 1, data: {} });
    const listed = await service.app.inject({
      method: 'GET',
      url: '/integrations/stripe/events?status=failed',
      headers: service.auth(tenant.apiKey),
    });
    const [event] = listed.json().events;
    expect(event).toMatchObject({ delivery_id: 'evt_broken', processing_status: 'failed' });
    expect(event.error).toMatch(/no record at "data\.object"/);
  });

  it('takes the delivery id and event type from the body where Stripe puts them (`id`, `type`)', async () => {
    await deliverAndProcess(customerEvent('customer.created', { id: 'cus_F' }, 1_000));
    const listed = await service.app.inject({
      method: 'GET',
      url: '/integrations/stripe/events?limit=1',
      headers: service.auth(tenant.apiKey),
    });
    expect(listed.json().events[0]).toMatchObject({
      event_type: 'customer.created',
      delivery_id: expect.stringMatching(new RegExp(`^evt_${sequence}_`)),
    });
  });
});

describe('eventEffect', () => {
  let metas: Record<string, PlatformMeta>;
  beforeAll(async () => {
    metas = Object.fromEntries(
      await Promise.all(
        ['stripe', 'github', 'shopify'].map(async (id) => [id, (await service.ctx.registry.meta(id)) as PlatformMeta]),
      ),
    );
  });

  it.each([
    ['an unmapped event type syncs', 'github', 'push', { ref: 'main' }, { kind: 'sync' }],
    [
      'GitHub `issues` upserts the issue, versioned by its updated_at',
      'github',
      'issues',
      { action: 'edited', issue: { number: 7, title: 't', updated_at: '2026-01-02T03:04:05Z' } },
      { kind: 'upsert', entity: 'issues', externalId: '7', version: '2026-01-02T03:04:05.000Z' },
    ],
    [
      'GitHub `issues` with action deleted deletes',
      'github',
      'issues',
      { action: 'deleted', issue: { number: 7, updated_at: '2026-01-02T03:04:05Z' } },
      { kind: 'delete', entity: 'issues', externalId: '7', version: '2026-01-02T03:04:05.000Z' },
    ],
    [
      'a Shopify payload is the record itself',
      'shopify',
      'orders/updated',
      { id: 450789469, updated_at: '2026-03-01T10:00:00-05:00' },
      { kind: 'upsert', entity: 'orders', externalId: '450789469', version: '2026-03-01T15:00:00.000Z' },
    ],
    [
      'a Shopify deletion carries only the id: no version',
      'shopify',
      'customers/delete',
      { id: 706405506 },
      { kind: 'delete', entity: 'customers', externalId: '706405506', version: null },
    ],
    [
      'a record without its id cannot be applied',
      'stripe',
      'customer.updated',
      { created: 1, data: { object: { email: 'x' } } },
      { kind: 'invalid' },
    ],
  ])('%s', (_name, platform, type, payload, want) => {
    const effect = eventEffect(metas[platform] as PlatformMeta, type, payload);
    const got =
      effect.kind === 'upsert'
        ? {
            kind: effect.kind,
            entity: effect.entity,
            externalId: effect.record.external_id,
            version: effect.record.remote_updated_at,
          }
        : effect.kind === 'invalid'
          ? { kind: effect.kind }
          : effect;
    expect(got).toEqual(want);
  });
});
