/**
 * Square: `x-square-hmacsha256-signature` is the base64 HMAC-SHA256 of the subscription's notification URL
 * followed by the raw body, keyed with the subscription's signature key. The URL must be exactly the one
 * configured in Square (scheme, host, path, query), so `request.url` has to be the public URL.
 * https://developer.squareup.com/docs/webhooks/step3validate
 */
import { decodeBase64, hmac } from './webhook-crypto.js';
import { DEFAULT_TOLERANCE_SECONDS, isFailure, malformed, type WebhookScheme } from './webhook-scheme.js';

export const squareHmacSha256Scheme: WebhookScheme = {
  name: 'square-hmac-sha256',
  signsUrl: true,
  defaults: { signatureHeader: 'x-square-hmacsha256-signature', toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
  parse({ headers, url, body, config }) {
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const digest = decodeBase64(header);
    if (!digest) return malformed(config.signatureHeader, 'a base64 digest');
    return { provided: [digest], expected: (secret) => [hmac('sha256', secret, url, body)] };
  },
  sign({ secret, url, body, config }) {
    if (url === undefined) throw new TypeError('square-hmac-sha256 signs the notification URL: pass `url`');
    return { headers: { [config.signatureHeader]: hmac('sha256', secret, url, body).toString('base64') } };
  },
};
