/**
 * Slack: `X-Slack-Signature: v0=<hex>`, the HMAC-SHA256 of `v0:${X-Slack-Request-Timestamp}:${rawBody}` keyed with
 * the app's signing secret (as UTF-8). Requests more than five minutes from local time are replays.
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import { decodeHex, hmac } from './webhook-crypto.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  isFailure,
  malformed,
  parseUnixSeconds,
  unixSeconds,
  type WebhookScheme,
} from './webhook-scheme.js';

const TIMESTAMP_HEADER = 'X-Slack-Request-Timestamp';

export const slackV0Scheme: WebhookScheme = {
  name: 'slack-v0',
  defaults: {
    signatureHeader: 'X-Slack-Signature',
    timestampHeader: TIMESTAMP_HEADER,
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  parse({ headers, body, config }) {
    const timestampHeader = config.timestampHeader ?? TIMESTAMP_HEADER;
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const digest = header.startsWith('v0=') ? decodeHex(header.slice(3)) : undefined;
    if (!digest) return malformed(config.signatureHeader, 'v0=<hex digest>');
    const ts = headers.required(timestampHeader);
    if (isFailure(ts)) return ts;
    const timestamp = parseUnixSeconds(ts);
    if (!timestamp) return malformed(timestampHeader, 'Unix seconds');
    return { provided: [digest], timestamp, expected: (secret) => [hmac('sha256', secret, `v0:${ts}:`, body)] };
  },
  sign({ secret, body, timestamp, config }) {
    const ts = String(unixSeconds(timestamp));
    return {
      headers: {
        [config.timestampHeader ?? TIMESTAMP_HEADER]: ts,
        [config.signatureHeader]: `v0=${hmac('sha256', secret, `v0:${ts}:`, body).toString('hex')}`,
      },
    };
  },
};
