/**
 * HubSpot v3: `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256 of
 * `${method}${uri}${rawBody}${X-HubSpot-Request-Timestamp}` keyed with the app's client secret. The timestamp is in
 * milliseconds; older than five minutes is a replay. Before signing, HubSpot decodes these percent-escapes in the
 * URI (and only these): %3A `:` %2F `/` %3F `?` %40 `@` %21 `!` %24 `$` %27 `'` %28 `(` %29 `)` %2A `*` %2C `,`
 * %3B `;`. HubSpot's own SDKs sign the URI exactly as passed, so that spelling is accepted as well. (The older
 * `X-HubSpot-Signature` v1/v2 headers are not used.)
 * https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
 */
import { decodeBase64, hmac } from './webhook-crypto.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  isFailure,
  malformed,
  parseUnixMillis,
  type WebhookScheme,
} from './webhook-scheme.js';

const TIMESTAMP_HEADER = 'X-HubSpot-Request-Timestamp';

const DECODED: Readonly<Record<string, string>> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};

/**
 * The URI as HubSpot signs it: the documented percent-escapes decoded, everything else untouched.
 *
 * @example
 * hubspotSignedUri('https://app.test/hook?email=a%40b.test'); // 'https://app.test/hook?email=a@b.test'
 */
export function hubspotSignedUri(uri: string): string {
  return uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (match, hex: string) => DECODED[hex.toUpperCase()] ?? match,
  );
}

export const hubspotV3Scheme: WebhookScheme = {
  name: 'hubspot-v3',
  signsUrl: true,
  defaults: {
    signatureHeader: 'X-HubSpot-Signature-v3',
    timestampHeader: TIMESTAMP_HEADER,
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  parse({ headers, method, url, body, config }) {
    const timestampHeader = config.timestampHeader ?? TIMESTAMP_HEADER;
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const digest = decodeBase64(header);
    if (!digest) return malformed(config.signatureHeader, 'a base64 digest');
    const ts = headers.required(timestampHeader);
    if (isFailure(ts)) return ts;
    const timestamp = parseUnixMillis(ts);
    if (!timestamp) return malformed(timestampHeader, 'Unix milliseconds');
    // The documented form first; the URI as received too, which is what HubSpot's own SDKs sign.
    const prefixes = [...new Set([hubspotSignedUri(url), url])].map((uri) => `${method.toUpperCase()}${uri}`);
    return {
      provided: [digest],
      timestamp,
      expected: (secret) => prefixes.map((prefix) => hmac('sha256', secret, prefix, body, ts)),
    };
  },
  sign({ secret, method, url, body, timestamp, config }) {
    if (url === undefined) throw new TypeError('hubspot-v3 signs the request URI: pass `url`');
    const ts = String(timestamp.getTime());
    const prefix = `${method.toUpperCase()}${hubspotSignedUri(url)}`;
    return {
      headers: {
        [config.timestampHeader ?? TIMESTAMP_HEADER]: ts,
        [config.signatureHeader]: hmac('sha256', secret, prefix, body, ts).toString('base64'),
      },
    };
  },
};
