/**
 * Xero: `x-xero-signature` is the base64 HMAC-SHA256 of the raw body keyed with the app's webhook key, used as the
 * UTF-8 string Xero shows (it looks like base64 but is not decoded). Xero's "intent to receive" check is the same
 * signature over a delivery with no events.
 * https://developer.xero.com/documentation/guides/webhooks/overview
 */
import { base64BodyScheme } from './body-hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './webhook-scheme.js';

export const xeroHmacSha256Scheme = base64BodyScheme({
  name: 'xero-hmac-sha256',
  defaults: { signatureHeader: 'x-xero-signature', toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
});
