/**
 * Inbound webhook verification: `verifyWebhook` by platform id, `verifyWebhookSignature` by scheme.
 *
 * Design. Each vendor's scheme is a small `WebhookScheme` (one file each) that only knows its own headers and what
 * it signs. This file owns the rules every scheme must follow, so they hold everywhere:
 * - fail closed: no usable secret, an unknown scheme or platform, a body that is not raw bytes → `ok: false`;
 * - raw bytes only: the body is hashed exactly as received, never parsed and re-serialized;
 * - replay window: where a scheme signs a timestamp, one further than `toleranceSeconds` (default 300) from `now`,
 *   in the past or the future, is rejected before any HMAC is computed;
 * - rotation: every configured secret is tried, and any signature the request carries may match;
 * - constant time: digests are compared as bytes with `crypto.timingSafeEqual`;
 * - reasons name the header or rule that failed and never contain a secret or an expected signature.
 * Verification is synchronous (Node's HMAC is); `await` on the result is harmless.
 */

import { genericBodyHmacScheme } from './body-hmac-scheme.js';
import { lookupWebhookConfig } from './webhook-config-registry.js';
import { constantTimeEqual, rawBodyBytes } from './webhook-crypto.js';
import { WebhookHeaderReader } from './webhook-headers.js';
import { fail, isFailure, type WebhookScheme } from './webhook-scheme.js';
import { resolveWebhookConfig, webhookScheme } from './webhook-schemes.js';
import type {
  VerifyWebhookOptions,
  VerifyWebhookSignatureOptions,
  WebhookRequest,
  WebhookSchemeName,
  WebhookSignatureConfig,
  WebhookVerificationResult,
} from './webhook-types.js';

/**
 * Verifies a delivery against one signature scheme, with the given header overrides (or the vendor defaults).
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
  const implementation = webhookScheme(scheme);
  if (!implementation) return fail(`unknown webhook signature scheme "${String(scheme)}"`);
  return verifyWithScheme(implementation, config, request, options);
}

function verifyWithScheme(
  implementation: WebhookScheme,
  config: WebhookSignatureConfig | undefined,
  request: WebhookRequest,
  options: VerifyWebhookSignatureOptions,
): WebhookVerificationResult {
  const scheme = implementation.name;
  const secrets = (options.secrets ?? []).filter((secret) => typeof secret === 'string' && secret.length > 0);
  if (secrets.length === 0) return fail('no webhook secret configured');
  const body = rawBodyBytes(request.rawBody);
  if (!body) return fail('rawBody must be the raw request bytes (a Buffer or string), not a parsed body');

  const resolved = resolveWebhookConfig(implementation, config);
  const headers = new WebhookHeaderReader(request.headers ?? {});
  const parsed = implementation.parse({
    method: String(request.method ?? ''),
    url: String(request.url ?? ''),
    body,
    headers,
    config: resolved,
  });
  if (isFailure(parsed)) return parsed;

  const now = (options.now ?? new Date()).getTime();
  if (parsed.timestamp && Math.abs(now - parsed.timestamp.getTime()) > resolved.toleranceSeconds * 1000) {
    return fail('timestamp outside tolerance');
  }

  let usable = false;
  let matched = false;
  for (const secret of secrets) {
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

/**
 * Verifies a delivery the way the platform signs it. The platform's config comes from `options.config`, else the
 * registry (`registerWebhookConfig`), else the built-in `PLATFORM_WEBHOOK_SCHEMES` table with the scheme's default
 * headers. A platform without signed webhooks, or an unknown one, never verifies.
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
  const config = options.config ?? lookupWebhookConfig(platformId);
  if (!config) return fail(`no webhook configuration for platform "${platformId}"`);
  if (config.scheme === 'none') return fail(`platform "${platformId}" does not sign its webhooks`);
  if (config.scheme === 'hmac-body')
    return verifyWithScheme(genericBodyHmacScheme(config), undefined, request, options);
  return verifyWebhookSignature(config.scheme, config, request, options);
}
