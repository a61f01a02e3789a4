/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed with the webhook secret;
 * `X-GitHub-Delivery` carries the delivery GUID.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
import { prefixedHexBodyScheme } from './body-hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './webhook-scheme.js';

export const githubSha256Scheme = prefixedHexBodyScheme({
  name: 'github-sha256',
  algorithm: 'sha256',
  prefix: 'sha256=',
  defaults: {
    signatureHeader: 'X-Hub-Signature-256',
    deliveryIdHeader: 'X-GitHub-Delivery',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
});
