/**
 * `check_connections_health` (crontab, every 5 minutes): queues `check_connection_health` for every active
 * connection. One job per connection, so that a slow or failing connection holds up no other, the checks spread over
 * every worker (each running as many at once as its concurrency allows), and each has its own timeout. A job key per
 * connection keeps at most one check queued for it however often the sweep runs; the checks run after jobs of the
 * default priority (syncs, pushes), and are not retried: the next sweep checks again.
 */
import type { Task } from 'graphile-worker';
import type { ServiceContext } from '../../service/service-context.js';
import type { ConnectionPayload } from '../job-payloads.js';

/** graphile-worker priority of the checks: numerically larger runs later, after the default 0. */
export const HEALTH_CHECK_PRIORITY = 10;

/** Jobs added per statement. */
const QUEUE_BATCH = 500;

/**
 * The job key of a connection's health check.
 * @example
 * healthCheckJobKey({ tenant_id, connection_id }); // 'check_connection_health:<tenant>:<connection>'
 */
export function healthCheckJobKey(payload: ConnectionPayload): string {
  return `check_connection_health:${payload.tenant_id}:${payload.connection_id}`;
}

/**
 * @example
 * const tasks = { check_connections_health: checkConnectionsHealth(ctx) };
 */
export function checkConnectionsHealth(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const rows = await ctx.db
      .selectFrom('platform_connections')
      .select(['tenant_id', 'connection_id'])
      .where('status', '=', 'active')
      .orderBy('tenant_id')
      .orderBy('connection_id')
      .execute();
    for (let i = 0; i < rows.length; i += QUEUE_BATCH) {
      await helpers.addJobs(
        rows.slice(i, i + QUEUE_BATCH).map((row) => {
          const payload: ConnectionPayload = { tenant_id: row.tenant_id, connection_id: row.connection_id };
          return {
            identifier: 'check_connection_health',
            payload,
            jobKey: healthCheckJobKey(payload),
            maxAttempts: 1,
            priority: HEALTH_CHECK_PRIORITY,
          };
        }),
      );
    }
    if (rows.length > 0) helpers.logger.info(`queued ${rows.length} connection health checks`);
  };
}
