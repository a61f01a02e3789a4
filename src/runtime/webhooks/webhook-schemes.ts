/** Every signature scheme, by name: the one place a new scheme is added. */
import { githubSha256Scheme } from './github-sha256-scheme.js';
import { hubspotV3Scheme } from './hubspot-v3-scheme.js';
import { intercomSha1Scheme } from './intercom-sha1-scheme.js';
import { metaSha256Scheme } from './meta-sha256-scheme.js';
import { shopifyHmacSha256Scheme } from './shopify-hmac-sha256-scheme.js';
import { slackV0Scheme } from './slack-v0-scheme.js';
import { squareHmacSha256Scheme } from './square-hmac-sha256-scheme.js';
import { standardWebhooksScheme } from './standard-webhooks-scheme.js';
import { stripeV1Scheme } from './stripe-v1-scheme.js';
import { twilioSha1Scheme } from './twilio-sha1-scheme.js';
import type { WebhookScheme } from './webhook-scheme.js';
import type { ResolvedWebhookConfig, WebhookSchemeName, WebhookSignatureConfig } from './webhook-types.js';
import { xeroHmacSha256Scheme } from './xero-hmac-sha256-scheme.js';
import { zendeskHmacSha256Scheme } from './zendesk-hmac-sha256-scheme.js';

/** Keyed by `WEBHOOK_SCHEMES`: the type makes a missing or misspelt scheme a compile error. */
export const WEBHOOK_SCHEME_IMPLEMENTATIONS: Readonly<Record<WebhookSchemeName, WebhookScheme>> = {
  'stripe-v1': stripeV1Scheme,
  'shopify-hmac-sha256': shopifyHmacSha256Scheme,
  'github-sha256': githubSha256Scheme,
  'meta-sha256': metaSha256Scheme,
  'slack-v0': slackV0Scheme,
  'twilio-sha1': twilioSha1Scheme,
  'hubspot-v3': hubspotV3Scheme,
  'square-hmac-sha256': squareHmacSha256Scheme,
  'standard-webhooks': standardWebhooksScheme,
  'zendesk-hmac-sha256': zendeskHmacSha256Scheme,
  'xero-hmac-sha256': xeroHmacSha256Scheme,
  'intercom-sha1': intercomSha1Scheme,
};

/** The scheme implementation for a name, or `undefined` for a name that is not a scheme. */
export function webhookScheme(name: string): WebhookScheme | undefined {
  return Object.hasOwn(WEBHOOK_SCHEME_IMPLEMENTATIONS, name)
    ? WEBHOOK_SCHEME_IMPLEMENTATIONS[name as WebhookSchemeName]
    : undefined;
}

/**
 * The vendor-documented header names and replay window of a scheme.
 *
 * @example
 * webhookSchemeDefaults('slack-v0');
 * // { signatureHeader: 'X-Slack-Signature', timestampHeader: 'X-Slack-Request-Timestamp', toleranceSeconds: 300 }
 */
export function webhookSchemeDefaults(scheme: WebhookSchemeName): ResolvedWebhookConfig {
  return { ...WEBHOOK_SCHEME_IMPLEMENTATIONS[scheme].defaults };
}

/** A config's fields laid over the scheme's defaults (fields left `undefined` keep the default). */
export function resolveWebhookConfig(
  scheme: WebhookScheme,
  config: WebhookSignatureConfig | undefined,
): ResolvedWebhookConfig {
  const resolved: ResolvedWebhookConfig = { ...scheme.defaults };
  if (config?.signatureHeader) resolved.signatureHeader = config.signatureHeader;
  if (config?.timestampHeader) resolved.timestampHeader = config.timestampHeader;
  if (config?.deliveryIdHeader) resolved.deliveryIdHeader = config.deliveryIdHeader;
  if (config?.toleranceSeconds !== undefined) resolved.toleranceSeconds = config.toleranceSeconds;
  return resolved;
}

/**
 * What is wrong with header overrides that did not come through the platform schema (a registered or passed-in
 * config), or `undefined` when they are usable. A replay window that is not a finite number of seconds is refused:
 * `NaN` or `Infinity` would silently switch the window off.
 *
 * @example
 * webhookConfigProblem({ toleranceSeconds: Number.NaN }); // 'toleranceSeconds must be a finite number of seconds'
 */
export function webhookConfigProblem(config: unknown): string | undefined {
  if (config === undefined || config === null) return undefined;
  if (typeof config !== 'object') return 'expected an object';
  const fields = config as Partial<Record<keyof WebhookSignatureConfig, unknown>>;
  for (const field of ['signatureHeader', 'timestampHeader', 'deliveryIdHeader'] as const) {
    if (fields[field] !== undefined && typeof fields[field] !== 'string') return `${field} must be a header name`;
  }
  const tolerance = fields.toleranceSeconds;
  if (tolerance !== undefined && !(typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0)) {
    return 'toleranceSeconds must be a finite number of seconds';
  }
  return undefined;
}
