/**
 * The interface every signature scheme implements, and the helpers they share.
 *
 * A scheme does only what is specific to its vendor: read its headers, say which signatures the request carries,
 * which timestamp it signed, and what digest a given secret would produce. Everything else — failing closed without
 * secrets, the replay window, trying every secret during a rotation, the constant-time comparison and the reasons —
 * lives once, in `verifyWebhookSignature`, so no scheme can get it subtly wrong.
 */
import type { WebhookHeaderReader } from './webhook-headers.js';
import type { ResolvedWebhookConfig, WebhookFailure, WebhookSchemeName } from './webhook-types.js';

/** The request, normalised for a scheme: raw bytes and a case-insensitive header reader. */
export interface WebhookParseInput {
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
  readonly headers: WebhookHeaderReader;
  readonly config: ResolvedWebhookConfig;
}

/** What a scheme found in a request. */
export interface ParsedWebhookSignature {
  /** The signatures the request carries, decoded to bytes; any one matching is enough. */
  readonly provided: readonly Buffer[];
  /** The timestamp the signature covers, for schemes that sign one (checked against the replay window). */
  readonly timestamp?: Date;
  /**
   * The digests `secret` would have produced for this request: usually one; several where the vendor's canonical
   * input is ambiguous (Twilio's port number); none when the secret cannot be used by this scheme.
   */
  expected(secret: string): readonly Buffer[];
}

/** A signing request with every default applied. */
export interface WebhookSignContext {
  readonly secret: string;
  readonly body: Buffer;
  readonly url: string | undefined;
  readonly method: string;
  readonly timestamp: Date;
  readonly deliveryId: string;
  readonly contentType: string | undefined;
  readonly config: ResolvedWebhookConfig;
}

/** The headers a scheme adds, and the URL when signing changes it (Twilio's `bodySHA256`). */
export interface SchemeSignature {
  headers: Record<string, string>;
  url?: string;
}

export interface WebhookScheme {
  /**
   * The vendor scheme's name, or the generic scheme a platform's config declares: `hmac-body` (a plain body HMAC)
   * or `hmac-signed-content` (an HMAC over a template of timestamp, body and delivery id).
   */
  readonly name: WebhookSchemeName | 'hmac-body' | 'hmac-signed-content';
  /** The vendor's documented header names (and replay window, where a timestamp is signed). */
  readonly defaults: Readonly<ResolvedWebhookConfig>;
  /** The scheme signs the request URL, so a request without an absolute http(s) URL cannot verify. */
  readonly signsUrl?: boolean;
  /** Reads the request's signature material, or says which header is missing or garbled. */
  parse(input: WebhookParseInput): ParsedWebhookSignature | WebhookFailure;
  /** Produces the headers the vendor would send; used by the sandbox emulator and tests. */
  sign(input: WebhookSignContext): SchemeSignature;
}

/** The default replay window of every timestamped scheme: five minutes, as each vendor documents. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function fail(reason: string): WebhookFailure {
  return { ok: false, reason };
}

export function isFailure(value: unknown): value is WebhookFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/** A Unix time in seconds (digits only), or `undefined`. */
export function parseUnixSeconds(value: string): Date | undefined {
  return /^\d{1,12}$/.test(value) ? new Date(Number(value) * 1000) : undefined;
}

/** A Unix time in milliseconds (digits only), or `undefined`. */
export function parseUnixMillis(value: string): Date | undefined {
  return /^\d{1,15}$/.test(value) ? new Date(Number(value)) : undefined;
}

/** Whole Unix seconds of a date. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The same header name `reason`s use everywhere. */
export function malformed(header: string, expected: string): WebhookFailure {
  return fail(`malformed ${header} header: expected ${expected}`);
}
