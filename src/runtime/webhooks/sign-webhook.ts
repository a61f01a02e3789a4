/** Outbound signing: the sandbox emulator (and tests) send deliveries signed exactly as each vendor signs them. */
import { randomUUID } from 'node:crypto';
import { rawBodyBytes } from './webhook-crypto.js';
import { resolveWebhookConfig, webhookScheme } from './webhook-schemes.js';
import type { SignedWebhook, SignWebhookInput, WebhookSchemeName } from './webhook-types.js';

/**
 * Signs a delivery: returns the headers to send (signature, signed timestamp, delivery id) and the URL to send it
 * to (Twilio adds `bodySHA256` to it for non-form bodies). Throws `TypeError` for inputs a scheme cannot sign
 * (no `url` where the URL is signed, a secret of the wrong form).
 *
 * @example
 * const { url, headers } = signWebhook('stripe-v1', { secret: 'whsec_test', rawBody: JSON.stringify(event) });
 * await fetch(url || endpoint, { method: 'POST', headers, body: JSON.stringify(event) });
 */
export function signWebhook(scheme: WebhookSchemeName, input: SignWebhookInput): SignedWebhook {
  const implementation = webhookScheme(scheme);
  if (!implementation) throw new TypeError(`unknown webhook signature scheme "${String(scheme)}"`);
  if (!input.secret) throw new TypeError('signWebhook needs a secret');
  const body = rawBodyBytes(input.rawBody);
  if (!body) throw new TypeError('rawBody must be a Buffer or string');
  const config = resolveWebhookConfig(implementation, input.config);
  const deliveryId =
    input.deliveryId ?? (implementation.name === 'standard-webhooks' ? `msg_${randomUUID()}` : randomUUID());
  const signature = implementation.sign({
    secret: input.secret,
    body,
    url: input.url,
    method: input.method ?? 'POST',
    timestamp: input.timestamp ?? new Date(),
    deliveryId,
    contentType: input.contentType,
    config,
  });
  const headers: Record<string, string> = {};
  if (config.deliveryIdHeader) headers[config.deliveryIdHeader] = deliveryId;
  Object.assign(headers, signature.headers);
  return { url: signature.url ?? input.url ?? '', headers };
}
