/**
 * `reconcile_webhooks` (crontab, daily): for every registration subscribed through a platform's API on an active
 * connection, asks the platform whether its subscriptions still exist, and subscribes again where it lost them (a
 * platform disables endpoints that fail for days; a user deletes one in the dashboard) or where a registration was
 * interrupted before the platform answered. What happened is in the registration (`reconciled_at`,
 * `registration_error`) and the audit log. Registrations checked in the last 20 hours are skipped, so a rerun of the
 * day's job does not ask again.
 */
import type { Task } from 'graphile-worker';
import { audit } from '../../db/repositories/audit-repository.js';
import { getConnection } from '../../db/repositories/connection-repository.js';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import type { ServiceContext } from '../../service/service-context.js';
import { findWebhook } from '../../webhooks/webhook-store.js';
import { apiRegistrationOf, type ReconcileOutcome, reconcileAtPlatform } from '../../webhooks/webhook-subscriber.js';

/** How recent a check may be for the registration to be skipped. */
const RECHECK_AFTER_MS = 20 * 60 * 60_000;

export function reconcileWebhooksTask(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const due = new Date(ctx.now().getTime() - RECHECK_AFTER_MS);
    const rows = await ctx.db
      .selectFrom('platform_webhooks as w')
      .innerJoin('platform_connections as c', (join) =>
        join.onRef('c.tenant_id', '=', 'w.tenant_id').onRef('c.connection_id', '=', 'w.connection_id'),
      )
      .select(['w.tenant_id', 'w.webhook_id', 'w.connection_id', 'w.platform'])
      .where('c.status', '=', 'active')
      .where('w.unregistered_at', 'is', null)
      .where((eb) => eb.or([eb('w.reconciled_at', 'is', null), eb('w.reconciled_at', '<', due)]))
      // Registrations made with a dashboard secret have nothing to check at the platform.
      .where('w.through_api', '=', true)
      .orderBy('w.tenant_id')
      .orderBy('w.webhook_id')
      .execute();
    const counts: Record<ReconcileOutcome, number> = { present: 0, subscribed: 0, failed: 0 };
    for (const row of rows) {
      if (!ctx.registry.has(row.platform)) continue;
      const meta = (await ctx.registry.meta(row.platform)) as PlatformMeta;
      if (!apiRegistrationOf(meta)) continue;
      const [connection, webhook] = await Promise.all([
        getConnection(ctx.db, row.tenant_id, row.connection_id, { withCredentials: true }),
        findWebhook(ctx.db, row.tenant_id, row.webhook_id),
      ]);
      if (!connection || !webhook) continue;
      const outcome = await reconcileAtPlatform(ctx, connection, webhook);
      counts[outcome] += 1;
      if (outcome !== 'present') {
        const after = await findWebhook(ctx.db, row.tenant_id, row.webhook_id);
        await audit(ctx.db, {
          tenantId: row.tenant_id,
          actor: 'system:reconcile_webhooks',
          action: outcome === 'subscribed' ? 'webhook.resubscribed' : 'webhook.reconcile_failed',
          targetType: 'webhook',
          targetId: row.webhook_id,
          details: {
            platform: row.platform,
            connection_id: row.connection_id,
            ...(outcome === 'subscribed'
              ? { platform_webhook_ids: after?.platformWebhookIds ?? [] }
              : { error: after?.registrationError ?? null }),
          },
        });
      }
    }
    if (rows.length > 0) {
      helpers.logger.info(
        `webhook subscriptions: ${counts.present} present, ${counts.subscribed} subscribed again, ${counts.failed} failed`,
      );
    }
  };
}
