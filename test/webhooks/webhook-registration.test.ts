/**
 * Registering webhooks through the platforms' APIs (DESIGN.md §4: `POST /integrations/{id}/webhooks/register`
 * without `secret`), against the running service and emulated platforms that deliver for real:
 *
 * - Stripe (hand-written emulator) answers the endpoint's `whsec_…` secret, which signs its deliveries; GitHub
 *   (config-driven sandbox) is sent a secret EnGarde chose; Shopify takes one topic per subscription and signs with
 *   the deployment's OAuth client secret; Asana hands its secret over in a handshake while the create is in flight.
 * - A platform refusing the create leaves no registration behind; disconnecting removes the subscriptions at the
 *   platform; the daily reconcile subscribes again where the platform lost one, and leaves present ones alone.
 * - Every platform whose config subscribes through its API does so against its config-driven sandbox, and a delivery
 *   it signs verifies.
 * - No answer ever carries a signing secret.
 */
import type { JobHelpers } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { reconcileWebhooksTask } from '../../src/jobs/tasks/reconcile_webhooks.js';
import type { PlatformMeta } from '../../src/runtime/adapter-types.js';
import {
  type RunningConfigDrivenEmulator,
  type RunningEmulator,
  startConfigDrivenEmulator,
  startEmulator,
} from '../../src/sandbox/index.js';
import { shopifyEmulator } from '../../src/sandbox/platforms/shopify-emulator.js';
import { stripeEmulator } from '../../src/sandbox/platforms/stripe-emulator.js';
import { insertWebhook } from '../../src/webhooks/webhook-store.js';
import { startTestService, type TestService } from '../support/service.js';

type Json = Record<string, unknown>;

/** A tenant of a running service, listening on a port the platforms can deliver to. */
interface Deployment {
  service: TestService;
  /** `http://127.0.0.1:<port>`: passed as `endpoint_url`, so the endpoint URL platforms are given reaches us. */
  origin: string;
  tenantId: string;
  apiKey: string;
}

interface Webhook {
  webhook_id: string;
  endpoint_url: string;
  events: string[];
  registered_at_platform: boolean;
  platform_webhook_ids: string[];
  reconciled_at: string | null;
  instructions?: string;
}

async function deploy(service: TestService): Promise<Deployment> {
  const origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const { tenantId, apiKey } = await service.tenant('Webhook registration');
  return { service, origin, tenantId, apiKey };
}

async function connect(
  d: Deployment,
  platform: string,
  credentials: Json,
  connectionConfig: Json = {},
): Promise<string> {
  const row = await insertConnection(d.service.ctx.db, d.service.ctx.settings.keyRing, {
    tenantId: d.tenantId,
    platform,
    credentials,
    connectionConfig,
  });
  return row.connectionId;
}

/** Every answer a test received, for the check that no secret is ever in one. */
const answered: string[] = [];

async function call(d: Deployment, method: 'GET' | 'POST' | 'PUT', url: string, payload?: Json) {
  const response = await d.service.app.inject({
    method,
    url,
    headers: d.service.auth(d.apiKey),
    ...(payload ? { payload } : {}),
  });
  answered.push(response.body);
  return response;
}

/** `POST …/webhooks/register` without a secret: EnGarde subscribes through the platform's API. */
function register(d: Deployment, platform: string, connectionId: string, events: string[]) {
  return call(d, 'POST', `/integrations/${platform}/webhooks/register?connection_id=${connectionId}`, {
    events,
    endpoint_url: d.origin,
  });
}

async function webhooksOf(d: Deployment, platform: string, connectionId: string): Promise<Webhook[]> {
  const response = await call(d, 'GET', `/integrations/${platform}/webhooks?connection_id=${connectionId}`);
  return response.json().webhooks as Webhook[];
}

async function deliveryIds(d: Deployment, platform: string, connectionId: string): Promise<string[]> {
  const response = await call(d, 'GET', `/integrations/${platform}/events?connection_id=${connectionId}`);
  return (response.json().events as Array<{ delivery_id: string }>).map((e) => e.delivery_id);
}

async function audited(d: Deployment, action: string): Promise<Array<{ target_id: string; details: Json }>> {
  const response = await call(d, 'GET', `/audit-log?action=${action}`);
  return response.json().entries;
}

/** Runs the daily `reconcile_webhooks` job body once, as a worker would. */
async function reconcile(service: TestService): Promise<void> {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  await reconcileWebhooksTask(service.ctx)({}, { logger } as unknown as JobHelpers);
}

// ---------------------------------------------------------------------------------------------------------------
// Stripe and Shopify, by their hand-written emulators.

/** How far the service's clock is ahead: the reconcile skips registrations checked in the last 20 hours. */
let clockAheadMs = 0;
let stripe: RunningEmulator<ReturnType<typeof stripeEmulator>>;
let shopify: RunningEmulator<ReturnType<typeof shopifyEmulator>>;
let main: Deployment;
const SHOPIFY = { shop: 'emulator', locationId: '1' };
const shopifyCredentials = () => ({
  accessToken: shopify.control.tokens.current.accessToken,
  refreshToken: shopify.control.tokens.current.refreshToken,
});

beforeAll(async () => {
  stripe = await startEmulator(stripeEmulator({ rateLimit: false }));
  shopify = await startEmulator(shopifyEmulator({ rateLimit: false }));
  const service = await startTestService({
    now: () => new Date(Date.now() + clockAheadMs),
    overrides: {
      stripe: { baseUrl: `${stripe.origin}/v1` },
      shopify: {
        baseUrl: `${shopify.origin}/admin/api/2026-10`,
        oauth: {
          clientId: shopify.control.tokens.clientId,
          clientSecret: shopify.control.tokens.clientSecret,
          tokenUrl: `${shopify.origin}${shopify.control.tokenPath}`,
        },
      },
    },
  });
  main = await deploy(service);
});

afterAll(async () => {
  await main?.service.close();
  await stripe?.close();
  await shopify?.close();
});

describe('Stripe: registering without a secret', () => {
  let connectionId: string;
  let response: Awaited<ReturnType<typeof register>>;
  let webhook: Webhook;

  beforeAll(async () => {
    connectionId = await connect(main, 'stripe', { apiKey: 'sk_test_emulator' });
    response = await register(main, 'stripe', connectionId, ['customer.updated', 'customer.created']);
    webhook = response.json().webhook;
  });

  it("subscribes through Stripe's API: 201, registered_at_platform, and Stripe's endpoint id stored", async () => {
    expect(response.statusCode, response.body).toBe(201);
    expect(webhook.registered_at_platform).toBe(true);
    expect(webhook.platform_webhook_ids).toEqual([expect.stringMatching(/^we_/)]);
    expect((await webhooksOf(main, 'stripe', connectionId))[0]?.platform_webhook_ids).toEqual(
      webhook.platform_webhook_ids,
    );
  });

  it('Stripe holds the endpoint: our endpoint URL, the events asked for, enabled', () => {
    const endpoint = stripe.control.webhookEndpoints().find((e) => e.id === webhook.platform_webhook_ids[0]);
    expect(endpoint).toMatchObject({
      url: webhook.endpoint_url,
      enabled_events: ['customer.updated', 'customer.created'],
      status: 'enabled',
    });
    expect(webhook.endpoint_url.startsWith(`${main.origin}/webhooks/stripe/`)).toBe(true);
  });

  it('a delivery Stripe signs with the whsec_ secret it returned verifies and is stored', async () => {
    const id = webhook.platform_webhook_ids[0] as string;
    const delivery = await stripe.control.deliver(id, {
      type: 'customer.updated',
      data: { object: { id: 'cus_00000000000001', object: 'customer', email: 'ada@example.com' } },
    });
    expect(delivery.status, delivery.body).toBe(200);
    expect(await deliveryIds(main, 'stripe', connectionId)).toContain(delivery.eventId);
  });

  it('the secret appears in no answer: not the registration, the listing, the events or the audit log', async () => {
    const secret = stripe.control.webhookEndpoints().find((e) => e.id === webhook.platform_webhook_ids[0])
      ?.secret as string;
    expect(secret).toMatch(/^whsec_/);
    await webhooksOf(main, 'stripe', connectionId);
    await deliveryIds(main, 'stripe', connectionId);
    await audited(main, 'webhook.registered');
    expect(answered.length).toBeGreaterThan(3);
    for (const body of answered) expect(body).not.toContain(secret);
  });
});

describe('Shopify: one subscription per topic, signed with the OAuth app client secret', () => {
  let connectionId: string;
  let webhook: Webhook;

  beforeAll(async () => {
    connectionId = await connect(main, 'shopify', shopifyCredentials(), SHOPIFY);
    const response = await register(main, 'shopify', connectionId, ['orders/create', 'orders/updated']);
    expect(response.statusCode, response.body).toBe(201);
    webhook = response.json().webhook;
  });

  it('makes one subscription per event, each with our endpoint URL as its address', () => {
    expect(webhook.registered_at_platform).toBe(true);
    expect(webhook.platform_webhook_ids).toHaveLength(2);
    const held = shopify.control.webhooks().filter((w) => webhook.platform_webhook_ids.includes(String(w.id)));
    expect(held.map((w) => [w.topic, w.address])).toEqual([
      ['orders/create', webhook.endpoint_url],
      ['orders/updated', webhook.endpoint_url],
    ]);
  });

  it("a delivery signed with the deployment's client secret verifies and is stored", async () => {
    const delivery = await shopify.control.deliver(webhook.platform_webhook_ids[1] as string, {
      id: 450789469,
      email: 'bob@example.com',
    });
    expect(delivery.status, delivery.body).toBe(200);
    expect(await deliveryIds(main, 'shopify', connectionId)).toContain(delivery.deliveryId);
  });

  it('without a client secret in the deployment: 422 naming ENGARDE_PLATFORM_OVERRIDES, nothing registered', async () => {
    const bare = await deploy(await startTestService());
    try {
      const id = await connect(bare, 'shopify', { accessToken: 'shpat_unused' }, SHOPIFY);
      const response = await register(bare, 'shopify', id, ['orders/create']);
      expect(response.statusCode).toBe(422);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.json().detail).toContain('ENGARDE_PLATFORM_OVERRIDES');
      expect(response.json().errors).toEqual([expect.objectContaining({ path: '/secret' })]);
      expect(await webhooksOf(bare, 'shopify', id)).toEqual([]);
    } finally {
      await bare.service.close();
    }
  });
});

describe('a platform refusing the create', () => {
  const cases: Array<[string, number, () => Promise<{ platform: string; connectionId: string; events: string[] }>]> = [
    [
      'Stripe refusing the API key (401)',
      409,
      async () => ({
        platform: 'stripe',
        connectionId: await connect(main, 'stripe', { apiKey: 'sk_test_revoked' }),
        events: ['customer.updated'],
      }),
    ],
    [
      'Shopify refusing an unknown topic (422)',
      422,
      async () => ({
        platform: 'shopify',
        connectionId: await connect(main, 'shopify', shopifyCredentials(), SHOPIFY),
        events: ['orders/teleported'],
      }),
    ],
  ];

  it.each(cases)('%s: a %i problem (no 5xx), and no registration left', async (_what, status, setup) => {
    const { platform, connectionId, events } = await setup();
    const response = await register(main, platform, connectionId, events);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(await webhooksOf(main, platform, connectionId)).toEqual([]);
  });

  it('Shopify refusing the second of two topics: the first subscription is not left at Shopify', async () => {
    const connectionId = await connect(main, 'shopify', shopifyCredentials(), SHOPIFY);
    const before = shopify.control.webhooks().length;
    const response = await register(main, 'shopify', connectionId, ['customers/create', 'customers/teleported']);
    expect(response.statusCode, response.body).toBe(422);
    expect(await webhooksOf(main, 'shopify', connectionId)).toEqual([]);
    expect(shopify.control.webhooks()).toHaveLength(before);
  });
});

describe('disconnecting', () => {
  it.each([
    ['stripe', ['customer.updated'], 1],
    ['shopify', ['products/create', 'products/update'], 2],
  ] as const)(
    '%s: removes the subscriptions at the platform and reports how many (%j → %i)',
    async (platform, events, n) => {
      const connectionId =
        platform === 'stripe'
          ? await connect(main, 'stripe', { apiKey: 'sk_test_emulator' })
          : await connect(main, 'shopify', shopifyCredentials(), SHOPIFY);
      const registered = await register(main, platform, connectionId, [...events]);
      expect(registered.statusCode, registered.body).toBe(201);
      const url = (registered.json().webhook as Webhook).endpoint_url;
      const held = () =>
        platform === 'stripe'
          ? stripe.control.webhookEndpoints().filter((e) => e.url === url)
          : shopify.control.webhooks().filter((w) => w.address === url);
      expect(held()).toHaveLength(n);

      const response = await call(main, 'POST', `/integrations/${platform}/disconnect?connection_id=${connectionId}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().webhook_subscriptions_removed).toBe(n);
      expect(held()).toEqual([]);
      const [entry] = (await audited(main, 'connection.disconnected')).filter((e) => e.target_id === connectionId);
      expect(entry?.details).toMatchObject({ webhook_subscriptions_removed: n });
    },
  );
});

describe('the daily reconcile (reconcile_webhooks)', () => {
  /** Runs the job as it would run a day after the registrations were last checked. */
  const aDayLater = async () => {
    clockAheadMs = 21 * 60 * 60_000;
    try {
      await reconcile(main.service);
    } finally {
      clockAheadMs = 0;
    }
  };

  it('subscribes again where Stripe lost the endpoint, rotates the new secret in, and audits it', async () => {
    const connectionId = await connect(main, 'stripe', { apiKey: 'sk_test_emulator' });
    const registered = await register(main, 'stripe', connectionId, ['invoice.created']);
    const webhook = registered.json().webhook as Webhook;
    const lost = webhook.platform_webhook_ids[0] as string;
    expect(stripe.control.dropWebhookEndpoint(lost)).toBe(true);

    await aDayLater();

    const [after] = await webhooksOf(main, 'stripe', connectionId);
    expect(after?.registered_at_platform).toBe(true);
    expect(after?.platform_webhook_ids).toEqual([expect.stringMatching(/^we_/)]);
    const renewed = after?.platform_webhook_ids[0] as string;
    expect(renewed).not.toBe(lost);
    expect(stripe.control.webhookEndpoints().find((e) => e.id === renewed)?.url).toBe(webhook.endpoint_url);

    const delivery = await stripe.control.deliver(renewed, { type: 'invoice.created' });
    expect(delivery.status, delivery.body).toBe(200);

    const entries = (await audited(main, 'webhook.resubscribed')).filter((e) => e.target_id === webhook.webhook_id);
    expect(entries).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ platform_webhook_ids: [renewed] }) }),
    ]);
  });

  it('finishes a registration cut off before the platform answered (a kill -9 between our insert and its reply)', async () => {
    const connectionId = await connect(main, 'stripe', { apiKey: 'sk_test_emulator' });
    // What the register route leaves when the process dies before the platform answers: the row, no subscription.
    const cut = await insertWebhook(main.service.ctx.db, main.service.ctx.settings.keyRing, {
      tenantId: main.tenantId,
      connectionId,
      platform: 'stripe',
      events: ['customer.updated'],
      publicUrl: main.origin,
      secret: undefined,
      throughApi: true,
    });

    await aDayLater();

    const [after] = await webhooksOf(main, 'stripe', connectionId);
    expect(after).toMatchObject({ webhook_id: cut.webhookId, registered_at_platform: true });
    const id = after?.platform_webhook_ids[0] as string;
    expect(stripe.control.webhookEndpoints().find((e) => e.id === id)?.url).toBe(cut.endpointUrl);
    const delivery = await stripe.control.deliver(id, { type: 'customer.updated' });
    expect(delivery.status, delivery.body).toBe(200);
  });

  it('leaves a registration made with a dashboard secret alone: nothing to check at the platform', async () => {
    const connectionId = await connect(main, 'stripe', { apiKey: 'sk_test_emulator' });
    const response = await call(main, 'POST', `/integrations/stripe/webhooks/register?connection_id=${connectionId}`, {
      events: ['refund.created'],
      secret: `whsec_${'d'.repeat(32)}`,
    });
    expect(response.statusCode, response.body).toBe(201);
    const endpoints = stripe.control.webhookEndpoints().length;

    await aDayLater();

    const [after] = await webhooksOf(main, 'stripe', connectionId);
    expect(after).toMatchObject({ registered_at_platform: false, platform_webhook_ids: [], reconciled_at: null });
    expect(stripe.control.webhookEndpoints()).toHaveLength(endpoints);
  });

  it('leaves a present subscription alone (same id, same secret), only noting when it was checked', async () => {
    const connectionId = await connect(main, 'stripe', { apiKey: 'sk_test_emulator' });
    const registered = await register(main, 'stripe', connectionId, ['charge.succeeded']);
    const webhook = registered.json().webhook as Webhook;
    const [endpoint] = stripe.control.webhookEndpoints().filter((e) => e.id === webhook.platform_webhook_ids[0]);

    await aDayLater();

    const [after] = await webhooksOf(main, 'stripe', connectionId);
    expect(after?.platform_webhook_ids).toEqual(webhook.platform_webhook_ids);
    expect(Date.parse(after?.reconciled_at ?? '')).toBeGreaterThan(Date.parse(webhook.reconciled_at ?? ''));
    expect(stripe.control.webhookEndpoints().filter((e) => e.url === webhook.endpoint_url)).toEqual([endpoint]);
    const audits = await audited(main, 'webhook.resubscribed');
    expect(audits.filter((e) => e.target_id === webhook.webhook_id)).toEqual([]);
  });
});

describe('the emulators answer as the platforms document', () => {
  const stripeCall = (method: string, path: string, form?: Record<string, string>) =>
    fetch(`${stripe.origin}/v1${path}`, {
      method,
      headers: {
        authorization: 'Bearer sk_test_emulator',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
  const shopifyCall = (method: string, path: string, body?: Json) =>
    fetch(`${shopify.origin}/admin/api/2026-10${path}`, {
      method,
      headers: {
        'x-shopify-access-token': shopify.control.tokens.current.accessToken,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('Stripe: the secret only in the create answer; DELETE answers deleted: true; then the id is unknown', async () => {
    const created = await stripeCall('POST', '/webhook_endpoints', {
      url: 'https://example.com/hook',
      'enabled_events[0]': 'charge.succeeded',
    });
    const endpoint = (await created.json()) as Json;
    expect(endpoint).toMatchObject({
      id: expect.stringMatching(/^we_/),
      object: 'webhook_endpoint',
      url: 'https://example.com/hook',
      enabled_events: ['charge.succeeded'],
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_/),
      livemode: false,
      metadata: {},
    });
    const read = (await (await stripeCall('GET', `/webhook_endpoints/${endpoint.id}`)).json()) as Json;
    expect(read).not.toHaveProperty('secret');
    expect(await (await stripeCall('DELETE', `/webhook_endpoints/${endpoint.id}`)).json()).toEqual({
      id: endpoint.id,
      object: 'webhook_endpoint',
      deleted: true,
    });
    const gone = await stripeCall('GET', `/webhook_endpoints/${endpoint.id}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as Json).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'resource_missing',
    });
  });

  it.each([
    ['url', { 'enabled_events[0]': 'charge.succeeded' }],
    ['enabled_events', { url: 'https://example.com/hook' }],
  ])('Stripe: a create without %s is a 400 parameter_missing', async (param, form) => {
    const response = await stripeCall('POST', '/webhook_endpoints', form);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({ code: 'parameter_missing', param });
  });

  it('Shopify: 201 with the webhook, GET reads it, DELETE answers {} and then 404 Not Found', async () => {
    const created = await shopifyCall('POST', '/webhooks.json', {
      webhook: { topic: 'shop/update', address: 'https://example.com/shopify', format: 'json' },
    });
    expect(created.status).toBe(201);
    const { webhook } = (await created.json()) as { webhook: Json };
    expect(webhook).toMatchObject({
      id: expect.any(Number),
      address: 'https://example.com/shopify',
      topic: 'shop/update',
      format: 'json',
      api_version: '2026-10',
      fields: [],
      metafield_namespaces: [],
    });
    const read = (await (await shopifyCall('GET', `/webhooks/${webhook.id}.json`)).json()) as Json;
    expect(read.webhook).toEqual(webhook);
    const deleted = await shopifyCall('DELETE', `/webhooks/${webhook.id}.json`);
    expect([deleted.status, await deleted.json()]).toEqual([200, {}]);
    const gone = await shopifyCall('GET', `/webhooks/${webhook.id}.json`);
    expect([gone.status, await gone.json()]).toEqual([404, { errors: 'Not Found' }]);
  });

  it.each([
    ['topic', { address: 'https://example.com/shopify' }],
    ['address', { topic: 'shop/update' }],
  ])('Shopify: a webhook without %s is a 422 "can\'t be blank"', async (field, webhook) => {
    const response = await shopifyCall('POST', '/webhooks.json', { webhook });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ errors: { [field]: ["can't be blank"] } });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every platform that subscribes through its API, against its config-driven sandbox.

const registry = getAdapterRegistry();
const metas = await Promise.all(registry.platforms().map((p) => registry.meta(p.id) as Promise<PlatformMeta>));
const apiPlatforms = metas.filter(
  (m) => m.webhooks.scheme !== 'none' && m.webhooks.registration.kind === 'api',
) as PlatformMeta[];

/** Event types each platform names (any non-empty name is subscribed by the sandbox; these read like the docs). */
const EVENTS: Record<string, string[]> = {
  airtable: ['tableData'],
  asana: ['changed'],
  bitbucket: ['repo:push', 'pullrequest:created'],
  'checkout-com': ['payment_approved'],
  clickup: ['taskCreated', 'taskUpdated'],
  easypost: ['tracker.updated'],
  github: ['issues', 'pull_request'],
  'help-scout': ['convo.created'],
  mailerlite: ['subscriber.created'],
  pagerduty: ['incident.triggered'],
  shopify: ['orders/create', 'orders/updated'],
  stripe: ['customer.updated'],
  woocommerce: ['order.created', 'order.updated'],
  workable: ['candidate_created'],
  zendesk: ['conditional_ticket_events'],
};
const CATALOGUE_SHOPIFY_SECRET = 'catalogue-shopify-app-client-secret';

let catalogue: Deployment;
const sandboxes = new Map<string, RunningConfigDrivenEmulator>();
const connections = new Map<string, string>();

beforeAll(async () => {
  for (const meta of apiPlatforms) sandboxes.set(meta.id, await startConfigDrivenEmulator(meta));
  const overrides = Object.fromEntries(
    [...sandboxes].map(([id, sandbox]) => [
      id,
      {
        baseUrl: sandbox.baseUrl,
        ...(id === 'shopify'
          ? { oauth: { clientId: 'catalogue-shopify', clientSecret: CATALOGUE_SHOPIFY_SECRET } }
          : {}),
      },
    ]),
  );
  catalogue = await deploy(await startTestService({ overrides }));
  for (const [id, sandbox] of sandboxes) {
    const { credentials, connectionConfig } = sandbox.adapterOptions();
    connections.set(id, await connect(catalogue, id, credentials, connectionConfig));
  }
});

afterAll(async () => {
  await catalogue?.service.close();
  for (const sandbox of sandboxes.values()) await sandbox.close();
});

const sandboxOf = (id: string) => sandboxes.get(id) as RunningConfigDrivenEmulator;
const connectionOf = (id: string) => connections.get(id) as string;

describe('GitHub (config-driven sandbox): EnGarde chooses the secret and sends it', () => {
  let webhook: Webhook;

  beforeAll(async () => {
    const response = await register(catalogue, 'github', connectionOf('github'), ['issues']);
    expect(response.statusCode, response.body).toBe(201);
    webhook = response.json().webhook;
  });

  const subscription = () =>
    sandboxOf('github')
      .control.webhookSubscriptions()
      .find((s) => s.id === webhook.platform_webhook_ids[0]);

  it("sends a generated secret in the create body's config.secret, and never answers it", () => {
    const sent = subscription()?.body.config as Json;
    expect(sent).toMatchObject({ url: webhook.endpoint_url, content_type: 'json' });
    expect(sent.secret).toMatch(/^[0-9a-f]{64}$/);
    for (const body of answered) expect(body).not.toContain(sent.secret);
  });

  it('a delivery GitHub signs with that secret verifies and is stored', async () => {
    const delivery = await sandboxOf('github').control.deliver(webhook.platform_webhook_ids[0] as string, {
      payload: { action: 'opened', issue: { id: 1, number: 1, updated_at: new Date().toISOString() } },
    });
    expect(delivery.status, delivery.body).toBe(200);
    expect(await deliveryIds(catalogue, 'github', connectionOf('github'))).toContain(delivery.deliveryId);
  });

  it('the sandbox answers its item path while it holds the subscription, and 404 once it lost it', async () => {
    const id = webhook.platform_webhook_ids[0] as string;
    const adapter = await registry.create('github', {
      ...sandboxOf('github').adapterOptions(),
      tenantId: 't',
    } as never);
    try {
      expect(await adapter.hasWebhookSubscription(id)).toBe(true);
      expect(sandboxOf('github').control.dropWebhookSubscription(id)).toBe(true);
      expect(await adapter.hasWebhookSubscription(id)).toBe(false);
      expect(await adapter.unsubscribeWebhook(id)).toBe(false);
    } finally {
      await adapter.close();
    }
  });
});

describe("Asana's handshake: the secret arrives in X-Hook-Secret while the create is in flight", () => {
  let webhook: Webhook;
  let connectionId: string;

  beforeAll(async () => {
    const { credentials, connectionConfig } = sandboxOf('asana').adapterOptions();
    connectionId = await connect(catalogue, 'asana', credentials, connectionConfig);
    const response = await register(catalogue, 'asana', connectionId, ['changed']);
    expect(response.statusCode, response.body).toBe(201);
    webhook = response.json().webhook;
  });

  const subscription = () =>
    sandboxOf('asana')
      .control.webhookSubscriptions()
      .find((s) => s.id === webhook.platform_webhook_ids[0]);

  it('the service echoes the header, so Asana makes the subscription', () => {
    expect(webhook.registered_at_platform).toBe(true);
    expect(subscription()?.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(webhook.instructions).toBeUndefined();
  });

  it('a later delivery signed with the handed-over secret verifies and is stored', async () => {
    const delivery = await sandboxOf('asana').control.deliver(webhook.platform_webhook_ids[0] as string, {
      payload: { events: [{ action: 'changed', resource: { gid: '1', resource_type: 'task' } }] },
    });
    expect(delivery.status, delivery.body).toBe(200);
    expect(await deliveryIds(catalogue, 'asana', connectionId)).toHaveLength(1);
  });

  it('a second X-Hook-Secret, once the secret is set, is not taken: 401, not echoed, the first secret still signs', async () => {
    const endpoint = new URL(webhook.endpoint_url);
    const intruder = await fetch(`${catalogue.origin}${endpoint.pathname}${endpoint.search}`, {
      method: 'POST',
      headers: { 'X-Hook-Secret': 'an-intruders-secret-0123456789' },
    });
    expect(intruder.status).toBe(401);
    expect(intruder.headers.get('x-hook-secret')).toBeNull();

    const id = webhook.platform_webhook_ids[0] as string;
    const spoofed = await sandboxOf('asana').control.deliver(id, { secret: 'an-intruders-secret-0123456789' });
    expect(spoofed.status).toBe(401);
    expect((await sandboxOf('asana').control.deliver(id)).status).toBe(200);
  });
});

describe.each(apiPlatforms.map((m) => [m.id, m] as const))('%s, against its config-driven sandbox', (id, meta) => {
  const registration = meta.webhooks.scheme !== 'none' ? meta.webhooks.registration : undefined;
  const source = registration?.kind === 'api' ? registration.secret.from : undefined;
  const events = EVENTS[id] ?? ['record.updated'];
  let response: Awaited<ReturnType<typeof register>>;
  let webhook: Webhook;

  beforeAll(async () => {
    response = await register(catalogue, id, connectionOf(id), events);
    webhook = response.json().webhook;
  });

  it('subscribes through its API: 201, registered at the platform, its ids stored, the sandbox holding them', () => {
    expect(response.statusCode, response.body).toBe(201);
    expect(webhook.registered_at_platform).toBe(true);
    const held = sandboxOf(id)
      .control.webhookSubscriptions()
      .filter((s) => s.endpointUrl === webhook.endpoint_url);
    expect(held.map((s) => s.id).sort()).toEqual([...webhook.platform_webhook_ids].sort());
    expect(held.length).toBe(registration?.kind === 'api' && registration.perEvent ? events.length : 1);
  });

  it(`a delivery it signs verifies (secret from: ${source})`, async () => {
    let secret: string | undefined;
    if (source === 'client-secret') secret = CATALOGUE_SHOPIFY_SECRET;
    if (source === 'user') {
      // The user copies the secret from the platform's dashboard, as the registration's instructions say.
      expect(webhook.instructions).toContain(`/webhooks/${webhook.webhook_id}/secret`);
      // In the scheme's own form: Standard Webhooks secrets are whsec_<base64 key>.
      const copied = `copied-from-the-${id}-dashboard`;
      secret =
        meta.webhooks.scheme === 'standard-webhooks' ? `whsec_${Buffer.from(copied).toString('base64')}` : copied;
      const put = await call(
        catalogue,
        'PUT',
        `/integrations/${id}/webhooks/${webhook.webhook_id}/secret?connection_id=${connectionOf(id)}`,
        { secret },
      );
      expect(put.statusCode, put.body).toBe(204);
    }
    const delivery = await sandboxOf(id).control.deliver(webhook.platform_webhook_ids[0] as string, { secret });
    expect(delivery.status, delivery.body).toBe(200);
  });
});

describe('every answer this file received', () => {
  it('carried no signing secret: neither one a platform returned, one EnGarde sent, nor one handed over', () => {
    const secrets = [
      ...stripe.control.webhookEndpoints().map((e) => e.secret as string),
      ...[...sandboxes.values()].flatMap((s) => s.control.webhookSubscriptions().map((w) => w.secret)),
      shopify.control.tokens.clientSecret,
      CATALOGUE_SHOPIFY_SECRET,
    ].filter((s): s is string => typeof s === 'string');
    expect(secrets.length).toBeGreaterThan(15);
    for (const body of answered) for (const secret of secrets) expect(body).not.toContain(secret);
  });
});
