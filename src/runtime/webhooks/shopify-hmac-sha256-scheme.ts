/**
 * Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed with the app's client secret;
 * `X-Shopify-Webhook-Id` identifies the delivery.
 * https://shopify.dev/docs/apps/build/webhooks/verify-deliveries
 */
import { base64BodyScheme } from './body-hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './webhook-scheme.js';

export const shopifyHmacSha256Scheme = base64BodyScheme({
  name: 'shopify-hmac-sha256',
  defaults: {
    signatureHeader: 'X-Shopify-Hmac-Sha256',
    deliveryIdHeader: 'X-Shopify-Webhook-Id',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
});
