/**
 * Intercom: `X-Hub-Signature: sha1=<hex>`, the HMAC-SHA1 of the raw body keyed with the app's client secret.
 * https://developers.intercom.com/docs/webhooks/webhook-notifications (Signed notifications)
 */
import { prefixedHexBodyScheme } from './body-hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './webhook-scheme.js';

export const intercomSha1Scheme = prefixedHexBodyScheme({
  name: 'intercom-sha1',
  algorithm: 'sha1',
  prefix: 'sha1=',
  defaults: { signatureHeader: 'X-Hub-Signature', toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
});
