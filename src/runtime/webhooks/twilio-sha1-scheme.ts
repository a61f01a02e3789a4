/**
 * Twilio: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the account's auth token, of the full URL
 * Twilio called (query string included) followed, for a form POST, by every POST parameter sorted by name, each
 * name immediately followed by its value (a repeated name contributes each distinct value, sorted). A JSON (or any
 * non-form) body is not signed parameter by parameter: Twilio adds a `bodySHA256` query parameter — the hex SHA-256
 * of the body — to the URL and signs the URL alone, so the body is checked against that hash.
 *
 * Port quirk: Twilio's signer is not consistent about the port. As its SDKs do, the URL is tried as received,
 * without its port, and with the scheme's default port (`:443`/`:80`) added when it has none.
 * https://www.twilio.com/docs/usage/security#validating-requests
 */
import { constantTimeEqual, decodeBase64, hmac, sha256Hex } from './webhook-crypto.js';
import { DEFAULT_TOLERANCE_SECONDS, fail, isFailure, malformed, type WebhookScheme } from './webhook-scheme.js';

const FORM = 'application/x-www-form-urlencoded';
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)([\s\S]*)$/;
const HOST_PORT = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? FORM).split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The POST-parameter part of what Twilio signs.
 *
 * @example
 * twilioParameterString(new URLSearchParams('To=%2B1&Digits=5&Digits=1')); // 'Digits1Digits5To+1'
 */
export function twilioParameterString(params: URLSearchParams): string {
  const grouped = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = grouped.get(name) ?? new Set<string>();
    values.add(value);
    grouped.set(name, values);
  }
  let out = '';
  for (const name of [...grouped.keys()].sort()) {
    for (const value of [...(grouped.get(name) ?? [])].sort()) out += name + value;
  }
  return out;
}

/**
 * The spellings of a URL Twilio may have signed: as given, without its port, and with the default port added.
 *
 * @example
 * twilioUrlVariants('https://a.test/x'); // ['https://a.test/x', 'https://a.test:443/x']
 */
export function twilioUrlVariants(url: string): string[] {
  const parts = URL_PARTS.exec(url);
  if (!parts) return [url];
  const [, scheme = '', authority = '', rest = ''] = parts;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = HOST_PORT.exec(authority.slice(at + 1));
  if (!hostPort) return [url];
  const [, host = '', port] = hostPort;
  const withoutPort = `${scheme}${userinfo}${host}${rest}`;
  const defaultPort = scheme.toLowerCase() === 'https://' ? '443' : '80';
  const withPort = port ? url : `${scheme}${userinfo}${host}:${defaultPort}${rest}`;
  return [...new Set([url, withoutPort, withPort])];
}

/** The value of a query parameter of a URL (absolute or not), or `undefined`. */
function queryParam(url: string, name: string): string | undefined {
  const query = url.split('#', 1)[0]?.split('?').slice(1).join('?') ?? '';
  return new URLSearchParams(query).get(name) ?? undefined;
}

export const twilioSha1Scheme: WebhookScheme = {
  name: 'twilio-sha1',
  signsUrl: true,
  defaults: {
    signatureHeader: 'X-Twilio-Signature',
    deliveryIdHeader: 'I-Twilio-Idempotency-Token',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  parse({ headers, url, body, config }) {
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    const digest = decodeBase64(header);
    if (!digest) return malformed(config.signatureHeader, 'a base64 digest');
    let params = '';
    const bodyHash = queryParam(url, 'bodySHA256');
    if (bodyHash !== undefined) {
      if (!constantTimeEqual(Buffer.from(sha256Hex(body)), Buffer.from(bodyHash))) {
        return fail('body does not match the bodySHA256 query parameter');
      }
    } else if (body.length > 0) {
      const type = mediaType(headers.optional('content-type'));
      if (type !== FORM) {
        // The content type is the sender's text: cut it short so a reason stays short.
        const shown = type.length > 40 ? `${type.slice(0, 40)}…` : type;
        return fail(`${config.signatureHeader} covers a ${shown} body only through a bodySHA256 query parameter`);
      }
      params = twilioParameterString(new URLSearchParams(body.toString('utf8')));
    }
    const variants = twilioUrlVariants(url);
    return { provided: [digest], expected: (secret) => variants.map((u) => hmac('sha1', secret, u, params)) };
  },
  sign({ secret, url, body, contentType, config }) {
    if (url === undefined) throw new TypeError('twilio-sha1 signs the request URL: pass `url`');
    if (mediaType(contentType) === FORM) {
      const params = body.length > 0 ? twilioParameterString(new URLSearchParams(body.toString('utf8'))) : '';
      return { url, headers: { [config.signatureHeader]: hmac('sha1', secret, url, params).toString('base64') } };
    }
    const [base = '', fragment] = url.split('#', 2);
    const signedUrl = `${base}${base.includes('?') ? '&' : '?'}bodySHA256=${sha256Hex(body)}${fragment === undefined ? '' : `#${fragment}`}`;
    return {
      url: signedUrl,
      headers: { [config.signatureHeader]: hmac('sha1', secret, signedUrl).toString('base64') },
    };
  },
};
