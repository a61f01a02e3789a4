/**
 * `deliver_alert` `{ tenant_id, delivery_id }`: POSTs one alert event (`alert.opened`, `alert.resolved`) to the
 * tenant's destination, signed per Standard Webhooks (`src/alerts/alert-delivery.ts`), and records the attempt on
 * its `alert_deliveries` row. Queued by the evaluator in the transaction that opened or resolved the alert.
 *
 * A 2xx answer delivers it. Anything else is retried by graphile-worker with its exponential backoff (the row shows
 * the attempt count, the last status or error and when the next attempt is due) until the job's last attempt, which
 * marks it `failed`; a destination the private-network guard refuses fails at once. A delivery whose tenant removed
 * its destination is `skipped`. The secret signs the request and goes nowhere else.
 */
import type { Task } from 'graphile-worker';
import { sendDelivery, signAlertDelivery } from '../../alerts/alert-delivery.js';
import { destinationGuard, loadDestinationForDelivery } from '../../alerts/alert-destinations.js';
import type { ServiceContext } from '../../service/service-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DeliverAlertPayload {
  tenant_id: string;
  delivery_id: string;
}

/**
 * @throws Error naming the field that is missing or not a UUID.
 * @example
 * const { tenant_id, delivery_id } = assertDeliverAlertPayload(payload);
 */
export function assertDeliverAlertPayload(payload: unknown): DeliverAlertPayload {
  const p = payload as Partial<DeliverAlertPayload> | null;
  for (const field of ['tenant_id', 'delivery_id'] as const) {
    const value = p?.[field];
    if (typeof value !== 'string' || !UUID.test(value)) throw new Error(`job payload: ${field} must be a UUID`);
  }
  return { tenant_id: (p as DeliverAlertPayload).tenant_id, delivery_id: (p as DeliverAlertPayload).delivery_id };
}

/** When graphile-worker 0.17 runs a failed job again: `exp(least(attempts, 10))` seconds later. */
export function nextAttemptAt(now: Date, attempts: number): Date {
  return new Date(now.getTime() + Math.round(Math.exp(Math.min(attempts, 10)) * 1000));
}

export interface DeliverAlertOptions {
  /** How long the receiver has to answer (default `DELIVERY_TIMEOUT_MS`). */
  timeoutMs?: number | undefined;
}

/**
 * @example
 * const tasks = { deliver_alert: deliverAlertTask(ctx) };
 */
export function deliverAlertTask(ctx: ServiceContext, options: DeliverAlertOptions = {}): Task {
  const guard = destinationGuard(ctx.settings);
  return async (payload, helpers) => {
    const { tenant_id: tenantId, delivery_id: deliveryId } = assertDeliverAlertPayload(payload);
    const db = ctx.db;
    const delivery = await db
      .selectFrom('alert_deliveries')
      .select(['status', 'attempts', 'event_type', 'payload'])
      .where('tenant_id', '=', tenantId)
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    if (delivery?.status !== 'pending') return; // delivered, given up, or gone with its alert
    const row = db
      .updateTable('alert_deliveries')
      .where('tenant_id', '=', tenantId)
      .where('delivery_id', '=', deliveryId)
      .where('status', '=', 'pending');

    const destination = await loadDestinationForDelivery(db, ctx.settings.keyRing, tenantId);
    if (!destination) {
      await row
        .set({ status: 'skipped', last_error: 'the tenant has no alert destination', next_attempt_at: null })
        .execute();
      return;
    }
    const now = ctx.now();
    const signed = signAlertDelivery(destination.secret, deliveryId, delivery.payload, now);
    const outcome = await sendDelivery(destination.url, signed, guard, options.timeoutMs);
    const attempt = { attempts: delivery.attempts + 1, last_attempt_at: now, last_status: outcome.status ?? null };
    if (outcome.ok) {
      await row
        .set({ ...attempt, status: 'delivered', delivered_at: now, last_error: null, next_attempt_at: null })
        .execute();
      helpers.logger.debug(`alert delivery ${deliveryId} (${delivery.event_type}) delivered`);
      return;
    }
    const final = outcome.permanent || helpers.job.attempts >= helpers.job.max_attempts;
    await row
      .set({
        ...attempt,
        status: final ? 'failed' : 'pending',
        last_error: outcome.error,
        next_attempt_at: final ? null : nextAttemptAt(now, helpers.job.attempts),
      })
      .execute();
    if (final) {
      helpers.logger.warn(`alert delivery ${deliveryId} failed for good: ${outcome.error}`);
      return;
    }
    throw new Error(`alert delivery ${deliveryId}: ${outcome.error}`);
  };
}
