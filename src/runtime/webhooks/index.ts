/** Webhook signature verification (inbound) and signing (the sandbox emulator's outbound deliveries). */
export { signWebhook } from './sign-webhook.js';
export type {
  GenericSignedContentConfig,
  SignatureListFormat,
  SignedTimestampFormat,
} from './signed-content-hmac-scheme.js';
export { verifyWebhook, verifyWebhookSignature } from './verify-webhook.js';
export type { WebhookMetaSource } from './webhook-config-registry.js';
export {
  lookupWebhookConfig,
  registerPlatformWebhooks,
  registerWebhookConfig,
  unregisterWebhookConfig,
} from './webhook-config-registry.js';
export type { ParsedWebhookSignature, WebhookScheme } from './webhook-scheme.js';
export type { ApiWebhookRegistration, WebhookSubscription, WebhookSubscriptionInput } from './webhook-subscriptions.js';
export type {
  PlatformWebhookConfig,
  ResolvedWebhookConfig,
  SignedWebhook,
  SignWebhookInput,
  VerifyWebhookOptions,
  VerifyWebhookSignatureOptions,
  WebhookFailure,
  WebhookHeaders,
  WebhookRequest,
  WebhookSchemeName,
  WebhookSignatureConfig,
  WebhookVerificationResult,
} from './webhook-types.js';
