/**
 * Sending an alert to its tenant's destination, signed per the Standard Webhooks specification: headers
 * `webhook-id` (the same on every attempt of a delivery, for the receiver's de-duplication), `webhook-timestamp`
 * (Unix seconds, of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed
 * with the `whsec_` secret's bytes). Receivers verify with the `standardwebhooks` libraries (`new
 * Webhook(secret).verify(body, headers)`).
 *
 * Signing uses the runtime's own Standard Webhooks scheme (`signWebhook('standard-webhooks', …)`), the code that
 * verifies platforms' deliveries, rather than the `standardwebhooks` npm package: it is node:crypto's HMAC instead
 * of a pure-JavaScript SHA-256, adds no runtime dependency, and the tests then check the signatures against the
 * reference library independently (a package verifying its own output proves less).
 *
 * The request goes through the private-network guard on every address the host resolves to, follows no redirect,
 * is bounded in time, and reads at most {@link MAX_RECEIVER_RESPONSE_BYTES} of the answer (and keeps none of it).
 * The secret is used for the signature only: it is never sent, logged or stored in an error.
 */
import got, { RequestError } from 'got';
import { PrivateNetworkError } from '../runtime/errors.js';
import type { PrivateNetworkGuard } from '../runtime/http/private-network-guard.js';
import { capResponseSize } from '../runtime/http/response-size-cap.js';
import { signWebhook } from '../runtime/webhooks/sign-webhook.js';

/** How long a receiver has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of a receiver's answer is read (and discarded). */
export const MAX_RECEIVER_RESPONSE_BYTES = 64 * 1024;
export const DELIVERY_USER_AGENT = 'EnGarde-Alerts/1';

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/**
 * The `webhook-id` of a delivery: stable across its attempts.
 * @example
 * webhookMessageId('5f0c…'); // 'msg_5f0c…'
 */
export function webhookMessageId(deliveryId: string): string {
  return `msg_${deliveryId}`;
}

/**
 * Serializes and signs a delivery's payload for one attempt.
 * @example
 * const { body, headers } = signAlertDelivery(secret, deliveryId, payload, new Date());
 * new Webhook(secret).verify(body, headers); // the receiver's side
 */
export function signAlertDelivery(secret: string, deliveryId: string, payload: unknown, at: Date): SignedDelivery {
  const body = JSON.stringify(payload);
  const signed = signWebhook('standard-webhooks', {
    secret,
    rawBody: body,
    deliveryId: webhookMessageId(deliveryId),
    timestamp: at,
  });
  return {
    body,
    headers: { 'content-type': 'application/json', 'user-agent': DELIVERY_USER_AGENT, ...signed.headers },
  };
}

export type SendOutcome =
  | { ok: true; status: number }
  | {
      ok: false;
      /** The receiver's status, when it answered. */
      status?: number | undefined;
      error: string;
      /** Retrying cannot help (the destination is refused by the private-network guard). */
      permanent: boolean;
    };

/**
 * POSTs a signed delivery; a 2xx answer is success, anything else (another status, no answer) a failure.
 * Never throws.
 */
export async function sendDelivery(
  url: string,
  signed: SignedDelivery,
  guard: PrivateNetworkGuard,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<SendOutcome> {
  try {
    guard.checkHostname(new URL(url).hostname); // IP literals are not resolved, so not seen by the lookup
  } catch (error) {
    return refused(error);
  }
  const pending = got.post(url, {
    body: signed.body,
    headers: signed.headers,
    dnsLookup: guard.lookup,
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: timeoutMs },
    responseType: 'buffer',
  });
  const cap = capResponseSize(pending, MAX_RECEIVER_RESPONSE_BYTES);
  let status: number | undefined;
  try {
    status = (await pending).statusCode;
  } catch (error) {
    if (error instanceof RequestError && error.cause instanceof PrivateNetworkError) return refused(error.cause);
    if (error instanceof PrivateNetworkError) return refused(error);
    status = cap.exceeded?.status; // a long answer, cut short: its status still counts
    if (status === undefined) {
      return { ok: false, error: `no answer: ${(error as Error).message}`.slice(0, 300), permanent: false };
    }
  }
  if (status >= 200 && status < 300) return { ok: true, status };
  return { ok: false, status, error: `the receiver answered HTTP ${status}`, permanent: false };
}

function refused(error: unknown): SendOutcome {
  if (error instanceof PrivateNetworkError) {
    return {
      ok: false,
      error: `refused: ${error.host}${error.address && error.address !== error.host ? ` resolves to ${error.address},` : ' is'} not a public address`,
      permanent: true,
    };
  }
  return { ok: false, error: `refused: ${(error as Error).message}`.slice(0, 300), permanent: true };
}
