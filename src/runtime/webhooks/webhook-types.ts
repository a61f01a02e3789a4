/** The public shapes of webhook verification and signing. */
import type { WEBHOOK_SCHEMES } from '../platform-schema.js';
import type { GenericBodyHmacConfig } from './body-hmac-scheme.js';
import type { GenericSignedContentConfig } from './signed-content-hmac-scheme.js';

/** A signature scheme name, e.g. `stripe-v1`: the `webhooks.scheme` of a platform config. */
export type WebhookSchemeName = (typeof WEBHOOK_SCHEMES)[number];

/** Request headers as Node, Fastify or undici hand them over; names are matched case-insensitively. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** An inbound webhook delivery, exactly as received. */
export interface WebhookRequest {
  /** HTTP method (HubSpot signs it). */
  method: string;
  /**
   * The full public URL the platform called: scheme, host, port, path and query, as the sender saw it (Twilio,
   * HubSpot and Square sign it). Behind a proxy, pass the configured public URL, not the internal one.
   */
  url: string;
  headers: WebhookHeaders;
  /** The raw body bytes (a string is taken as UTF-8). Never a parsed and re-serialized object. */
  rawBody: Buffer | string;
}

/** The outcome of a verification. `reason` names what failed; it never contains a secret or an expected signature. */
export type WebhookVerificationResult =
  | { ok: true; deliveryId?: string; timestamp?: Date }
  | { ok: false; reason: string };

/** A failed verification. */
export type WebhookFailure = Extract<WebhookVerificationResult, { ok: false }>;

/**
 * Header names and replay window of a scheme. Every field is optional: what is left out falls back to the vendor's
 * documented default for the scheme (see `webhookSchemeDefaults`). A platform config's `webhooks` object fits here.
 */
export interface WebhookSignatureConfig {
  signatureHeader?: string;
  timestampHeader?: string;
  deliveryIdHeader?: string;
  /** Replay window, for schemes that sign a timestamp. Default 300 s. */
  toleranceSeconds?: number;
}

/** `WebhookSignatureConfig` with the scheme's defaults applied. */
export interface ResolvedWebhookConfig {
  signatureHeader: string;
  timestampHeader?: string;
  deliveryIdHeader?: string;
  toleranceSeconds: number;
}

/** How a platform signs its webhooks: a scheme plus optional header overrides, or no signing at all. */
export type PlatformWebhookConfig =
  | ({ scheme: WebhookSchemeName } & WebhookSignatureConfig)
  | GenericBodyHmacConfig
  | GenericSignedContentConfig
  | { scheme: 'none'; reason?: string };

export interface VerifyWebhookSignatureOptions {
  /** Every secret currently valid for the endpoint (several while rotating); any one may match. Empty fails. */
  secrets: readonly string[];
  /** The clock for replay windows; defaults to the current time. */
  now?: Date;
}

export interface VerifyWebhookOptions extends VerifyWebhookSignatureOptions {
  /** The platform's webhook config; when absent, the registered one, then the built-in platform table. */
  config?: PlatformWebhookConfig;
}

/** What `signWebhook` needs to produce a delivery the platform would have sent. */
export interface SignWebhookInput {
  /** The secret, in the form the platform hands it out (e.g. `whsec_…`). */
  secret: string;
  rawBody: Buffer | string;
  /** The full URL the delivery goes to. Required by `twilio-sha1`, `hubspot-v3` and `square-hmac-sha256`. */
  url?: string;
  /** HTTP method; default `POST`. */
  method?: string;
  /** The signing time; defaults to now. */
  timestamp?: Date;
  /** The delivery id to send (and sign, for `standard-webhooks`); one is generated when the scheme has such a header. */
  deliveryId?: string;
  /**
   * `twilio-sha1` only: a form body (`application/x-www-form-urlencoded`, the default) is signed parameter by
   * parameter; any other body is covered by a `bodySHA256` query parameter added to the URL.
   */
  contentType?: string;
  /** Header-name overrides, as for verification. */
  config?: WebhookSignatureConfig;
}

/** A signed delivery: send `rawBody` to `url` (which may have gained a query parameter) with `headers`. */
export interface SignedWebhook {
  url: string;
  headers: Record<string, string>;
}
