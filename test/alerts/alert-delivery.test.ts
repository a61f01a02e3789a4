/**
 * Delivery of alerts to a tenant's destination, received by a loopback HTTP server and verified with the
 * `standardwebhooks` reference library (`Webhook.verify`): an opening and a resolution arrive signed, a tampered
 * body or signature and the wrong secret fail verification, a 500 is retried by graphile-worker with backoff under
 * the same `webhook-id`, the last attempt gives up, a destination on a private address is refused without a request,
 * a removed destination skips its deliveries, and the secret is never sent or stored in clear.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobHelpers } from 'graphile-worker';
import { sql } from 'kysely';
import { pino } from 'pino';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendDelivery, signAlertDelivery, webhookMessageId } from '../../src/alerts/alert-delivery.js';
import { checkDestinationUrl, destinationGuard } from '../../src/alerts/alert-destinations.js';
import { evaluateAlerts } from '../../src/alerts/alert-evaluator.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { deliverAlertTask } from '../../src/jobs/tasks/deliver_alert.js';
import { startWorker } from '../../src/jobs/worker.js';
import { startTestService, type TestService } from '../support/service.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let service: TestService;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Statuses the receiver answers, in order; 204 once they run out. */
let answers: number[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = answers.shift() ?? 204;
      response.end(response.statusCode >= 400 ? 'nope' : '');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/engarde?token=abc`;
  service = await startTestService({ env: { ENGARDE_ALLOW_PRIVATE_NETWORK: '127.0.0.1/32' } });
});
afterAll(async () => {
  await service?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});
beforeEach(async () => {
  received.length = 0;
  answers = [];
  await sql`delete from graphile_worker._private_jobs`.execute(service.ctx.db);
});

function helpers(attempts = 1, maxAttempts = 10) {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  return { logger, job: { attempts, max_attempts: maxAttempts } } as unknown as JobHelpers;
}

/** A tenant with a destination (its secret), and a connection whose health checks keep failing. */
async function failingTenant(url = receiverUrl) {
  const { tenantId, apiKey } = await service.tenant('Alerted');
  const put = await service.app.inject({
    method: 'PUT',
    url: '/alerts/destination',
    headers: service.auth(apiKey),
    payload: { url },
  });
  expect(put.statusCode).toBe(201);
  const secret = put.json().destination.secret as string;
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: 'front',
    credentials: { token: 'front-token-1234' },
    connectionConfig: {},
  });
  await setFailures(tenantId, 5);
  return { tenantId, apiKey, secret, connectionId: connection.connectionId };
}

async function setFailures(tenantId: string, n: number) {
  await service.ctx.db
    .updateTable('platform_connections')
    .set({ consecutive_failures: n })
    .where('tenant_id', '=', tenantId)
    .execute();
}

async function evaluate() {
  const result = await evaluateAlerts(service.ctx.db, service.ctx.now());
  expect(result.failures).toEqual([]);
  return result;
}

async function deliveries(tenantId: string) {
  return service.ctx.db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('event_type', 'desc') // opened before resolved
    .execute();
}

async function queuedJobs(tenantId: string) {
  const { rows } = await sql<{ payload: { tenant_id: string; delivery_id: string }; max_attempts: number }>`
    select j.payload, j.max_attempts from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = 'deliver_alert' and j.payload->>'tenant_id' = ${tenantId}`.execute(service.ctx.db);
  return rows;
}

const deliver = (tenantId: string, deliveryId: string, attempts = 1, maxAttempts = 10) =>
  deliverAlertTask(service.ctx)({ tenant_id: tenantId, delivery_id: deliveryId }, helpers(attempts, maxAttempts));

function headersOf(r: Received): Record<string, string> {
  return Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
}

describe('an alert delivered to the destination', () => {
  it('arrives signed per Standard Webhooks: the reference library verifies the opening and the resolution', async () => {
    const { tenantId, secret, connectionId } = await failingTenant();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await evaluate();
    const [opened] = await deliveries(tenantId);
    expect(opened).toMatchObject({ event_type: 'alert.opened', status: 'pending', attempts: 0 });
    expect(await queuedJobs(tenantId)).toEqual([
      { payload: { tenant_id: tenantId, delivery_id: opened?.delivery_id }, max_attempts: 10 },
    ]);

    await deliver(tenantId, opened?.delivery_id as string);
    expect(received).toHaveLength(1);
    const request = received[0] as Received;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(webhookMessageId(opened?.delivery_id as string));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const event = new Webhook(secret).verify(request.body, headersOf(request)) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
    expect(event).toMatchObject({
      type: 'alert.opened',
      data: { rule: 'connection_failing', status: 'open', connection_id: connectionId, platform: 'front' },
    });
    expect((await deliveries(tenantId))[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status: 204 });

    // The condition clears: the resolution is delivered too.
    await setFailures(tenantId, 0);
    await evaluate();
    const resolved = (await deliveries(tenantId)).find((d) => d.event_type === 'alert.resolved');
    await deliver(tenantId, resolved?.delivery_id as string);
    const second = received[1] as Received;
    expect(new Webhook(secret).verify(second.body, headersOf(second))).toMatchObject({
      type: 'alert.resolved',
      data: { alert_id: event.data.alert_id, status: 'resolved' },
    });

    // Running a delivered job again sends nothing.
    await deliver(tenantId, opened?.delivery_id as string, 2);
    expect(received).toHaveLength(2);
  });

  it('fails verification when the body or the signature is tampered with, or with another secret', async () => {
    const { tenantId, secret } = await failingTenant();
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    await deliver(tenantId, delivery?.delivery_id as string);
    const request = received[0] as Received;
    const headers = headersOf(request);
    const webhook = new Webhook(secret);
    expect(() => webhook.verify(request.body, headers)).not.toThrow();
    expect(() => webhook.verify(request.body.replace('"open"', '"resolved"'), headers)).toThrow(
      WebhookVerificationError,
    );
    const signature = headers['webhook-signature'] as string;
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    expect(() => webhook.verify(request.body, { ...headers, 'webhook-signature': flipped })).toThrow(
      WebhookVerificationError,
    );
    expect(() => webhook.verify(request.body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(
      WebhookVerificationError,
    );
    const other = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(() => new Webhook(other).verify(request.body, headers)).toThrow(WebhookVerificationError);
  });

  it('never sends the secret, and stores it only sealed', async () => {
    const { tenantId, secret, apiKey } = await failingTenant();
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    await deliver(tenantId, delivery?.delivery_id as string);
    const key = secret.slice('whsec_'.length);
    const sent = JSON.stringify(received);
    expect(sent).not.toContain(key);
    const stored = await service.ctx.db
      .selectFrom('alert_destinations')
      .select('secret_data')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(JSON.stringify(await deliveries(tenantId))).not.toContain(key);
    const shown = await service.app.inject({
      method: 'GET',
      url: '/alerts/destination',
      headers: service.auth(apiKey),
    });
    expect(shown.body).not.toContain(key);
  });
});

describe('retries', () => {
  it('records a 500 and retries; the next attempt carries the same webhook-id and a fresh signature', async () => {
    const { tenantId, secret } = await failingTenant();
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    const id = delivery?.delivery_id as string;
    answers = [500];
    const before = Date.now();
    await expect(deliver(tenantId, id, 1)).rejects.toThrow(/the receiver answered HTTP 500/);
    const failed = (await deliveries(tenantId))[0];
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_status: 500 });
    expect(failed?.last_error).toBe('the receiver answered HTTP 500');
    expect(failed?.next_attempt_at?.getTime()).toBeGreaterThanOrEqual(before + 2_000); // e^1 s, as graphile-worker

    await deliver(tenantId, id, 2);
    expect((await deliveries(tenantId))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status: 204 });
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([webhookMessageId(id), webhookMessageId(id)]);
    for (const r of received) expect(() => new Webhook(secret).verify(r.body, headersOf(r))).not.toThrow();
  });

  it('is retried by graphile-worker after a 500 until the receiver takes it', async () => {
    const { tenantId, secret } = await failingTenant();
    answers = [500];
    await evaluate();
    const pool = service.database.pool({ max: 4 });
    const worker = await startWorker({
      pool,
      taskList: { deliver_alert: deliverAlertTask(service.ctx) },
      concurrency: 1,
      logger: pino({ level: 'silent' }),
    });
    try {
      const deadline = Date.now() + 20_000;
      while ((await deliveries(tenantId))[0]?.status !== 'delivered' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await worker.stop();
    }
    expect((await deliveries(tenantId))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status: 204 });
    expect(received).toHaveLength(2);
    expect(new Webhook(secret).verify(received[1]?.body as string, headersOf(received[1] as Received))).toMatchObject({
      type: 'alert.opened',
    });
  }, 30_000);

  it('gives up on the last attempt', async () => {
    const { tenantId } = await failingTenant();
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    answers = [503];
    await deliver(tenantId, delivery?.delivery_id as string, 10, 10); // no throw: nothing left to retry
    expect((await deliveries(tenantId))[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status: 503,
      next_attempt_at: null,
    });
  });
});

describe('destinations that are not delivered to', () => {
  it('refuses a destination that resolves to a private address unless the operator allows it; nothing is sent', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const strict = { production: false, allowPrivateNetwork: [] };
    expect(checkDestinationUrl(`http://127.0.0.1:${port}/`, strict)).toMatchObject({ ok: false });
    // A name passes the literal check and is refused when it resolves, before any byte is sent.
    const localhost = `http://localhost:${port}/hooks`;
    expect(checkDestinationUrl(localhost, strict)).toEqual({ ok: true, url: localhost });
    const signed = signAlertDelivery(`whsec_${Buffer.alloc(32, 2).toString('base64')}`, 'd1', { a: 1 }, new Date());
    const outcome = await sendDelivery(localhost, signed, destinationGuard(strict));
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(received).toEqual([]);

    // The same through the job, under settings that allow no private network: failed at once, not retried.
    const { tenantId } = await failingTenant(localhost);
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    const strictCtx = { ...service.ctx, settings: { ...service.ctx.settings, allowPrivateNetwork: [] } };
    await deliverAlertTask(strictCtx)({ tenant_id: tenantId, delivery_id: delivery?.delivery_id }, helpers());
    expect((await deliveries(tenantId))[0]).toMatchObject({ status: 'failed', attempts: 1, last_status: null });
    expect((await deliveries(tenantId))[0]?.last_error).toMatch(/^refused: localhost resolves to/);
    expect(received).toEqual([]);
  });

  it('skips the deliveries of a tenant that removed its destination, and queues none for tenants without one', async () => {
    const { tenantId, apiKey } = await failingTenant();
    await evaluate();
    const [delivery] = await deliveries(tenantId);
    const removed = await service.app.inject({
      method: 'DELETE',
      url: '/alerts/destination',
      headers: service.auth(apiKey),
    });
    expect(removed.statusCode).toBe(204);
    await deliver(tenantId, delivery?.delivery_id as string);
    expect((await deliveries(tenantId))[0]).toMatchObject({ status: 'skipped' });
    expect(received).toEqual([]);

    await setFailures(tenantId, 0);
    await evaluate(); // resolved, with no destination to tell
    expect((await deliveries(tenantId)).map((d) => d.event_type)).toEqual(['alert.opened']);
    const { rows } = await sql<{ status: string }>`select status from alerts where tenant_id = ${tenantId}`.execute(
      service.ctx.db,
    );
    expect(rows).toEqual([{ status: 'resolved' }]);
  });
});
