export * from './emulator-server.js';
export { type GoogleAdsEmulatorOptions, googleAdsEmulator } from './platforms/google-ads-emulator.js';
export { type HubSpotEmulatorOptions, hubspotEmulator } from './platforms/hubspot-emulator.js';
export { type MetaAdsEmulatorOptions, metaAdsEmulator } from './platforms/meta-ads-emulator.js';
export { type SalesforceEmulatorOptions, salesforceEmulator } from './platforms/salesforce-emulator.js';
export { type ShopifyEmulatorOptions, shopifyEmulator } from './platforms/shopify-emulator.js';
export { type StripeEmulatorOptions, stripeEmulator } from './platforms/stripe-emulator.js';
