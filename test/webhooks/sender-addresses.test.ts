/**
 * IP allowlists from the addresses vendors publish for their webhook senders (`webhooks.sourceIps`): which peers a
 * connection that asked for the allowlist accepts, and what the service answers the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import type { PlatformMeta } from '../../src/runtime/adapter-types.js';
import { senderAllowed } from '../../src/webhooks/sender-addresses.js';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;
let tenant: { tenantId: string; apiKey: string };
let github: PlatformMeta;

beforeAll(async () => {
  service = await startTestService();
  tenant = await service.tenant('Allowlist');
  github = (await service.ctx.registry.meta('github')) as PlatformMeta;
  for (const platform of ['github', 'shopify']) {
    await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId: tenant.tenantId,
      platform,
      credentials: { token: 'not-used' },
      connectionConfig: platform === 'shopify' ? { shop: 'acme' } : { owner: 'octo', repo: 'hello' },
    });
  }
});
afterAll(async () => {
  await service?.close();
});

describe('senderAllowed (GitHub publishes its hooks ranges)', () => {
  it.each([
    ['an address inside 192.30.252.0/22', '192.30.253.10', true],
    ['an IPv4-mapped IPv6 peer inside it', '::ffff:140.82.115.4', true],
    ['an IPv6 address inside 2606:50c0::/32', '2606:50c0:8000::153', true],
    ['loopback', '127.0.0.1', false],
    ['the address just past a range', '192.30.0.1', false],
    ['something that is not an address', 'not-an-ip', false],
  ])('%s → %s', (_name, address, allowed) => {
    expect(senderAllowed(github, address)).toBe(allowed);
  });
});

describe('a registration with ip_allowlist', () => {
  it('refuses a delivery from an address the vendor does not publish: 403, counted, not stored', async () => {
    const registered = await service.app.inject({
      method: 'POST',
      url: '/integrations/github/webhooks/register',
      headers: service.auth(tenant.apiKey),
      payload: { events: ['push'], secret: 'allowlisted-secret', ip_allowlist: true },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    expect(registered.json().webhook.ip_allowlist).toBe(true);
    const url = new URL(registered.json().webhook.endpoint_url);
    const response = await service.app.inject({
      method: 'POST',
      url: `${url.pathname}${url.search}`,
      remoteAddress: '203.0.113.9',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().detail).toMatch(/203\.0\.113\.9 is not one GitHub publishes/);
    const rejections = await service.ctx.db
      .selectFrom('webhook_rejections')
      .select('reason')
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    expect(rejections.map((r) => r.reason)).toEqual([expect.stringMatching(/sender address/)]);
    const events = await service.ctx.db
      .selectFrom('platform_event_logs')
      .select('event_id')
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    expect(events).toEqual([]);
  });

  it('is refused (422 naming /ip_allowlist) for a platform that publishes no sender addresses', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/integrations/shopify/webhooks/register',
      headers: service.auth(tenant.apiKey),
      payload: { events: ['orders/create'], secret: 'shopify-secret', ip_allowlist: true },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([expect.objectContaining({ path: '/ip_allowlist' })]);
  });
});
