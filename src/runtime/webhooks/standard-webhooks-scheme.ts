/**
 * Standard Webhooks (the Svix-originated spec): `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature`, a space-separated list of `v1,<base64>` entries (one per active secret; other versions such
 * as the asymmetric `v1a` are skipped). Each is the HMAC-SHA256 of `${id}.${timestamp}.${rawBody}` keyed with the
 * bytes of the secret: `whsec_<base64>`, the prefix dropped and the rest base64-decoded. Five minute window.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { decodeBase64, decodeBase64Secret, hmac } from './webhook-crypto.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  isFailure,
  malformed,
  parseUnixSeconds,
  unixSeconds,
  type WebhookScheme,
} from './webhook-scheme.js';

const ID_HEADER = 'webhook-id';
const TIMESTAMP_HEADER = 'webhook-timestamp';
const SECRET_PREFIX = 'whsec_';

/** The key bytes of a `whsec_…` secret (the prefix is optional), or `undefined` when it is not base64. */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  return decodeBase64Secret(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
}

export const standardWebhooksScheme: WebhookScheme = {
  name: 'standard-webhooks',
  defaults: {
    signatureHeader: 'webhook-signature',
    timestampHeader: TIMESTAMP_HEADER,
    deliveryIdHeader: ID_HEADER,
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  parse({ headers, body, config }) {
    const idHeader = config.deliveryIdHeader ?? ID_HEADER;
    const timestampHeader = config.timestampHeader ?? TIMESTAMP_HEADER;
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const provided: Buffer[] = [];
    for (const entry of header.split(/\s+/)) {
      if (!entry.startsWith('v1,')) continue;
      const digest = decodeBase64(entry.slice(3));
      if (digest) provided.push(digest);
    }
    if (provided.length === 0) return malformed(config.signatureHeader, 'space-separated v1,<base64> entries');
    const id = headers.required(idHeader);
    if (isFailure(id)) return id;
    const ts = headers.required(timestampHeader);
    if (isFailure(ts)) return ts;
    const timestamp = parseUnixSeconds(ts);
    if (!timestamp) return malformed(timestampHeader, 'Unix seconds');
    return {
      provided,
      timestamp,
      expected(secret) {
        const key = standardWebhooksKey(secret);
        return key ? [hmac('sha256', key, `${id}.${ts}.`, body)] : [];
      },
    };
  },
  sign({ secret, body, timestamp, deliveryId, config }) {
    const key = standardWebhooksKey(secret);
    if (!key) throw new TypeError('a standard-webhooks secret is whsec_<base64>');
    const ts = String(unixSeconds(timestamp));
    return {
      headers: {
        [config.deliveryIdHeader ?? ID_HEADER]: deliveryId,
        [config.timestampHeader ?? TIMESTAMP_HEADER]: ts,
        [config.signatureHeader]: `v1,${hmac('sha256', key, `${deliveryId}.${ts}.`, body).toString('base64')}`,
      },
    };
  },
};
