/**
 * Inbound webhook verification: `verifyWebhook` by platform id, `verifyWebhookSignature` by scheme.
 *
 * Design. Each vendor's scheme is a small `WebhookScheme` (one file each) that only knows its own headers and what
 * it signs. This file owns the rules every scheme must follow, so they hold everywhere:
 * - never throws: every argument is checked as untyped input (JavaScript callers, parsed JSON and attackers do not
 *   honour the types); whatever is not as documented answers `ok: false`, and a last-resort catch turns anything
 *   unexpected into `ok: false` as well;
 * - fail closed: no usable secret, an unknown scheme or platform, a body that is not raw bytes, a missing method, an
 *   unusable URL where the scheme signs it, or a clock that is not a valid `Date` → `ok: false`;
 * - raw bytes only: the body is hashed exactly as received, never parsed and re-serialized;
 * - replay window: where a scheme signs a timestamp, one further than `toleranceSeconds` (default 300) from `now`,
 *   in the past or the future, is rejected before any HMAC is computed;
 * - rotation: every configured secret is tried, and any signature the request carries may match;
 * - constant time: digests are compared as bytes with `crypto.timingSafeEqual`;
 * - reasons are short, name the header or rule that failed and never contain a secret or an expected signature.
 * Verification is synchronous (Node's HMAC is); `await` on the result is harmless.
 */

import { types } from 'node:util';
import { genericBodyHmacConfigProblem, genericBodyHmacScheme } from './body-hmac-scheme.js';
import { signedContentConfigProblem, signedContentHmacScheme } from './signed-content-hmac-scheme.js';
import { lookupWebhookConfig } from './webhook-config-registry.js';
import { constantTimeEqual, rawBodyBytes } from './webhook-crypto.js';
import { WebhookHeaderReader } from './webhook-headers.js';
import { fail, isFailure, type WebhookScheme } from './webhook-scheme.js';
import { resolveWebhookConfig, webhookConfigProblem, webhookScheme } from './webhook-schemes.js';
import type {
  PlatformWebhookConfig,
  VerifyWebhookOptions,
  VerifyWebhookSignatureOptions,
  WebhookFailure,
  WebhookHeaders,
  WebhookRequest,
  WebhookSchemeName,
  WebhookSignatureConfig,
  WebhookVerificationResult,
} from './webhook-types.js';

/** An HTTP method is a token (RFC 9110 §5.6.2). */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Verifies a delivery against one signature scheme, with the given header overrides (or the vendor defaults).
 * Never throws: any input that is not as documented answers `{ ok: false, reason }`.
 *
 * @example
 * const result = verifyWebhookSignature('github-sha256', {}, request, { secrets: [secret] });
 * if (!result.ok) reply.code(401).send({ detail: result.reason });
 */
export function verifyWebhookSignature(
  scheme: WebhookSchemeName,
  config: WebhookSignatureConfig | undefined,
  request: WebhookRequest,
  options: VerifyWebhookSignatureOptions,
): WebhookVerificationResult {
  return neverThrowing(() => verifyBySchemeName(scheme, config, request, options));
}

/**
 * Verifies a delivery the way the platform signs it. The platform's config comes from `options.config`, else the
 * registry (`registerWebhookConfig`, or `registerPlatformWebhooks` for every generated platform): there is no
 * built-in table beside the configs. A platform without signed webhooks, or an unknown one, never verifies. Never
 * throws: any input that is not as documented (secrets that are not an array of strings, a `now` that is not a valid
 * `Date`, header values that are not text, …) answers `{ ok: false, reason }`.
 *
 * @example
 * const result = verifyWebhook('stripe', { method: 'POST', url, headers: req.headers, rawBody: req.rawBody },
 *   { secrets: ['whsec_new', 'whsec_old'] });
 * // { ok: true, timestamp: 2025-01-01T00:00:00.000Z } or { ok: false, reason: 'timestamp outside tolerance' }
 */
export function verifyWebhook(
  platformId: string,
  request: WebhookRequest,
  options: VerifyWebhookOptions,
): WebhookVerificationResult {
  return neverThrowing(() => {
    if (typeof platformId !== 'string') return fail('platform id must be a string');
    const given = isObject(options) ? options.config : undefined;
    // Typed as documented, but checked as untyped input: a passed-in or registered config may be anything.
    const config: PlatformWebhookConfig | undefined = given ?? lookupWebhookConfig(platformId);
    if (config === undefined) return fail(`no webhook configuration for platform ${quoted(platformId)}`);
    if (!isObject(config)) return fail(`invalid webhook configuration for platform ${quoted(platformId)}`);
    if (config.scheme === 'none') return fail(`platform ${quoted(platformId)} does not sign its webhooks`);
    if (config.scheme === 'hmac-body') {
      const problem = genericBodyHmacConfigProblem(config);
      if (problem) return fail(`invalid webhook configuration: ${problem}`);
      return verifyWithScheme(genericBodyHmacScheme(config), undefined, request, options);
    }
    if (config.scheme === 'hmac-signed-content') {
      const problem = signedContentConfigProblem(config);
      if (problem) return fail(`invalid webhook configuration: ${problem}`);
      return verifyWithScheme(signedContentHmacScheme(config), undefined, request, options);
    }
    return verifyBySchemeName(config.scheme, config, request, options);
  });
}

/**
 * The backstop, not the fix: the checks below are meant to refuse every bad input, and this catches what they miss
 * (a getter or proxy that throws, say). The reason is fixed text: an exception's message may quote its input, and
 * that input may be a secret.
 */
function neverThrowing(verify: () => WebhookVerificationResult): WebhookVerificationResult {
  try {
    return verify();
  } catch {
    return fail('webhook could not be verified: unexpected input');
  }
}

function verifyBySchemeName(
  scheme: unknown,
  config: unknown,
  request: unknown,
  options: unknown,
): WebhookVerificationResult {
  const implementation = typeof scheme === 'string' ? webhookScheme(scheme) : undefined;
  if (!implementation) return fail(`unknown webhook signature scheme ${quoted(scheme)}`);
  return verifyWithScheme(implementation, config, request, options);
}

function verifyWithScheme(
  implementation: WebhookScheme,
  config: unknown,
  request: unknown,
  options: unknown,
): WebhookVerificationResult {
  const scheme = implementation.name;
  const settings = readOptions(options);
  if (isFailure(settings)) return settings;
  const configProblem = webhookConfigProblem(config);
  if (configProblem) return fail(`invalid webhook configuration: ${configProblem}`);
  const input = readRequest(request, implementation);
  if (isFailure(input)) return input;

  const resolved = resolveWebhookConfig(implementation, (config ?? undefined) as WebhookSignatureConfig | undefined);
  const headers = new WebhookHeaderReader(input.headers);
  const parsed = implementation.parse({ ...input, headers, config: resolved });
  if (isFailure(parsed)) return parsed;

  if (parsed.timestamp) {
    const signedAt = parsed.timestamp.getTime();
    if (!Number.isFinite(signedAt)) return fail('signed timestamp is not a valid time');
    if (Math.abs(settings.now - signedAt) > resolved.toleranceSeconds * 1000) {
      return fail('timestamp outside tolerance');
    }
  }

  let usable = false;
  let matched = false;
  for (const secret of settings.secrets) {
    for (const expected of parsed.expected(secret)) {
      usable = true;
      for (const provided of parsed.provided) matched = constantTimeEqual(expected, provided) || matched;
    }
    if (matched) break;
  }
  if (!usable) return fail(`no webhook secret configured is usable by the ${scheme} scheme`);
  if (!matched) return fail(`${resolved.signatureHeader} does not match the request`);

  const deliveryId = resolved.deliveryIdHeader ? headers.optional(resolved.deliveryIdHeader) : undefined;
  return {
    ok: true,
    ...(deliveryId === undefined ? {} : { deliveryId }),
    ...(parsed.timestamp ? { timestamp: parsed.timestamp } : {}),
  };
}

/** The secrets and the clock, checked: `secrets` a non-empty array of non-empty strings, `now` a valid `Date`. */
function readOptions(options: unknown): { secrets: string[]; now: number } | WebhookFailure {
  const secrets = isObject(options) ? options.secrets : undefined;
  if (secrets === undefined || secrets === null) return fail('no webhook secret configured');
  if (!Array.isArray(secrets)) return fail('webhook secrets must be an array of strings');
  const valid = secrets.filter((secret): secret is string => typeof secret === 'string' && secret !== '');
  if (valid.length === 0) return fail('no webhook secret configured');
  // Refuse the whole list rather than use its good entries. Junk beside a secret means the list was built wrongly (a
  // secret that failed to decrypt, a rotation list split badly, a Buffer where text was meant), and which entry was
  // meant to be the current secret is then unknown; failing closed surfaces that at once instead of verifying against
  // whatever happened to be left. (`filter` skips holes, so a sparse array is refused too.)
  if (valid.length !== secrets.length) return fail('every webhook secret must be a non-empty string');

  // Without a valid clock there is no replay window: `now` must be a real Date (of any realm) holding a real time.
  const given = (options as { now?: unknown }).now;
  const now = given === undefined ? Date.now() : types.isDate(given) ? Date.prototype.getTime.call(given) : Number.NaN;
  if (!Number.isFinite(now)) return fail('now must be a valid Date');
  return { secrets: valid, now };
}

/** The request, checked: an object with raw bytes, an HTTP method, headers, and a usable URL where it is signed. */
function readRequest(
  request: unknown,
  implementation: WebhookScheme,
): { method: string; url: string; body: Buffer; headers: WebhookHeaders } | WebhookFailure {
  if (!isObject(request)) return fail('request must be an object with method, url, headers and rawBody');
  const body = rawBodyBytes(request.rawBody);
  if (!body) return fail('rawBody must be the raw request bytes (a Buffer or string), not a parsed body');
  const { method, url } = request;
  if (typeof method !== 'string' || !HTTP_TOKEN.test(method)) return fail('method must be an HTTP method name');
  if (implementation.signsUrl && !isAbsoluteHttpUrl(url)) {
    return fail(`${implementation.name} signs the URL: url must be the absolute http(s) URL the platform called`);
  }
  // No headers at all is allowed here: the scheme then names the header that is missing.
  const headers = request.headers ?? {};
  if (!isObject(headers) || Array.isArray(headers)) return fail('headers must be an object of names to values');
  return { method, url: typeof url === 'string' ? url : '', body, headers: headers as WebhookHeaders };
}

function isObject<T>(value: T): value is T & Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isAbsoluteHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** A name for a reason: quoted and cut short when it is text, its type otherwise (never the caller's toString). */
function quoted(value: unknown): string {
  if (typeof value !== 'string') return `(a ${typeof value})`;
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
