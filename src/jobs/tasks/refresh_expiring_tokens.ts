/**
 * `refresh_expiring_tokens` (crontab, every 5 minutes): queues `refresh_connection_token` for every active
 * connection whose token expires within ten minutes. A job key per connection keeps one queued job each, however
 * often the sweep runs.
 */
import type { Task } from 'graphile-worker';
import type { ServiceContext } from '../../service/service-context.js';
import { RENEW_WITHIN_MS } from './refresh_connection_token.js';

export function refreshExpiringTokens(ctx: ServiceContext): Task {
  return async (_payload, helpers) => {
    const horizon = new Date(ctx.now().getTime() + RENEW_WITHIN_MS);
    const rows = await ctx.db
      .selectFrom('platform_connections')
      .select(['tenant_id', 'connection_id'])
      .where('status', '=', 'active')
      .where('token_expires_at', 'is not', null)
      .where('token_expires_at', '<', horizon)
      .execute();
    for (const row of rows) {
      await helpers.addJob(
        'refresh_connection_token',
        { tenant_id: row.tenant_id, connection_id: row.connection_id },
        { jobKey: `refresh_connection_token:${row.tenant_id}:${row.connection_id}`, maxAttempts: 5 },
      );
    }
    if (rows.length > 0) helpers.logger.info(`queued ${rows.length} token refreshes`);
  };
}
