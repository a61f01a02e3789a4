/**
 * Which scheme (and headers) a platform id uses: the platform's own `webhooks` config, never a table of our own.
 *
 * Looked up in this order: a config passed to `verifyWebhook` directly; one registered with
 * `registerWebhookConfig` (one platform, from its config) or `registerPlatformWebhooks` (every platform of a
 * registry, from its adapters' metadata); then the catalogue's, which the generator writes from each platform's
 * config into `generated/adapters/webhook-verification.ts`. A platform id with none of these never verifies.
 */
import { PLATFORM_WEBHOOK_VERIFICATION } from '../../../generated/adapters/webhook-verification.js';
import type { PlatformWebhookConfig } from './webhook-types.js';

const registered = new Map<string, PlatformWebhookConfig>();

/**
 * Registers (or replaces) a platform's webhook config; a platform config's `webhooks` object fits as it is.
 *
 * @example
 * registerWebhookConfig('acme', { scheme: 'standard-webhooks' });
 * registerWebhookConfig('shopify', ShopifyAdapter.meta.webhooks);
 */
export function registerWebhookConfig(platformId: string, config: PlatformWebhookConfig): void {
  registered.set(platformId, config);
}

/** What `registerPlatformWebhooks` needs of a registry: the generated `AdapterRegistry` fits. */
export interface WebhookMetaSource {
  platforms(): ReadonlyArray<{ id: string }>;
  meta(id: string): Promise<{ webhooks: PlatformWebhookConfig }>;
}

/**
 * Registers every platform's `webhooks` config from the generated registry's metadata (loading each adapter), so
 * `verifyWebhook` knows each platform by its id. Returns the ids registered.
 *
 * @example
 * await registerPlatformWebhooks(getAdapterRegistry());
 * verifyWebhook('stripe', request, { secrets }); // with Stripe's configured scheme and headers
 */
export async function registerPlatformWebhooks(source: WebhookMetaSource): Promise<string[]> {
  const ids = source.platforms().map((p) => p.id);
  const metas = await Promise.all(ids.map((id) => source.meta(id)));
  ids.forEach((id, i) => {
    registerWebhookConfig(id, (metas[i] as { webhooks: PlatformWebhookConfig }).webhooks);
  });
  return ids;
}

/**
 * Removes a registered config.
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
 * registerWebhookConfig('stripe', { scheme: 'stripe-v1' });
 * lookupWebhookConfig('stripe'); // { scheme: 'stripe-v1' }
 */
export function lookupWebhookConfig(platformId: string): PlatformWebhookConfig | undefined {
  return (
    registered.get(platformId) ??
    (Object.hasOwn(PLATFORM_WEBHOOK_VERIFICATION, platformId) ? PLATFORM_WEBHOOK_VERIFICATION[platformId] : undefined)
  );
}
