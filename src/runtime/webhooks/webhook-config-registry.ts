/**
 * Which scheme (and headers) a platform id uses.
 *
 * Looked up in this order: a config passed to `verifyWebhook` directly; one registered with
 * `registerWebhookConfig` (the service registers each platform's `webhooks` config at start, tests register
 * their own); the built-in `PLATFORM_WEBHOOK_SCHEMES` table, whose platforms then use the scheme's default headers.
 */
import type { PlatformWebhookConfig, WebhookSchemeName } from './webhook-types.js';

/**
 * The platforms whose scheme is known without any config: the platforms in `configs/` and the vendors the schemes
 * are named after. A test keeps this table in step with `configs/platform_configs_extended.json`.
 */
export const PLATFORM_WEBHOOK_SCHEMES: Readonly<Record<string, WebhookSchemeName | 'none'>> = {
  github: 'github-sha256',
  'google-ads': 'none',
  hubspot: 'hubspot-v3',
  intercom: 'intercom-sha1',
  'meta-ads': 'meta-sha256',
  salesforce: 'none',
  shopify: 'shopify-hmac-sha256',
  slack: 'slack-v0',
  square: 'square-hmac-sha256',
  stripe: 'stripe-v1',
  twilio: 'twilio-sha1',
  xero: 'xero-hmac-sha256',
  zendesk: 'zendesk-hmac-sha256',
};

const registered = new Map<string, PlatformWebhookConfig>();

/**
 * Registers (or replaces) a platform's webhook config; a platform config's `webhooks` object fits as it is.
 *
 * @example
 * registerWebhookConfig('acme', { scheme: 'standard-webhooks' });
 * registerWebhookConfig('shopify', platform.webhooks);
 */
export function registerWebhookConfig(platformId: string, config: PlatformWebhookConfig): void {
  registered.set(platformId, config);
}

/**
 * Removes a registered config, so the built-in table applies again.
 *
 * @example
 * unregisterWebhookConfig('acme'); // verifyWebhook('acme', …) → { ok: false, reason: 'no webhook configuration …' }
 */
export function unregisterWebhookConfig(platformId: string): void {
  registered.delete(platformId);
}

/**
 * The config `verifyWebhook` would use for a platform (when none is passed in), or `undefined` when it is unknown.
 *
 * @example
 * lookupWebhookConfig('stripe'); // { scheme: 'stripe-v1' } unless another config was registered
 */
export function lookupWebhookConfig(platformId: string): PlatformWebhookConfig | undefined {
  const config = registered.get(platformId);
  if (config) return config;
  if (!Object.hasOwn(PLATFORM_WEBHOOK_SCHEMES, platformId)) return undefined;
  return { scheme: PLATFORM_WEBHOOK_SCHEMES[platformId] as WebhookSchemeName | 'none' };
}
