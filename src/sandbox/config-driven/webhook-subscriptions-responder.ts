/**
 * Webhook subscriptions in the config-driven emulator, served from the platform's `webhooks.registration` when it
 * is `kind: "api"`, on the routes the runtime's `subscribeWebhook`, `hasWebhookSubscription` and
 * `unsubscribeWebhook` use:
 *
 * - create: the registration's `method` to its `path`. The body is read as its `encoding` says; every place where
 *   the template has `{endpointUrl}` (an http(s) URL), `{events}` (a non-empty array), `{event}` or `{secret}` (a
 *   non-empty string) must hold a value, else 422 naming the field. A value `"__invalid__"` among them is a 422 too
 *   (the platform refusing an event type it does not know). The answer is the body as sent, with the new
 *   subscription's id at `idPath` (or, with `idHeader`, in that header and no body: Help Scout's `Resource-ID`), a
 *   secret the emulator made at `secret.path` when the secret comes from the answer (base64 of 32 random bytes), and
 *   a secret we sent masked as `********` (GitHub's way). 201 for JSON, 200 for forms, as entity creates answer.
 * - handshake (`secret.from: "handshake"`, Asana): before answering, the emulator posts to the endpoint URL with the
 *   secret in `secret.header`, and makes the subscription only when the answer is 2xx and carries the same header;
 *   otherwise 400.
 * - `itemPath` with `{webhookId}`: GET answers the subscription (without a secret), DELETE removes it (204, or 200
 *   with the success flag where the platform has one); an unknown id goes on to the entity routes, and so is the
 *   emulator's 404 unless it is a record's (Checkout.com's workflows are both).
 * - Where an entity is created at the same path (Checkout.com `POST /workflows`), a body without the endpoint URL
 *   where the template puts it is that entity's create.
 *
 * Through the control, tests list and drop subscriptions (as if removed on the platform) and send deliveries signed
 * as the platform's `webhooks.scheme` signs, with the subscription's secret (the one made, sent or handed over).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { genericBodyHmacScheme } from '../../runtime/webhooks/body-hmac-scheme.js';
import { signWebhook } from '../../runtime/webhooks/sign-webhook.js';
import { signedContentHmacScheme } from '../../runtime/webhooks/signed-content-hmac-scheme.js';
import type { WebhookSignContext } from '../../runtime/webhooks/webhook-scheme.js';
import type { ApiWebhookRegistration } from '../../runtime/webhooks/webhook-subscriptions.js';
import type { ResolvedWebhookConfig } from '../../runtime/webhooks/webhook-types.js';
import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { decodeBracketForm } from '../platforms/stripe-emulator.js';
import { compilePathTemplate, matchPath, type PathMatcher } from './path-template.js';
import { isPlainObject } from './record-store.js';
import { type Row, setDeep } from './record-synthesizer.js';
import { INVALID_VALUE } from './write-body.js';
import { errorAnswer } from './write-responder.js';

/** A subscription the emulated platform holds. */
export interface EmulatedWebhookSubscription {
  /** The platform's id of it (what the create answered at `idPath` or in `idHeader`). */
  id: string;
  /** The create request's body, as read (a form decoded with bracket nesting). */
  body: Row;
  /** Where deliveries go: the body's value where the template has `{endpointUrl}`. */
  endpointUrl: string;
  /** The event types: the body's values where the template has `{events}` or `{event}`. */
  events: string[];
  /**
   * The secret deliveries are signed with, where the platform knows it: made for the answer (`from: response`),
   * sent in the body (`generated`), or handed over in the handshake; `undefined` for the OAuth app's client secret
   * and for a secret the user copies from the dashboard (pass it to `deliver`).
   */
  secret: string | undefined;
  createdAt: string;
}

export interface WebhookDeliveryOptions {
  /** The payload (sent as JSON); default `{}` with a new id and the event type where the config reads them. */
  payload?: unknown;
  /** The event type (its header, where the platform has one); default the subscription's first. */
  event?: string | undefined;
  /** The signing secret, when the subscription has none of its own (client secret, user's secret) or to spoil it. */
  secret?: string | undefined;
  /** The delivery id (its header, where the platform has one); default a new UUID. */
  deliveryId?: string | undefined;
}

/** An answered delivery: the endpoint's status and body, and the delivery id sent. */
export interface EmulatedWebhookDelivery {
  status: number;
  body: string;
  deliveryId: string;
}

export interface WebhookSubscriptionResponder {
  /** Answers a subscription request; `undefined` when the request is not one (an unknown id included). */
  respond(request: EmulatorRequest, relative: string): Promise<EmulatorResponse | undefined>;
  subscriptions(): EmulatedWebhookSubscription[];
  drop(id: string): boolean;
  /**
   * @throws RangeError for an unknown subscription; TypeError when no secret is known (pass `secret`) or the
   *   platform does not sign webhooks.
   */
  deliver(id: string, options?: WebhookDeliveryOptions): Promise<EmulatedWebhookDelivery>;
}

export interface WebhookSubscriptionResponderOptions {
  meta: PlatformMeta;
  connectionConfig: Readonly<Record<string, string>>;
  now: () => number;
  /** A good answer's body with the platform's success flag, where it has one (Slack's `ok: true`). */
  okFlag(body: unknown): unknown;
}

type Placeholder = 'endpointUrl' | 'events' | 'event' | 'secret';
type Segment = string | number;

/** Where the body template puts each webhook value (`[['config', 'url'], 'endpointUrl']`, …). */
function placeholderPaths(template: unknown, at: Segment[] = []): Array<[Segment[], Placeholder]> {
  if (typeof template === 'string') {
    if (template === '{events}') return [[at, 'events']];
    const found = /\{(endpointUrl|event|secret)\}/.exec(template)?.[1] as Placeholder | undefined;
    return found ? [[at, found]] : [];
  }
  if (Array.isArray(template)) return template.flatMap((item, i) => placeholderPaths(item, [...at, i]));
  if (isPlainObject(template)) {
    return Object.entries(template).flatMap(([k, v]) => placeholderPaths(v, [...at, k]));
  }
  return [];
}

function valueAt(body: unknown, path: readonly Segment[]): unknown {
  let node = body;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key as string];
  }
  return node;
}

function setAt(body: unknown, path: readonly Segment[], value: unknown): void {
  const parent = valueAt(body, path.slice(0, -1));
  const last = path.at(-1);
  if (last !== undefined && parent !== null && typeof parent === 'object') {
    (parent as Record<string, unknown>)[last as string] = value;
  }
}

const isHttpUrl = (value: unknown): value is string =>
  typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

/**
 * Builds the subscription side of a config-driven emulator; one that answers nothing for a platform without a
 * registration API.
 *
 * @example
 * const hooks = createWebhookSubscriptionResponder({ meta, connectionConfig, now, okFlag });
 * const answer = await hooks.respond(request, '/repos/octo/hello/hooks'); // undefined when not a subscription route
 */
export function createWebhookSubscriptionResponder(
  options: WebhookSubscriptionResponderOptions,
): WebhookSubscriptionResponder {
  const { meta, connectionConfig, now, okFlag } = options;
  const webhooks = meta.webhooks;
  const registration: ApiWebhookRegistration | undefined =
    webhooks.scheme !== 'none' && webhooks.registration.kind === 'api' ? webhooks.registration : undefined;
  const held: EmulatedWebhookSubscription[] = [];
  let sequence = 0;

  const routes:
    | {
        create: PathMatcher;
        item: PathMatcher;
        paths: Array<[Segment[], Placeholder]>;
        /** An entity is created at the same path. */
        shared: boolean;
      }
    | undefined = registration && {
    create: compilePathTemplate(registration.path, meta, connectionConfig),
    item: compilePathTemplate(registration.itemPath.replace('{webhookId}', '{id}'), meta, connectionConfig),
    paths: placeholderPaths(registration.body),
    shared: Object.values(meta.entities).some(
      (e) => e.write.includes('create') && (e.createPath ?? e.path).split('?')[0] === registration.path,
    ),
  };

  /** The subscription as the platform answers it: the body with its id, and no secret we sent. */
  const answerBody = (subscription: EmulatedWebhookSubscription, secret?: string): Row => {
    const body = structuredClone(subscription.body);
    for (const [path, kind] of routes?.paths ?? []) if (kind === 'secret') setAt(body, path, '********');
    if (registration?.idPath) setDeep(body, registration.idPath, subscription.id);
    if (secret !== undefined && registration?.secret.from === 'response') {
      setDeep(body, registration.secret.path, secret);
    }
    return body;
  };

  const bodyOf = (request: EmulatorRequest, encoding: 'json' | 'form'): Row | undefined => {
    if (encoding === 'form') {
      return isPlainObject(request.body) ? decodeBracketForm(request.body as Record<string, string>) : {};
    }
    return request.bodyError === undefined && isPlainObject(request.body) ? request.body : undefined;
  };

  /** The handshake: the secret posted to the endpoint, which must answer with it. An error answer when not. */
  const handshake = async (endpointUrl: string, header: string, secret: string): Promise<string | undefined> => {
    try {
      const answer = await fetch(endpointUrl, {
        method: 'POST',
        headers: { [header]: secret },
        signal: AbortSignal.timeout(10_000),
      });
      await answer.arrayBuffer();
      if (answer.ok && answer.headers.get(header) === secret) return undefined;
      return `the endpoint answered ${answer.status} without the ${header} header it was sent`;
    } catch (error) {
      return `the endpoint could not be reached (${(error as Error).message})`;
    }
  };

  const create = async (
    request: EmulatorRequest,
    reg: ApiWebhookRegistration,
  ): Promise<EmulatorResponse | undefined> => {
    const body = bodyOf(request, reg.encoding);
    const urlPath = routes?.paths.find(([, kind]) => kind === 'endpointUrl')?.[0] ?? [];
    if (routes?.shared && valueAt(body, urlPath) === undefined) return undefined;
    if (!body) return errorAnswer(400, 'invalid_request', 'the body must be a JSON object');
    let endpointUrl = '';
    const events: string[] = [];
    let sent: string | undefined;
    for (const [path, kind] of routes?.paths ?? []) {
      const value = valueAt(body, path);
      const field = path.join('.');
      const invalid = (message: string) => errorAnswer(422, 'validation_failed', `${field} ${message}`, { field });
      if (kind === 'endpointUrl') {
        if (!isHttpUrl(value)) return invalid('must be an http(s) URL');
        endpointUrl = value;
      } else if (kind === 'events') {
        if (!Array.isArray(value) || value.length === 0 || !value.every((e) => typeof e === 'string' && e !== '')) {
          return invalid('must be a non-empty list of event types');
        }
        events.push(...(value as string[]));
      } else if (typeof value !== 'string' || value === '') {
        return invalid("can't be blank");
      } else if (kind === 'event') events.push(value);
      else sent = value;
      if (value === INVALID_VALUE || (Array.isArray(value) && value.includes(INVALID_VALUE))) {
        return invalid(`has a value the platform does not accept (${INVALID_VALUE})`);
      }
    }
    let secret = sent;
    if (reg.secret.from === 'response') secret = randomBytes(32).toString('base64');
    if (reg.secret.from === 'handshake') {
      secret = randomBytes(32).toString('hex');
      const failure = await handshake(endpointUrl, reg.secret.header, secret);
      if (failure) return errorAnswer(400, 'handshake_failed', `The webhook handshake failed: ${failure}`);
    }
    const subscription: EmulatedWebhookSubscription = {
      id: String(9_000_000 + ++sequence),
      body,
      endpointUrl,
      events,
      secret,
      createdAt: new Date(now()).toISOString(),
    };
    held.push(subscription);
    if (reg.idHeader) {
      return { status: 201, headers: { [reg.idHeader.toLowerCase()]: subscription.id } };
    }
    return { status: reg.encoding === 'json' ? 201 : 200, body: okFlag(answerBody(subscription, secret)) };
  };

  const signedHeaders = (secret: string, rawBody: string, url: string, deliveryId: string): Record<string, string> => {
    if (webhooks.scheme === 'none') throw new TypeError(`${meta.id} does not sign webhooks`);
    // The two config-declared schemes: signed by the scheme built from the platform's own config.
    const delivery = (config: ResolvedWebhookConfig): WebhookSignContext => ({
      secret,
      body: Buffer.from(rawBody),
      url,
      method: 'POST',
      timestamp: new Date(now()),
      deliveryId,
      contentType: 'application/json',
      config,
    });
    if (webhooks.scheme === 'hmac-body') {
      const { headers } = genericBodyHmacScheme(webhooks).sign(
        delivery({ signatureHeader: webhooks.signatureHeader, toleranceSeconds: 300 }),
      );
      return { ...(webhooks.deliveryIdHeader ? { [webhooks.deliveryIdHeader]: deliveryId } : {}), ...headers };
    }
    if (webhooks.scheme === 'hmac-signed-content') {
      const scheme = signedContentHmacScheme(webhooks);
      return scheme.sign(delivery(scheme.defaults)).headers;
    }
    const { signatureHeader, timestampHeader, deliveryIdHeader, toleranceSeconds } = webhooks;
    return signWebhook(webhooks.scheme, {
      secret,
      rawBody,
      url,
      deliveryId,
      timestamp: new Date(now()),
      contentType: 'application/json',
      config: { signatureHeader, timestampHeader, deliveryIdHeader, toleranceSeconds },
    }).headers;
  };

  return {
    async respond(request, relative) {
      if (!registration || !routes) return undefined;
      const query = request.url.searchParams;
      if (request.method === registration.method && matchPath(routes.create, relative, query)) {
        return create(request, registration);
      }
      const item = matchPath(routes.item, relative, query);
      if (item?.id === undefined || (request.method !== 'GET' && request.method !== 'DELETE')) return undefined;
      const at = held.findIndex((s) => s.id === item.id);
      const found = held[at];
      if (!found) return undefined;
      if (request.method === 'GET') return { status: 200, body: okFlag(answerBody(found)) };
      held.splice(at, 1);
      return typeof meta.errorBody?.when.equals === 'boolean' ? { status: 200, body: okFlag({}) } : { status: 204 };
    },
    subscriptions: () => structuredClone(held),
    drop(id) {
      const at = held.findIndex((s) => s.id === id);
      if (at >= 0) held.splice(at, 1);
      return at >= 0;
    },
    async deliver(id, delivery = {}) {
      const subscription = held.find((s) => s.id === id);
      if (!subscription) throw new RangeError(`${meta.id} emulator: no webhook subscription ${id}`);
      const secret = delivery.secret ?? subscription.secret;
      if (secret === undefined) {
        throw new TypeError(
          `${meta.id} emulator: subscription ${id} has no secret of its own (the OAuth app's, or the user's): pass one`,
        );
      }
      const event = delivery.event ?? subscription.events[0] ?? 'test';
      const deliveryId = delivery.deliveryId ?? randomUUID();
      let payload = delivery.payload;
      if (payload === undefined) {
        const generated: Row = {};
        const config = webhooks.scheme === 'none' ? undefined : webhooks;
        if (config?.deliveryIdPath) setDeep(generated, config.deliveryIdPath, deliveryId);
        if (config?.eventTypePath) setDeep(generated, config.eventTypePath, event);
        payload = generated;
      }
      const rawBody = JSON.stringify(payload);
      const eventHeader = webhooks.scheme === 'none' ? undefined : webhooks.eventTypeHeader;
      const response = await fetch(subscription.endpointUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(eventHeader ? { [eventHeader]: event } : {}),
          ...signedHeaders(secret, rawBody, subscription.endpointUrl, deliveryId),
        },
        body: rawBody,
      });
      return { status: response.status, body: await response.text(), deliveryId };
    },
  };
}
