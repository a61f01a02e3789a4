/**
 * Meta (Graph API webhooks): `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body (Meta escapes
 * non-ASCII as `\uXXXX` in what it sends, so the bytes as received are what was signed) keyed with the app secret.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 */
import { prefixedHexBodyScheme } from './body-hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './webhook-scheme.js';

export const metaSha256Scheme = prefixedHexBodyScheme({
  name: 'meta-sha256',
  algorithm: 'sha256',
  prefix: 'sha256=',
  defaults: { signatureHeader: 'X-Hub-Signature-256', toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
});
