/**
 * Webhook subscriptions made through a platform's API, as its config's `webhooks.registration` declares: the
 * create request's body from a template, the platform's id of the subscription from the answer, and where the
 * signing secret comes from (the answer, a secret we generate and send, the OAuth app's client secret, or the user).
 */
import { randomBytes } from 'node:crypto';
import { getPath } from '../dotted-path.js';
import type { WebhookConfig } from '../platform-schema.js';

/** The `registration` of a platform that subscribes through its API. */
export type ApiWebhookRegistration = Extract<
  Extract<WebhookConfig, { registration: unknown }>['registration'],
  { kind: 'api' }
>;

export interface WebhookSubscriptionInput {
  /** Where the platform must post (our inbound route for this registration). */
  endpointUrl: string;
  events: readonly string[];
}

export interface WebhookSubscription {
  /** The platform's ids of the subscriptions made (one per event type where the platform takes one at a time). */
  ids: string[];
  /** The signing secret, when it comes from the platform's answer, from us, or from the OAuth app. */
  secret: string | undefined;
}

/** The values a registration body template takes. */
export interface WebhookTemplateValues {
  endpointUrl: string;
  events: readonly string[];
  event?: string | undefined;
  secret?: string | undefined;
}

const PLACEHOLDER = /\{(endpointUrl|secret|event)\}/g;

/**
 * Fills a registration body template: a string exactly `"{events}"` becomes the array of event types; `{endpointUrl}`,
 * `{secret}` and `{event}` are replaced inside any string.
 * @example
 * fillWebhookBody({ url: '{endpointUrl}', enabled_events: '{events}' }, { endpointUrl: 'https://x/y', events: ['a'] });
 * // { url: 'https://x/y', enabled_events: ['a'] }
 */
export function fillWebhookBody(template: unknown, values: WebhookTemplateValues): unknown {
  if (typeof template === 'string') {
    if (template === '{events}') return [...values.events];
    return template.replace(PLACEHOLDER, (_, name: 'endpointUrl' | 'secret' | 'event') => {
      const value = values[name];
      if (value === undefined) throw new TypeError(`webhook registration body uses {${name}}, which has no value`);
      return value;
    });
  }
  if (Array.isArray(template)) return template.map((item) => fillWebhookBody(item, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillWebhookBody(v, values)]));
  }
  return template;
}

/** A secret to send where the platform lets the subscriber choose it: 32 random bytes, hex. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

/** What `subscribeWebhook` needs from an adapter: one authenticated request to the platform. */
export type SubscriptionRequest = (request: {
  method: 'POST' | 'PUT';
  body: unknown;
  encoding: 'json' | 'form';
}) => Promise<{ body: unknown; headers: Record<string, string | string[] | undefined> }>;

/**
 * Creates the subscriptions (one, or one per event type) and reads each answer's id and, where the platform returns
 * it, the secret. When a later one fails (Shopify refusing the second topic), the ones made before it are removed
 * with `undo` (best effort) before the error is thrown, so no subscription is left at the platform unrecorded.
 * @throws the `send` error, or TypeError when an answer lacks the id or secret at the configured path (the platform
 *   changed, or the config is wrong).
 */
export async function subscribeWebhook(
  registration: ApiWebhookRegistration,
  input: WebhookSubscriptionInput & { clientSecret?: string | undefined },
  send: SubscriptionRequest,
  undo: (id: string) => Promise<unknown> = async () => {},
): Promise<WebhookSubscription> {
  let secret: string | undefined;
  if (registration.secret.from === 'generated') secret = generateWebhookSecret();
  if (registration.secret.from === 'client-secret') secret = input.clientSecret;
  const batches = registration.perEvent ? input.events.map((event) => [event]) : [input.events];
  const ids: string[] = [];
  try {
    for (const events of batches) {
      const body = fillWebhookBody(registration.body, {
        endpointUrl: input.endpointUrl,
        events,
        event: events[0],
        secret,
      });
      const { body: answer, headers } = await send({
        method: registration.method,
        body,
        encoding: registration.encoding,
      });
      const header = registration.idHeader ? headers[registration.idHeader.toLowerCase()] : undefined;
      const id = registration.idPath
        ? getPath(answer, registration.idPath)
        : Array.isArray(header)
          ? header[0]
          : header;
      if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
        const where = registration.idPath ? `at "${registration.idPath}"` : `in its ${registration.idHeader} header`;
        throw new TypeError(`the platform's answer has no subscription id ${where}`);
      }
      ids.push(String(id));
      if (registration.secret.from === 'response') {
        const returned = getPath(answer, registration.secret.path);
        if (typeof returned !== 'string' || returned === '') {
          throw new TypeError(`the platform's answer has no signing secret at "${registration.secret.path}"`);
        }
        secret = returned;
      }
    }
  } catch (error) {
    for (const id of ids) await undo(id).catch(() => {});
    throw error;
  }
  return { ids, secret };
}
