/**
 * The platforms that have an emulator, and what a developer needs to point an adapter at one: the base URL path,
 * the credentials and connection config it accepts, and the token endpoint.
 */
import type { Clock } from './emulator-clock.js';
import type { EmulatorControl, OAuthEmulatorControl, PlatformEmulator } from './emulator-control.js';
import { googleAdsEmulator } from './platforms/google-ads-emulator.js';
import { hubspotEmulator } from './platforms/hubspot-emulator.js';
import { metaAdsEmulator } from './platforms/meta-ads-emulator.js';
import { salesforceEmulator } from './platforms/salesforce-emulator.js';
import { shopifyEmulator } from './platforms/shopify-emulator.js';
import { stripeEmulator } from './platforms/stripe-emulator.js';

export interface EmulatorSetup {
  records?: number | undefined;
  /** The API version in the platform's paths (the adapter's `meta.apiVersion`). */
  apiVersion?: string | undefined;
  now?: Clock | undefined;
  /** `false` turns the documented rate limit off. */
  rateLimit?: boolean | undefined;
  /**
   * Rows per page where the platform, not the request, decides it (Salesforce query batches, Google Ads search
   * pages); small values exercise paging.
   */
  serverPageSize?: number | undefined;
}

export interface EmulatedPlatform {
  id: string;
  /** The emulator's default API version (used when the setup names none). */
  defaultApiVersion: string;
  create(setup: EmulatorSetup): PlatformEmulator<EmulatorControl>;
  /** Path after the origin that adapters use as their base URL. */
  basePath(apiVersion: string): string;
  /** Credentials the emulator accepts, as the adapter takes them. */
  credentials(control: EmulatorControl): Record<string, string>;
  /** Connection config matching the emulator's seeded account. */
  connectionConfig: Record<string, string>;
}

const oauthCredentials = (control: EmulatorControl): Record<string, string> => {
  const { tokens } = control as OAuthEmulatorControl;
  return { accessToken: tokens.current.accessToken, refreshToken: tokens.current.refreshToken };
};

const off = (setup: EmulatorSetup) => (setup.rateLimit === false ? { rateLimit: false as const } : {});
const common = (setup: EmulatorSetup) => ({
  ...(setup.records === undefined ? {} : { records: setup.records }),
  ...(setup.now ? { now: setup.now } : {}),
  ...off(setup),
});

export const EMULATED_PLATFORMS: Readonly<Record<string, EmulatedPlatform>> = {
  'google-ads': {
    id: 'google-ads',
    defaultApiVersion: 'v26',
    create: (s) =>
      googleAdsEmulator({
        ...common(s),
        apiVersion: s.apiVersion ?? 'v26',
        ...(s.serverPageSize ? { pageSize: s.serverPageSize } : {}),
      }),
    basePath: (v) => `/${v}`,
    credentials: oauthCredentials,
    connectionConfig: { customerId: '1234567890' },
  },
  hubspot: {
    id: 'hubspot',
    defaultApiVersion: '2026-09',
    create: (s) => hubspotEmulator({ ...common(s), apiVersion: s.apiVersion ?? '2026-09' }),
    basePath: () => '',
    credentials: oauthCredentials,
    connectionConfig: {},
  },
  'meta-ads': {
    id: 'meta-ads',
    defaultApiVersion: 'v26.0',
    create: (s) => metaAdsEmulator({ ...common(s), apiVersion: s.apiVersion ?? 'v26.0' }),
    basePath: (v) => `/${v}`,
    credentials: (control) => ({ accessToken: (control as OAuthEmulatorControl).tokens.current.accessToken }),
    connectionConfig: { adAccountId: '1234567890' },
  },
  salesforce: {
    id: 'salesforce',
    defaultApiVersion: 'v68.0',
    create: (s) =>
      salesforceEmulator({
        ...common(s),
        apiVersion: s.apiVersion ?? 'v68.0',
        ...(s.serverPageSize ? { batchSize: s.serverPageSize } : {}),
      }),
    basePath: (v) => `/services/data/${v}`,
    credentials: (control) => ({ ...oauthCredentials(control), instanceUrl: 'https://emulator.my.salesforce.com' }),
    connectionConfig: { instance: 'emulator' },
  },
  shopify: {
    id: 'shopify',
    defaultApiVersion: '2026-10',
    create: (s) => shopifyEmulator({ ...common(s), apiVersion: s.apiVersion ?? '2026-10' }),
    basePath: (v) => `/admin/api/${v}`,
    credentials: oauthCredentials,
    connectionConfig: { shop: 'emulator', locationId: '1' },
  },
  stripe: {
    id: 'stripe',
    defaultApiVersion: 'v1',
    create: (s) => stripeEmulator(common(s)),
    basePath: () => '/v1',
    credentials: () => ({ apiKey: 'sk_test_emulator' }),
    connectionConfig: {},
  },
};

/** Ids of the platforms with an emulator, sorted. */
export function emulatedPlatformIds(): string[] {
  return Object.keys(EMULATED_PLATFORMS).sort();
}
