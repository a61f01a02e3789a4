import { createHmac } from 'node:crypto';
/** `verifyWebhook` by platform id: where the config comes from, and that unknown or unsigned platforms fail closed. */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lookupWebhookConfig,
  type PlatformWebhookConfig,
  registerPlatformWebhooks,
  registerWebhookConfig,
  signWebhook,
  unregisterWebhookConfig,
  verifyWebhook,
  type WebhookConfig,
  type WebhookRequest,
  type WebhookSchemeName,
} from '../../../src/runtime/index.js';
import { constantTimeEqual } from '../../../src/runtime/webhooks/webhook-crypto.js';
import { webhookSchemeDefaults } from '../../../src/runtime/webhooks/webhook-schemes.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const BODY = '{"id":"evt_1","type":"customer.created"}';
const URL = 'https://hooks.engarde.test/webhooks/acme/event';

function stripeRequest(secret = 'whsec_current'): WebhookRequest {
  const { headers } = signWebhook('stripe-v1', { secret, rawBody: BODY, timestamp: NOW });
  return { method: 'POST', url: URL, headers, rawBody: BODY };
}

interface ConfigFile {
  platforms: Array<{ id: string; webhooks: PlatformWebhookConfig & Record<string, unknown> }>;
}
const configFile = JSON.parse(
  readFileSync(new globalThis.URL('../../../configs/platform_configs_extended.json', import.meta.url), 'utf8'),
) as ConfigFile;

/** The generated registry's shape, over the config file: what `registerPlatformWebhooks` reads. */
const configRegistry = {
  platforms: () => configFile.platforms,
  meta: async (id: string) => configFile.platforms.find((p) => p.id === id) as ConfigFile['platforms'][number],
};

beforeEach(async () => {
  await registerPlatformWebhooks(configRegistry);
});

afterEach(() => {
  for (const id of ['acme', ...configFile.platforms.map((p) => p.id)]) unregisterWebhookConfig(id);
});

describe('verifyWebhook', () => {
  it("verifies a platform by id with its registered config's headers", () => {
    expect(verifyWebhook('stripe', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: true,
      timestamp: NOW,
    });
  });

  it('tries every secret during a rotation', () => {
    const result = verifyWebhook('stripe', stripeRequest('whsec_previous'), {
      secrets: ['whsec_current', 'whsec_previous'],
      now: NOW,
    });
    expect(result.ok).toBe(true);
  });

  it('fails closed for a platform without a webhook configuration', () => {
    expect(verifyWebhook('acme', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: false,
      reason: 'no webhook configuration for platform "acme"',
    });
  });

  it('fails closed for a platform that does not sign webhooks', () => {
    expect(verifyWebhook('google-ads', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: false,
      reason: 'platform "google-ads" does not sign its webhooks',
    });
  });

  it('fails closed before anything else when no secret is configured', () => {
    expect(verifyWebhook('stripe', { ...stripeRequest(), headers: {} }, { secrets: [], now: NOW })).toEqual({
      ok: false,
      reason: 'no webhook secret configured',
    });
  });

  it('uses a registered config for a platform no config file knows', () => {
    registerWebhookConfig('acme', { scheme: 'standard-webhooks' });
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const { headers } = signWebhook('standard-webhooks', {
      secret,
      rawBody: BODY,
      timestamp: NOW,
      deliveryId: 'msg_1',
    });
    const result = verifyWebhook(
      'acme',
      { method: 'POST', url: URL, headers, rawBody: BODY },
      { secrets: [secret], now: NOW },
    );
    expect(result).toEqual({ ok: true, deliveryId: 'msg_1', timestamp: NOW });
  });

  it('uses the latest registration, header overrides included', () => {
    registerWebhookConfig('stripe', { scheme: 'stripe-v1', signatureHeader: 'X-Relayed-Signature' });
    const { headers } = signWebhook('stripe-v1', {
      secret: 'whsec_current',
      rawBody: BODY,
      timestamp: NOW,
      config: { signatureHeader: 'X-Relayed-Signature' },
    });
    const request = { method: 'POST', url: URL, headers, rawBody: BODY };
    expect(verifyWebhook('stripe', request, { secrets: ['whsec_current'], now: NOW }).ok).toBe(true);
    expect(verifyWebhook('stripe', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: false,
      reason: 'missing X-Relayed-Signature header',
    });
  });

  it('prefers a config passed in the options over the registry', () => {
    registerWebhookConfig('acme', { scheme: 'none', reason: 'not yet' });
    const result = verifyWebhook('acme', stripeRequest(), {
      secrets: ['whsec_current'],
      now: NOW,
      config: { scheme: 'stripe-v1' },
    });
    expect(result.ok).toBe(true);
  });

  it("accepts a platform config's webhooks object as it is", () => {
    const fromSchema: WebhookConfig = {
      scheme: 'shopify-hmac-sha256',
      signatureHeader: 'X-Shopify-Hmac-Sha256',
      deliveryIdHeader: 'X-Shopify-Webhook-Id',
      records: {},
      registration: {
        kind: 'api',
        method: 'POST',
        path: '/webhooks.json',
        body: { webhook: { topic: '{event}', address: '{endpointUrl}', format: 'json' } },
        encoding: 'json',
        perEvent: true,
        idPath: 'webhook.id',
        itemPath: '/webhooks/{webhookId}.json',
        secret: { from: 'client-secret' },
        docsUrl: 'https://shopify.dev/docs/api/admin-rest/latest/resources/webhook',
      },
      docsUrl: 'https://shopify.dev/docs/apps/build/webhooks/verify-deliveries',
    };
    registerWebhookConfig('shopify', fromSchema);
    const { headers } = signWebhook('shopify-hmac-sha256', { secret: 'shpss', rawBody: BODY, deliveryId: 'd-1' });
    const request = { method: 'POST', url: URL, headers, rawBody: BODY };
    expect(verifyWebhook('shopify', request, { secrets: ['shpss'] })).toEqual({ ok: true, deliveryId: 'd-1' });
  });

  it('knows every catalogue platform by id from its config, with nothing registered', async () => {
    const { readFile } = await import('node:fs/promises');
    const catalogue = JSON.parse(await readFile('configs/platform_configs_extended.json', 'utf8')) as {
      platforms: Array<{ id: string; webhooks: { scheme: string; signatureHeader?: string } }>;
    };
    unregisterWebhookConfig('stripe');
    for (const { id, webhooks } of catalogue.platforms) {
      const { scheme, signatureHeader } = lookupWebhookConfig(id) as { scheme: string; signatureHeader?: string };
      expect({ scheme, signatureHeader }, id).toEqual({
        scheme: webhooks.scheme,
        signatureHeader: webhooks.signatureHeader,
      });
    }
    expect(verifyWebhook('stripe', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toMatchObject({
      ok: true,
    });
  });

  it('refuses a platform id that is neither registered nor in the catalogue', () => {
    expect(verifyWebhook('acme-private', stripeRequest(), { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: false,
      reason: 'no webhook configuration for platform "acme-private"',
    });
  });

  it('does not treat inherited object keys as platform ids', () => {
    expect(lookupWebhookConfig('constructor')).toBeUndefined();
    expect(lookupWebhookConfig('__proto__')).toBeUndefined();
  });

  it('rejects a body that is not raw bytes', () => {
    const request = { ...stripeRequest(), rawBody: JSON.parse(BODY) as unknown as string };
    expect(verifyWebhook('stripe', request, { secrets: ['whsec_current'], now: NOW })).toEqual({
      ok: false,
      reason: 'rawBody must be the raw request bytes (a Buffer or string), not a parsed body',
    });
  });

  it('rejects a re-serialized body even when it parses to the same JSON', () => {
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    const result = verifyWebhook(
      'stripe',
      { ...stripeRequest(), rawBody: pretty },
      { secrets: ['whsec_current'], now: NOW },
    );
    expect(result).toEqual({ ok: false, reason: 'Stripe-Signature does not match the request' });
  });

  it('reads the current time when no clock is given', () => {
    const { headers } = signWebhook('stripe-v1', { secret: 'whsec_current', rawBody: BODY });
    const result = verifyWebhook(
      'stripe',
      { method: 'POST', url: URL, headers, rawBody: BODY },
      { secrets: ['whsec_current'] },
    );
    expect(result.ok).toBe(true);
  });
});

describe('the platforms in configs/platform_configs_extended.json', () => {
  const signedPlatforms = configFile.platforms;

  it.each(signedPlatforms.map((p) => [p.id, p] as const))(
    '%s: registerPlatformWebhooks registers its configured webhooks',
    (_id, p) => {
      expect(lookupWebhookConfig(p.id)).toBe(p.webhooks);
    },
  );

  // The platforms named after their scheme's vendor (stripe → stripe-v1, meta-ads → meta-sha256): their headers are
  // the scheme's defaults. Others reuse a scheme with their own headers (zoom's slack-v0 signs in x-zm-signature).
  it.each(
    signedPlatforms
      .filter((p) => p.webhooks.scheme !== 'none' && p.webhooks.scheme !== 'hmac-body')
      .filter((p) => p.webhooks.scheme.startsWith(`${p.id.split('-')[0]}-`))
      .map((p) => [p.id, p] as const),
  )('%s: its configured headers are the scheme defaults, and a delivery signed with its config verifies', (_id, p) => {
    const webhooks = p.webhooks as Extract<PlatformWebhookConfig, { scheme: WebhookSchemeName }>;
    const defaults = webhookSchemeDefaults(webhooks.scheme);
    for (const field of ['signatureHeader', 'timestampHeader', 'deliveryIdHeader'] as const) {
      if (webhooks[field]) expect(webhooks[field]?.toLowerCase()).toBe(defaults[field]?.toLowerCase());
    }
    registerWebhookConfig(p.id, webhooks);
    const secret = 'platform-secret';
    const signed = signWebhook(webhooks.scheme, {
      secret,
      rawBody: BODY,
      url: URL,
      timestamp: NOW,
      config: webhooks,
    });
    const request = { method: 'POST', url: signed.url, headers: signed.headers, rawBody: BODY };
    expect(verifyWebhook(p.id, request, { secrets: [secret], now: NOW }).ok).toBe(true);
    unregisterWebhookConfig(p.id);
  });
});

describe('constantTimeEqual', () => {
  const cases: Array<[string, { a: string; b: string; want: boolean }]> = [
    ['equal bytes are equal', { a: 'abc', b: 'abc', want: true }],
    ['one differing byte is not equal', { a: 'abc', b: 'abd', want: false }],
    ['a length mismatch is false, not an exception', { a: 'abc', b: 'abcd', want: false }],
    ['two empty strings are equal', { a: '', b: '', want: true }],
  ];
  it.each(cases)('%s', (_name, { a, b, want }) => {
    expect(constantTimeEqual(Buffer.from(a), Buffer.from(b))).toBe(want);
  });
});

describe('a plain body HMAC declared in config (scheme "hmac-body")', () => {
  const config = {
    scheme: 'hmac-body',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    signatureHeader: 'X-Acme-Signature',
  } as const;
  const body = '{"event":"ping"}';
  const digest = createHmac('sha256', 'acme-secret').update(body).digest('hex');

  it.each([
    ['the documented digest verifies', `sha256=${digest}`, ['acme-secret'], true],
    ['a digest without its prefix fails', digest, ['acme-secret'], false],
    ['a wrong secret fails', `sha256=${digest}`, ['other'], false],
    ['no secret fails closed', `sha256=${digest}`, [], false],
  ])('%s', (_name, header, secrets, ok) => {
    const result = verifyWebhook(
      'acme',
      { method: 'POST', url: 'https://example.test/hook', headers: { 'x-acme-signature': header }, rawBody: body },
      { secrets, config },
    );
    expect(result.ok).toBe(ok);
  });
});
