/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`. Each `v1` is the HMAC-SHA256 of
 * `${t}.${rawBody}` keyed with the endpoint secret — the whole `whsec_…` string as UTF-8, not decoded. While a
 * secret is being rolled Stripe sends one `v1` per active secret, and any may match; `v0` (test-mode legacy) is
 * ignored. Default replay window 300 s.
 * https://docs.stripe.com/webhooks#verify-manually
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

export const stripeV1Scheme: WebhookScheme = {
  name: 'stripe-v1',
  defaults: { signatureHeader: 'Stripe-Signature', toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
  parse({ headers, body, config }) {
    const header = headers.required(config.signatureHeader);
    if (isFailure(header)) return header;
    let t: string | undefined;
    const provided: Buffer[] = [];
    for (const item of header.split(',')) {
      const eq = item.indexOf('=');
      if (eq < 0) continue;
      const key = item.slice(0, eq).trim();
      const value = item.slice(eq + 1).trim();
      if (key === 't') t = value;
      else if (key === 'v1') {
        const digest = decodeHex(value);
        if (digest) provided.push(digest);
      }
    }
    const timestamp = t === undefined ? undefined : parseUnixSeconds(t);
    if (t === undefined || !timestamp || provided.length === 0) {
      return malformed(config.signatureHeader, 't=<unix seconds>,v1=<hex>');
    }
    return { provided, timestamp, expected: (secret) => [hmac('sha256', secret, `${t}.`, body)] };
  },
  sign({ secret, body, timestamp, config }) {
    const t = unixSeconds(timestamp);
    const v1 = hmac('sha256', secret, `${t}.`, body).toString('hex');
    return { headers: { [config.signatureHeader]: `t=${t},v1=${v1}` } };
  },
};
