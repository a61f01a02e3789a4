/**
 * Shared by the webhook tests: for every scheme a secret (and a second one for rotations), a body, the URL the
 * delivery goes to and its content type; deliveries signed with `signWebhook`; and every platform (or config) that
 * has signed webhooks, so a test can run across all of them.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type PlatformWebhookConfig,
  registerWebhookConfig,
  type SignedWebhook,
  signWebhook,
  type WebhookRequest,
  type WebhookSchemeName,
} from '../../../src/runtime/index.js';
import { WEBHOOK_SCHEMES } from '../../../src/runtime/platform-schema.js';
import {
  type GenericSignedContentConfig,
  signedContentHmacScheme,
} from '../../../src/runtime/webhooks/signed-content-hmac-scheme.js';
import { webhookSchemeDefaults } from '../../../src/runtime/webhooks/webhook-schemes.js';

export const NOW = new Date('2025-06-01T12:00:00Z');
const JSON_BODY = '{"id":"evt_1","type":"thing.updated","data":{"name":"Zoë","amount":1200}}';
const FORM_BODY = 'AccountSid=AC123&Body=Hello+world&From=%2B15005550006&To=%2B15005550001';

export interface SchemeCase {
  secret: string;
  otherSecret: string;
  rawBody: string;
  url: string;
  contentType: string;
}

const json = {
  rawBody: JSON_BODY,
  url: 'https://hooks.engarde.test/webhooks/acme/event',
  contentType: 'application/json',
};

export const CASES: Record<WebhookSchemeName, SchemeCase> = {
  'stripe-v1': { secret: 'whsec_test_current', otherSecret: 'whsec_test_previous', ...json },
  'shopify-hmac-sha256': { secret: 'shpss_client_secret', otherSecret: 'shpss_old_secret', ...json },
  'github-sha256': { secret: "It's a Secret to Everybody", otherSecret: 'another secret', ...json },
  'meta-sha256': { secret: 'meta-app-secret', otherSecret: 'old-meta-app-secret', ...json },
  'slack-v0': { secret: '8f742231b10e8888abcd99yyyzzz85a5', otherSecret: 'aaaabbbbccccdddd0000111122223333', ...json },
  'twilio-sha1': {
    secret: 'twilio-auth-token-1',
    otherSecret: 'twilio-auth-token-2',
    rawBody: FORM_BODY,
    url: 'https://hooks.engarde.test/webhooks/twilio/sms?tenant=t1',
    contentType: 'application/x-www-form-urlencoded',
  },
  'hubspot-v3': {
    secret: 'hubspot-client-secret',
    otherSecret: 'hubspot-old-secret',
    ...json,
    url: 'https://hooks.engarde.test/webhooks/hubspot/contact?email=a%40b.test',
  },
  'square-hmac-sha256': { secret: 'square-signature-key', otherSecret: 'square-old-key', ...json },
  'standard-webhooks': {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    otherSecret: 'whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==',
    ...json,
  },
  'zendesk-hmac-sha256': {
    secret: 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==',
    otherSecret: 'zendesk-old-secret',
    ...json,
  },
  'xero-hmac-sha256': {
    secret: 'OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRb',
    otherSecret: 'xero-old',
    ...json,
  },
  'intercom-sha1': { secret: 'intercom-client-secret', otherSecret: 'intercom-old-secret', ...json },
};

/** The schemes that sign a timestamp, and so have a replay window. */
export const TIMESTAMPED = new Set<WebhookSchemeName>([
  'stripe-v1',
  'slack-v0',
  'hubspot-v3',
  'standard-webhooks',
  'zendesk-hmac-sha256',
]);

/** The schemes that sign the request URL (and so need a real one). */
export const SIGNS_URL = new Set<WebhookSchemeName>(['twilio-sha1', 'hubspot-v3', 'square-hmac-sha256']);

/** A delivery of the scheme's case, signed at `NOW` unless told otherwise. */
export function signed(
  scheme: WebhookSchemeName,
  overrides: { secret?: string; timestamp?: Date } = {},
): SignedWebhook {
  const c = CASES[scheme];
  return signWebhook(scheme, {
    secret: overrides.secret ?? c.secret,
    rawBody: c.rawBody,
    url: c.url,
    contentType: c.contentType,
    timestamp: overrides.timestamp ?? NOW,
    deliveryId: 'delivery-1',
  });
}

/** The request a signed delivery arrives as. */
export function request(
  scheme: WebhookSchemeName,
  delivery: SignedWebhook,
  rawBody: Buffer | string = CASES[scheme].rawBody,
) {
  return {
    method: 'POST',
    url: delivery.url,
    headers: { 'content-type': CASES[scheme].contentType, ...delivery.headers },
    rawBody,
  } satisfies WebhookRequest;
}

/** A plain body HMAC declared in config, as a platform without a vendor scheme would. */
export const HMAC_BODY_CONFIG = {
  scheme: 'hmac-body',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  signatureHeader: 'X-Acme-Signature',
} as const satisfies PlatformWebhookConfig;

/**
 * A signed string declared in config, with what the catalogue's platforms leave out: the timestamp in its own header
 * (in milliseconds), a signed delivery id, a prefix and SHA-512.
 */
export const HMAC_SIGNED_CONTENT_CONFIG = {
  scheme: 'hmac-signed-content',
  algorithm: 'sha512',
  encoding: 'hex',
  prefix: 'v1=',
  content: '{id}.{timestamp}.{body}',
  signatureHeader: 'X-Acme-Signature',
  timestampHeader: 'X-Acme-Timestamp',
  timestampFormat: 'unix-millis',
  deliveryIdHeader: 'X-Acme-Delivery',
} as const satisfies GenericSignedContentConfig;

/**
 * A delivery signed as a `hmac-signed-content` config says (what the sandbox sends): the headers to send with
 * `rawBody`.
 *
 * @example
 * signWithConfig(paddleWebhooks, { secret, rawBody, timestamp: NOW }); // { 'Paddle-Signature': 'ts=…;h1=…' }
 */
export function signWithConfig(
  config: GenericSignedContentConfig,
  input: { secret: string; rawBody: Buffer | string; timestamp?: Date; deliveryId?: string },
): Record<string, string> {
  const scheme = signedContentHmacScheme(config);
  return scheme.sign({
    secret: input.secret,
    body: Buffer.from(input.rawBody),
    url: undefined,
    method: 'POST',
    timestamp: input.timestamp ?? NOW,
    deliveryId: input.deliveryId ?? 'delivery-1',
    contentType: 'application/json',
    config: scheme.defaults,
  }).headers;
}

/** One way `verifyWebhook` reaches a scheme: a platform id, plus the config passed with it. */
export interface WebhookPlatform {
  label: string;
  platformId: string;
  scheme: WebhookSchemeName | 'hmac-body' | 'hmac-signed-content';
  config?: PlatformWebhookConfig;
}

/** The platforms of `configs/platform_configs_extended.json` with their `webhooks` config. */
const CONFIGURED: ReadonlyArray<{ id: string; webhooks: PlatformWebhookConfig }> = (
  JSON.parse(readFileSync(new URL('../../../configs/platform_configs_extended.json', import.meta.url), 'utf8')) as {
    platforms: Array<{ id: string; webhooks: PlatformWebhookConfig }>;
  }
).platforms;

/**
 * What the service does at start: every configured platform's `webhooks` registered, so `verifyWebhook` knows each
 * platform by its id (there is no built-in table).
 */
export function registerConfiguredWebhooks(): void {
  for (const { id, webhooks } of CONFIGURED) registerWebhookConfig(id, webhooks);
}

/**
 * For each named scheme, the first configured platform that uses it (with its config from
 * `configs/platform_configs_extended.json`), then each scheme no configured platform uses (through a bare config),
 * then a `hmac-body` config, then every configured `hmac-signed-content` platform and a config of that scheme.
 */
export const WEBHOOK_PLATFORMS: readonly WebhookPlatform[] = (() => {
  const platforms: WebhookPlatform[] = [];
  for (const { id, webhooks } of CONFIGURED) {
    const scheme = webhooks.scheme;
    if (scheme === 'none' || scheme === 'hmac-body' || scheme === 'hmac-signed-content') continue;
    if (platforms.some((p) => p.scheme === scheme)) continue;
    // The cases sign with the scheme's own headers: a platform that renames them (Moneybird's Stripe-style
    // Moneybird-Signature) is not the scheme's vendor.
    const ownHeader = webhookSchemeDefaults(scheme).signatureHeader.toLowerCase();
    if ('signatureHeader' in webhooks && webhooks.signatureHeader?.toLowerCase() !== ownHeader) continue;
    platforms.push({ label: `${id} (${scheme})`, platformId: id, scheme, config: webhooks });
  }
  for (const scheme of WEBHOOK_SCHEMES) {
    if (platforms.some((p) => p.scheme === scheme)) continue;
    platforms.push({ label: `acme (${scheme})`, platformId: 'acme', scheme, config: { scheme } });
  }
  platforms.push({ label: 'acme (hmac-body)', platformId: 'acme', scheme: 'hmac-body', config: HMAC_BODY_CONFIG });
  // Each of these is its own format (header layout, content, timestamp), so every configured one is covered.
  for (const { id, webhooks } of CONFIGURED) {
    if (webhooks.scheme !== 'hmac-signed-content') continue;
    platforms.push({ label: `${id} (hmac-signed-content)`, platformId: id, scheme: webhooks.scheme, config: webhooks });
  }
  platforms.push({
    label: 'acme (hmac-signed-content)',
    platformId: 'acme',
    scheme: 'hmac-signed-content',
    config: HMAC_SIGNED_CONTENT_CONFIG,
  });
  return platforms;
})();

/** A request for the platform, signed at `NOW` (or `timestamp`) with its scheme's case secret. */
export function signedRequest(platform: WebhookPlatform, timestamp: Date = NOW): WebhookRequest {
  if (platform.scheme === 'hmac-body') {
    const c = CASES['github-sha256'];
    const digest = createHmac(HMAC_BODY_CONFIG.algorithm, c.secret).update(c.rawBody).digest(HMAC_BODY_CONFIG.encoding);
    return {
      method: 'POST',
      url: c.url,
      headers: {
        'content-type': c.contentType,
        [HMAC_BODY_CONFIG.signatureHeader]: `${HMAC_BODY_CONFIG.prefix}${digest}`,
      },
      rawBody: c.rawBody,
    };
  }
  if (platform.scheme === 'hmac-signed-content') {
    const c = CASES['github-sha256'];
    const config = platform.config as GenericSignedContentConfig;
    const headers = signWithConfig(config, { secret: c.secret, rawBody: c.rawBody, timestamp });
    return { method: 'POST', url: c.url, headers: { 'content-type': c.contentType, ...headers }, rawBody: c.rawBody };
  }
  return request(platform.scheme, signed(platform.scheme, { timestamp }));
}

/** The secret `signedRequest` signs the platform's deliveries with. */
export function secretOf(platform: WebhookPlatform): string {
  const { scheme } = platform;
  return CASES[scheme === 'hmac-body' || scheme === 'hmac-signed-content' ? 'github-sha256' : scheme].secret;
}
