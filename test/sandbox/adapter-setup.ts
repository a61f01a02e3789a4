/**
 * Adapters from the registry pointed at a running emulator, on the emulator's injected clock: retries sleep by
 * advancing the clock, and the client-side rate limiter paces against the same clock (in a store per clock: the
 * adapters of one emulator share a budget, as the adapters of one connection do, and tests do not share budgets
 * through the process-wide default).
 */
import { getAdapterRegistry } from 'engarde';
import { GoogleAdsAdapter } from 'engarde/adapters/google-ads';
import { HubspotAdapter } from 'engarde/adapters/hubspot';
import { MetaAdsAdapter } from 'engarde/adapters/meta-ads';
import { SalesforceAdapter } from 'engarde/adapters/salesforce';
import { ShopifyAdapter } from 'engarde/adapters/shopify';
import { StripeAdapter } from 'engarde/adapters/stripe';
import {
  type AdapterOptions,
  type AnyAdapter,
  MemoryRateLimitStore,
  type PlatformMeta,
  type RuntimeOptions,
} from 'engarde/runtime';
import { createRateLimiter } from '../../src/runtime/rate-limit/create-rate-limiter.js';
import {
  EMULATED_PLATFORMS,
  type EmulatorControl,
  type ManualClock,
  type OAuthEmulatorControl,
  type RunningEmulator,
} from '../../src/sandbox/index.js';

export const ADAPTER_META: Record<string, PlatformMeta> = {
  'google-ads': GoogleAdsAdapter.meta,
  hubspot: HubspotAdapter.meta,
  'meta-ads': MetaAdsAdapter.meta,
  salesforce: SalesforceAdapter.meta,
  shopify: ShopifyAdapter.meta,
  stripe: StripeAdapter.meta,
};

/** One budget store per clock: adapters of the same emulator share it, as adapters of one connection do. */
const stores = new WeakMap<ManualClock, MemoryRateLimitStore>();
function storeFor(clock: ManualClock): MemoryRateLimitStore {
  let store = stores.get(clock);
  if (!store) {
    store = new MemoryRateLimitStore({ now: clock.now });
    stores.set(clock, store);
  }
  return store;
}

export type ExtraOptions = Partial<AdapterOptions<unknown, unknown>> & RuntimeOptions;

/**
 * @example
 * const adapter = await adapterFor('shopify', running, clock);
 * for await (const c of adapter.list('customers', { pageSize: 5 })) …
 */
export async function adapterFor(
  platform: string,
  running: RunningEmulator,
  clock: ManualClock,
  extra: ExtraOptions = {},
): Promise<AnyAdapter> {
  const emulated = EMULATED_PLATFORMS[platform];
  const meta = ADAPTER_META[platform];
  if (!emulated || !meta) throw new Error(`no emulator or adapter for ${platform}`);
  const control = running.control as EmulatorControl;
  const oauth = 'tokens' in control ? (control as OAuthEmulatorControl) : undefined;
  return getAdapterRegistry().create(platform as 'stripe', {
    credentials: emulated.credentials(control) as never,
    connectionConfig: emulated.connectionConfig as never,
    baseUrl: `${running.origin}${emulated.basePath(meta.apiVersion)}`,
    ...(oauth
      ? {
          oauthClient: {
            clientId: oauth.tokens.clientId,
            clientSecret: oauth.tokens.clientSecret,
            tokenUrl: `${running.origin}${oauth.tokenPath}`,
          },
        }
      : {}),
    sleep: clock.sleep,
    now: clock.now,
    rateLimiter: createRateLimiter({
      platformId: platform,
      config: meta.rateLimit,
      store: storeFor(clock),
      key: 'sandbox-test',
      sleep: clock.sleep,
      now: clock.now,
    }),
    ...(extra as object),
  });
}
