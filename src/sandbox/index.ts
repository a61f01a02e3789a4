export * from './config-driven/index.js';
export * from './emulator-clock.js';
export * from './emulator-control.js';
export * from './emulator-options.js';
export * from './emulator-server.js';
export * from './fault-injector.js';
export * from './oauth-token-issuer.js';
export * from './oauth-token-route.js';
export * from './platform-emulators.js';
export {
  type GoogleAdsEmulatorControl,
  type GoogleAdsEmulatorOptions,
  googleAdsEmulator,
  parseGaql,
} from './platforms/google-ads-emulator.js';
export {
  type HubSpotEmulatorControl,
  type HubSpotEmulatorOptions,
  hubspotEmulator,
} from './platforms/hubspot-emulator.js';
export {
  type MetaAdsEmulatorControl,
  type MetaAdsEmulatorOptions,
  metaAdsEmulator,
} from './platforms/meta-ads-emulator.js';
export {
  parseSoql,
  type SalesforceEmulatorControl,
  type SalesforceEmulatorOptions,
  salesforceEmulator,
} from './platforms/salesforce-emulator.js';
export {
  type ShopifyEmulatorControl,
  type ShopifyEmulatorOptions,
  shopifyEmulator,
} from './platforms/shopify-emulator.js';
export {
  decodeBracketForm,
  type StripeEmulatorControl,
  type StripeEmulatorOptions,
  stripeEmulator,
} from './platforms/stripe-emulator.js';
export * from './rate-limit-emulations.js';
export * from './rate-limiters.js';
export * from './sandbox-command.js';
export * from './sandbox-targets.js';
