/**
 * Zendesk: `X-Zendesk-Webhook-Signature` is the base64 HMAC-SHA256 of
 * `${X-Zendesk-Webhook-Signature-Timestamp}${rawBody}` keyed with the webhook's signing secret (the string as shown,
 * not decoded). The timestamp is ISO 8601 (`2021-03-25T05:09:27Z`); Unix seconds are accepted too. Each attempt
 * carries `X-Zendesk-Webhook-Invocation-Id`.
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 */
import { decodeBase64, hmac } from './webhook-crypto.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  isFailure,
  malformed,
  parseUnixSeconds,
  type WebhookScheme,
} from './webhook-scheme.js';

const TIMESTAMP_HEADER = 'X-Zendesk-Webhook-Signature-Timestamp';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function parseZendeskTimestamp(value: string): Date | undefined {
  if (!ISO_8601.test(value)) return parseUnixSeconds(value);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const zendeskHmacSha256Scheme: WebhookScheme = {
  name: 'zendesk-hmac-sha256',
  defaults: {
    signatureHeader: 'X-Zendesk-Webhook-Signature',
    timestampHeader: TIMESTAMP_HEADER,
    deliveryIdHeader: 'X-Zendesk-Webhook-Invocation-Id',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  parse({ headers, body, config }) {
    const timestampHeader = config.timestampHeader ?? TIMESTAMP_HEADER;
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const digest = decodeBase64(header);
    if (!digest) return malformed(config.signatureHeader, 'a base64 digest');
    const ts = headers.required(timestampHeader);
    if (isFailure(ts)) return ts;
    const timestamp = parseZendeskTimestamp(ts);
    if (!timestamp) return malformed(timestampHeader, 'an ISO 8601 time');
    return { provided: [digest], timestamp, expected: (secret) => [hmac('sha256', secret, ts, body)] };
  },
  sign({ secret, body, timestamp, config }) {
    const ts = `${new Date(Math.floor(timestamp.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    return {
      headers: {
        [config.timestampHeader ?? TIMESTAMP_HEADER]: ts,
        [config.signatureHeader]: hmac('sha256', secret, ts, body).toString('base64'),
      },
    };
  },
};
