/**
 * Many deliveries at once, and what a stored event makes happen: 10,000 deliveries with 20% duplicates, shuffled,
 * 20 at a time, each stored exactly once; an event's processing queues an incremental sync of each entity the
 * connection pulls (an event type that carries no mapped record) and marks it processed, and a processing job run again (its first result lost to a kill -9) does
 * not process it twice.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { JobHelpers } from 'graphile-worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { processWebhookEventTask } from '../../src/jobs/tasks/process_webhook_event.js';
import { startTestService, type TestService } from '../support/service.js';

const SECRET = 'github-secret-for-load';
let service: TestService;
let origin: string;
let endpoint: URL;
let connectionId: string;
let tenantId: string;

beforeAll(async () => {
  service = await startTestService();
  const tenant = await service.tenant('Load');
  tenantId = tenant.tenantId;
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: 'github',
    credentials: { token: 'not-used' },
    connectionConfig: {},
  });
  connectionId = connection.connectionId;
  const registered = await service.app.inject({
    method: 'POST',
    url: '/integrations/github/webhooks/register',
    headers: service.auth(tenant.apiKey),
    payload: { events: ['push'], secret: SECRET },
  });
  endpoint = new URL(registered.json().webhook.endpoint_url);
  await service.ctx.db
    .insertInto('platform_sync_status')
    .values([
      { tenant_id: tenantId, connection_id: connectionId, entity_type: 'issues', sync_direction: 'pull' },
      {
        tenant_id: tenantId,
        connection_id: connectionId,
        entity_type: 'repositories',
        sync_direction: 'bidirectional',
      },
      { tenant_id: tenantId, connection_id: connectionId, entity_type: 'pull_requests', sync_direction: 'push' },
    ])
    .execute();
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await service?.close();
});

function delivery(id: string): { body: string; headers: Record<string, string> } {
  // `push` carries no record EnGarde maps (see webhooks.records): its processing syncs.
  const body = JSON.stringify({ ref: 'refs/heads/main', delivery: id });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-delivery': id,
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  };
}

async function events(): Promise<number> {
  const row = await service.ctx.db
    .selectFrom('platform_event_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('10,000 deliveries, 20% of them repeated, shuffled, 20 at a time', () => {
  it('stores each delivery exactly once', { timeout: 120_000 }, async () => {
    const unique = Array.from({ length: 8_000 }, () => randomUUID());
    const all: string[] = [...unique, ...unique.slice(0, 2_000)];
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j] as string, all[i] as string];
    }
    const statuses = new Map<number, number>();
    let next = 0;
    const url = `${origin}${endpoint.pathname}${endpoint.search}`;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < all.length) {
          const d = delivery(all[next++] as string);
          const response = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: 10_000 });
    expect(await events()).toBe(8_000);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'process_webhook_event'`.execute(
      service.ctx.db,
    );
    expect(rows[0]?.n).toBe(8_000);
  });
});

describe('processing an event', () => {
  const helpers = { job: { attempts: 1, max_attempts: 10 } } as unknown as JobHelpers;

  async function oneEvent(): Promise<string> {
    const row = await service.ctx.db
      .selectFrom('platform_event_logs')
      .select('event_id')
      .where('connection_id', '=', connectionId)
      .where('processing_status', '=', 'pending')
      .limit(1)
      .executeTakeFirstOrThrow();
    return row.event_id;
  }

  async function queuedSyncs(): Promise<string[]> {
    const { rows } = await sql<{ entity: string }>`select j.payload->>'entity_type' as entity
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'sync_entity' order by 1`.execute(service.ctx.db);
    return rows.map((r) => r.entity);
  }

  it('queues an incremental sync of each entity the connection pulls, and marks the event processed', async () => {
    const eventId = await oneEvent();
    await processWebhookEventTask(service.ctx)(
      { tenant_id: tenantId, connection_id: connectionId, event_id: eventId },
      helpers,
    );
    expect(await queuedSyncs()).toEqual(['issues', 'repositories']);
    const event = await service.ctx.db
      .selectFrom('platform_event_logs')
      .select(['processing_status', 'attempts'])
      .where('event_id', '=', eventId)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({ processing_status: 'processed', attempts: 1 });
  });

  it('does nothing the second time (a job run again after its result was lost to a kill -9)', async () => {
    const eventId = await oneEvent();
    const payload = { tenant_id: tenantId, connection_id: connectionId, event_id: eventId };
    await processWebhookEventTask(service.ctx)(payload, helpers);
    await sql`delete from graphile_worker._private_jobs`.execute(service.ctx.db);
    await processWebhookEventTask(service.ctx)(payload, helpers);
    expect(await queuedSyncs()).toEqual([]);
    const event = await service.ctx.db
      .selectFrom('platform_event_logs')
      .select('attempts')
      .where('event_id', '=', eventId)
      .executeTakeFirstOrThrow();
    expect(event.attempts).toBe(1);
  });

  it.each([
    [{ tenant_id: 'x', connection_id: randomUUID(), event_id: randomUUID() }, /tenant_id/],
    [{ tenant_id: randomUUID(), connection_id: randomUUID(), event_id: 'nope' }, /event_id/],
  ])('refuses a malformed payload %j', async (payload, message) => {
    await expect(processWebhookEventTask(service.ctx)(payload, helpers)).rejects.toThrow(message);
  });
});
