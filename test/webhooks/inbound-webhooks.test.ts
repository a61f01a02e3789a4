/**
 * Inbound webhooks over HTTP to the running service, signed by the vendors' official SDKs (stripe,
 * @octokit/webhooks-methods, twilio, standardwebhooks) and by the documented schemes (Shopify, Slack): a valid
 * delivery is stored once with its processing job and answered 200; one byte tampered, a wrong secret, a stale
 * timestamp or a missing signature header is answered 401 and stored nowhere; a repeated delivery is answered 200 and
 * not stored again; an unknown endpoint is 404 and an oversized body 413.
 */
import { randomUUID } from 'node:crypto';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { sql } from 'kysely';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { signWebhook } from '../../src/runtime/webhooks/sign-webhook.js';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;
let origin: string;
let tenant: { tenantId: string; apiKey: string };
const stripe = new Stripe('sk_test_not_used_offline');

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** How each platform signs, by its own SDK where it has one: a delivery for an endpoint URL with a secret, at a time. */
const senders: Record<
  string,
  { secret: string; sign(url: string, secret: string, at: Date, body?: string): Promise<Delivery> | Delivery }
> = {
  stripe: {
    secret: `whsec_${'s'.repeat(32)}`,
    sign: (_url, secret, at, body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'customer.updated' })) => ({
      body,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret,
          timestamp: Math.floor(at.getTime() / 1000),
        }),
      },
    }),
  },
  github: {
    secret: 'github-secret-123',
    sign: async (_url, secret, _at, body = JSON.stringify({ action: 'opened', n: randomUUID() })) => ({
      body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await octokitSign(secret, body),
        'x-github-delivery': randomUUID(),
        'x-github-event': 'issues',
      },
    }),
  },
  twilio: {
    secret: 'twilio-auth-token-1',
    sign: (url, secret, _at, body) => {
      const params = body
        ? Object.fromEntries(new URLSearchParams(body))
        : { MessageSid: `SM${randomUUID()}`, Body: 'hi' };
      return {
        body: new URLSearchParams(params).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(secret, url, params),
        },
      };
    },
  },
  etsy: {
    secret: `whsec_${Buffer.from('etsy-signing-secret-0123456789').toString('base64')}`,
    sign: (_url, secret, at, body = JSON.stringify({ event_type: 'order.paid', n: randomUUID() })) => {
      const id = `msg_${randomUUID()}`;
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new StandardWebhook(secret).sign(id, at, body),
        },
      };
    },
  },
  shopify: {
    secret: 'shopify-app-secret',
    sign: (url, secret, at, body = JSON.stringify({ id: Date.now(), n: randomUUID() })) => {
      const signed = signWebhook('shopify-hmac-sha256', { secret, rawBody: body, url, timestamp: at });
      return {
        body,
        headers: { 'content-type': 'application/json', ...lower(signed.headers), 'x-shopify-topic': 'orders/updated' },
      };
    },
  },
  slack: {
    secret: 'slack-signing-secret',
    sign: (url, secret, at, body = JSON.stringify({ type: 'event_callback', event_id: randomUUID() })) => {
      const signed = signWebhook('slack-v0', { secret, rawBody: body, url, timestamp: at });
      return { body, headers: { 'content-type': 'application/json', ...lower(signed.headers) } };
    },
  },
};

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

const endpoints: Record<string, { url: string; connectionId: string }> = {};

beforeAll(async () => {
  service = await startTestService();
  tenant = await service.tenant('Webhooks');
  for (const [platform, sender] of Object.entries(senders)) {
    const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId: tenant.tenantId,
      platform,
      credentials: { apiKey: 'not-used' },
      connectionConfig: platform === 'shopify' ? { shop: 'acme' } : {},
    });
    const response = await service.app.inject({
      method: 'POST',
      url: `/integrations/${platform}/webhooks/register?connection_id=${connection.connectionId}`,
      headers: service.auth(tenant.apiKey),
      payload: { events: ['all.events'], secret: sender.secret },
    });
    expect(response.statusCode, response.body).toBe(201);
    endpoints[platform] = { url: response.json().webhook.endpoint_url, connectionId: connection.connectionId };
  }
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await service?.close();
});

/** Posts to the running service at the path and query of the endpoint URL the platform was given. */
async function post(endpointUrl: string, delivery: Delivery): Promise<Response> {
  const url = new URL(endpointUrl);
  return fetch(`${origin}${url.pathname}${url.search}`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
}

async function storedEvents(connectionId: string): Promise<number> {
  const row = await service.ctx.db
    .selectFrom('platform_event_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const platforms = Object.keys(senders);
const timestamped = new Set(['stripe', 'etsy', 'slack']);

describe.each(platforms)('%s deliveries', (platform) => {
  const sender = senders[platform] as (typeof senders)[string];
  const endpoint = () => endpoints[platform] as { url: string; connectionId: string };

  it('a valid delivery is answered 200 and stored once, with its processing job', async () => {
    const before = await storedEvents(endpoint().connectionId);
    const response = await post(endpoint().url, await sender.sign(endpoint().url, sender.secret, new Date()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, duplicate: false });
    expect(await storedEvents(endpoint().connectionId)).toBe(before + 1);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'process_webhook_event' and j.payload->>'connection_id' = ${endpoint().connectionId}`.execute(
      service.ctx.db,
    );
    expect(rows[0]?.n).toBe(before + 1);
  });

  it('a repeated delivery is answered 200 and not stored again', async () => {
    const delivery = await sender.sign(endpoint().url, sender.secret, new Date());
    expect((await post(endpoint().url, delivery)).status).toBe(200);
    const before = await storedEvents(endpoint().connectionId);
    const again = await post(endpoint().url, delivery);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await storedEvents(endpoint().connectionId)).toBe(before);
  });

  it.each([
    ['one byte tampered', (d: Delivery) => ({ ...d, body: d.body.replace(/.$/, (c) => (c === '}' ? ' ' : 'x')) })],
    ['a missing signature header', (d: Delivery) => ({ ...d, headers: withoutSignature(d.headers) })],
  ])('%s is answered 401 and stored nowhere', async (_what, spoil) => {
    const before = await storedEvents(endpoint().connectionId);
    const response = await post(endpoint().url, spoil(await sender.sign(endpoint().url, sender.secret, new Date())));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await storedEvents(endpoint().connectionId)).toBe(before);
  });

  it('a wrong secret is answered 401', async () => {
    const wrong =
      platform === 'etsy'
        ? `whsec_${Buffer.from('another-secret-entirely-000').toString('base64')}`
        : `${sender.secret}-wrong`;
    const response = await post(endpoint().url, await sender.sign(endpoint().url, wrong, new Date()));
    expect(response.status).toBe(401);
  });
});

describe.each([...timestamped])('%s, a scheme that signs a timestamp', (platform) => {
  it('answers a stale delivery (outside the replay window) 401', async () => {
    const sender = senders[platform] as (typeof senders)[string];
    const endpoint = endpoints[platform] as { url: string };
    const stale = new Date(Date.now() - 10 * 60_000);
    const response = await post(endpoint.url, await sender.sign(endpoint.url, sender.secret, stale));
    expect(response.status).toBe(401);
  });
});

function withoutSignature(headers: Record<string, string>): Record<string, string> {
  const signatureHeaders = new Set([
    'stripe-signature',
    'x-hub-signature-256',
    'x-twilio-signature',
    'webhook-signature',
    'x-shopify-hmac-sha256',
    'x-slack-signature',
  ]);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !signatureHeaders.has(k)));
}

describe('a rotated secret', () => {
  const rotate = (secret: string) =>
    service.app.inject({
      method: 'PUT',
      url: `/integrations/stripe/webhooks/${new URL((endpoints.stripe as { url: string }).url).searchParams.get('endpoint')}/secret`,
      headers: service.auth(tenant.apiKey),
      payload: { secret },
    });
  const deliverWith = async (secret: string) => {
    const url = (endpoints.stripe as { url: string }).url;
    return (await post(url, await (senders.stripe as (typeof senders)[string]).sign(url, secret, new Date()))).status;
  };

  it('verifies deliveries signed with the new secret and, until the next rotation, the previous one', async () => {
    const first = (senders.stripe as { secret: string }).secret;
    expect((await rotate('whsec_second_secret_000')).statusCode).toBe(204);
    expect(await deliverWith('whsec_second_secret_000')).toBe(200);
    expect(await deliverWith(first)).toBe(200);
    expect((await rotate('whsec_third_secret_0000')).statusCode).toBe(204);
    expect(await deliverWith('whsec_third_secret_0000')).toBe(200);
    expect(await deliverWith('whsec_second_secret_000')).toBe(200);
    expect(await deliverWith(first)).toBe(401);
  });

  it('answers 404 for another tenant’s registration', async () => {
    const other = await service.tenant('Rotation other');
    const otherConnection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId: other.tenantId,
      platform: 'stripe',
      credentials: { apiKey: 'x' },
      connectionConfig: {},
    });
    const id = new URL((endpoints.stripe as { url: string }).url).searchParams.get('endpoint');
    const response = await service.app.inject({
      method: 'PUT',
      url: `/integrations/stripe/webhooks/${id}/secret?connection_id=${otherConnection.connectionId}`,
      headers: service.auth(other.apiKey),
      payload: { secret: 'whsec_attacker_secret' },
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('endpoints', () => {
  it.each([
    ['an unknown endpoint id', (u: URL) => u.searchParams.set('endpoint', randomUUID())],
    ['no endpoint id', (u: URL) => u.searchParams.delete('endpoint')],
    ['another platform’s path', (u: URL) => (u.pathname = '/webhooks/github/all.events')],
  ])('%s is 404', async (_what, change) => {
    const url = new URL((endpoints.stripe as { url: string }).url);
    change(url);
    const delivery = await (senders.stripe as (typeof senders)[string]).sign(url.toString(), 'x', new Date());
    const response = await fetch(`${origin}${url.pathname}${url.search}`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(404);
  });

  it('an oversized body is 413', async () => {
    const url = new URL((endpoints.github as { url: string }).url);
    const response = await fetch(`${origin}${url.pathname}${url.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
  });
});

describe('registration and events routes', () => {
  it('lists a connection’s registrations without their secrets', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: `/integrations/stripe/webhooks`,
      headers: service.auth(tenant.apiKey),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain((senders.stripe as { secret: string }).secret);
    expect(response.json().webhooks).toHaveLength(1);
  });

  it('refuses registration without a secret, saying where to find it (422 naming /secret)', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: `/integrations/slack/webhooks/register`,
      headers: service.auth(tenant.apiKey),
      payload: { events: ['message'] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].path).toBe('/secret');
    expect(response.json().detail).toMatch(/Signing Secret/);
  });

  it('lists events newest first with their processing status, and another tenant sees none (404)', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: `/integrations/github/events?limit=1`,
      headers: service.auth(tenant.apiKey),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({ event_type: 'issues', processing_status: 'pending' });
    expect(body.next_cursor).toEqual(expect.any(String));
    const other = await service.tenant('Other');
    const theirs = await service.app.inject({
      method: 'GET',
      url: `/integrations/github/events?connection_id=${(endpoints.github as { connectionId: string }).connectionId}`,
      headers: service.auth(other.apiKey),
    });
    expect(theirs.statusCode).toBe(404);
  });
});
