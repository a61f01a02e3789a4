/**
 * A registration's subscriptions at the platform, through the connection's adapter: made when a tenant registers
 * without a secret, checked (and made again when the platform lost them) by the daily reconcile, and removed on
 * disconnect. The platform's answer decides the signing secret where it gives one (Stripe's `whsec_…`).
 */
import type { ConnectionRow } from '../db/repositories/connection-repository.js';
import type { PlatformMeta } from '../runtime/adapter-types.js';
import type { ApiWebhookRegistration } from '../runtime/webhooks/webhook-subscriptions.js';
import { adapterForConnection, oauthRegistrationFor } from '../service/connection-adapters.js';
import type { ServiceContext } from '../service/service-context.js';
import { describeError } from '../sync/sync-errors.js';
import {
  recordRegistrationError,
  recordSubscription,
  recordUnsubscribed,
  type WebhookRegistration,
} from './webhook-store.js';

/** The registration through the platform's API, or `undefined` where webhooks are set up in its dashboard. */
export function apiRegistrationOf(meta: PlatformMeta): ApiWebhookRegistration | undefined {
  const webhooks = meta.webhooks;
  if (webhooks.scheme === 'none' || webhooks.registration.kind !== 'api') return undefined;
  return webhooks.registration;
}

/** Why a registration through the API cannot be made by this deployment, or `undefined` when it can. */
export function subscriptionBlocker(ctx: ServiceContext, meta: PlatformMeta): string | undefined {
  const registration = apiRegistrationOf(meta);
  if (!registration) return `${meta.name} webhooks are set up in its dashboard`;
  if (registration.secret.from === 'client-secret' && !oauthRegistrationFor(ctx, meta.id)?.clientSecret) {
    return `${meta.name} signs webhooks with the OAuth app's client secret, and this deployment has none: set ENGARDE_PLATFORM_OVERRIDES "${meta.id}".oauth.clientSecret`;
  }
  return undefined;
}

/**
 * Makes the registration's subscriptions at the platform and records them (ids, secret).
 * @returns whether the platform's answer gave (or we chose) the signing secret.
 * @throws the adapter's typed errors when the platform refuses (after recording the error on the registration).
 */
export async function subscribeAtPlatform(
  ctx: ServiceContext,
  connection: ConnectionRow,
  webhook: Pick<WebhookRegistration, 'tenantId' | 'connectionId' | 'webhookId' | 'endpointUrl' | 'events'>,
): Promise<{ ids: string[]; secretKnown: boolean }> {
  const adapter = await adapterForConnection(ctx, connection);
  try {
    const made = await adapter.subscribeWebhook({ endpointUrl: webhook.endpointUrl, events: webhook.events });
    await recordSubscription(ctx.db, ctx.settings.keyRing, {
      tenantId: webhook.tenantId,
      connectionId: webhook.connectionId,
      webhookId: webhook.webhookId,
      ids: made.ids,
      secret: made.secret,
      at: ctx.now(),
    });
    return { ids: made.ids, secretKnown: made.secret !== undefined };
  } catch (error) {
    await recordRegistrationError(ctx.db, {
      tenantId: webhook.tenantId,
      webhookId: webhook.webhookId,
      error: describeError(error),
      at: ctx.now(),
    });
    throw error;
  } finally {
    await adapter.close();
  }
}

/**
 * Removes the registrations' subscriptions at the platform (disconnect), while the credentials still work. Failures
 * are reported, not thrown: the disconnect goes on.
 */
export async function unsubscribeAtPlatform(
  ctx: ServiceContext,
  connection: ConnectionRow,
  webhooks: readonly WebhookRegistration[],
): Promise<{ removed: number; failed: string[] }> {
  const subscribed = webhooks.filter((w) => w.platformWebhookIds.length > 0);
  if (subscribed.length === 0) return { removed: 0, failed: [] };
  const failed: string[] = [];
  let removed = 0;
  const adapter = await adapterForConnection(ctx, connection);
  try {
    for (const webhook of subscribed) {
      try {
        for (const id of webhook.platformWebhookIds) {
          await adapter.unsubscribeWebhook(id);
          removed += 1;
        }
        await recordUnsubscribed(ctx.db, {
          tenantId: webhook.tenantId,
          webhookId: webhook.webhookId,
          at: ctx.now(),
          removed: true,
        });
      } catch (error) {
        failed.push(`${webhook.webhookId}: ${describeError(error)}`);
      }
    }
  } finally {
    await adapter.close();
  }
  return { removed, failed };
}

export type ReconcileOutcome = 'present' | 'subscribed' | 'failed';

/**
 * The daily check of one registration: every subscription still at the platform → `present`; one missing (or never
 * made: a registration interrupted between our insert and the platform's answer) → the rest removed and the whole
 * set made again (`subscribed`, with the new secret rotated in); the platform failing → `failed`, recorded.
 */
export async function reconcileAtPlatform(
  ctx: ServiceContext,
  connection: ConnectionRow,
  webhook: WebhookRegistration,
): Promise<ReconcileOutcome> {
  const adapter = await adapterForConnection(ctx, connection);
  try {
    let missing = webhook.platformWebhookIds.length === 0;
    for (const id of webhook.platformWebhookIds) {
      if (!(await adapter.hasWebhookSubscription(id))) missing = true;
    }
    if (!missing) {
      await ctx.db
        .updateTable('platform_webhooks')
        .set({ reconciled_at: ctx.now(), registration_error: null })
        .where('tenant_id', '=', webhook.tenantId)
        .where('webhook_id', '=', webhook.webhookId)
        .execute();
      return 'present';
    }
    // Left over from a partial set: removed, so the platform does not deliver every event twice.
    for (const id of webhook.platformWebhookIds) await adapter.unsubscribeWebhook(id);
    await recordUnsubscribed(ctx.db, {
      tenantId: webhook.tenantId,
      webhookId: webhook.webhookId,
      at: ctx.now(),
      removed: false,
    });
  } catch (error) {
    await recordRegistrationError(ctx.db, {
      tenantId: webhook.tenantId,
      webhookId: webhook.webhookId,
      error: describeError(error),
      at: ctx.now(),
    });
    return 'failed';
  } finally {
    await adapter.close();
  }
  try {
    await subscribeAtPlatform(ctx, connection, webhook);
    return 'subscribed';
  } catch {
    return 'failed'; // recorded by subscribeAtPlatform
  }
}
