export * from './emulator-server.js';
export { googleAdsEmulator, type GoogleAdsEmulatorOptions } from './platforms/google-ads-emulator.js';
export { hubspotEmulator, type HubSpotEmulatorOptions } from './platforms/hubspot-emulator.js';
export { metaAdsEmulator, type MetaAdsEmulatorOptions } from './platforms/meta-ads-emulator.js';
export { salesforceEmulator, type SalesforceEmulatorOptions } from './platforms/salesforce-emulator.js';
export { shopifyEmulator, type ShopifyEmulatorOptions } from './platforms/shopify-emulator.js';
export { stripeEmulator, type StripeEmulatorOptions } from './platforms/stripe-emulator.js';
