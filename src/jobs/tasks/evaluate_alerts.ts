/**
 * `evaluate_alerts` (crontab, every minute): evaluates every alert rule (`src/alerts/alert-rules.ts`) for every
 * active connection of every tenant with one aggregate query per rule, and opens, refreshes and resolves alerts in
 * one transaction per rule, queueing a `deliver_alert` job for each opening and resolution of a tenant with a
 * destination. A rule that fails does not stop the others; the job then fails naming it (the next minute evaluates
 * again, so it is not retried).
 */
import type { Task } from 'graphile-worker';
import { evaluateAlerts } from '../../alerts/alert-evaluator.js';
import type { ServiceContext } from '../../service/service-context.js';

/**
 * @example
 * const tasks = { evaluate_alerts: evaluateAlertsTask(ctx) };
 */
export function evaluateAlertsTask(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const { outcomes, failures } = await evaluateAlerts(ctx.db, ctx.now());
    const opened = outcomes.reduce((n, o) => n + o.opened.length, 0);
    const resolved = outcomes.reduce((n, o) => n + o.resolved.length, 0);
    const deliveries = outcomes.reduce((n, o) => n + o.deliveries, 0);
    if (opened + resolved > 0) {
      helpers.logger.info(`alerts: ${opened} opened, ${resolved} resolved, ${deliveries} deliveries queued`);
    }
    for (const f of failures) helpers.logger.error(`alert rule ${f.rule} failed: ${f.error.message}`);
    if (failures.length > 0) {
      throw new Error(`evaluate_alerts: ${failures.map((f) => `${f.rule}: ${f.error.message}`).join('; ')}`);
    }
  };
}
