/**
 * Every task the workers run, named after its file, and the crontab that schedules the periodic ones (each line
 * with a stable `?id=`, so a changed schedule never runs a job twice or loses its backfill state).
 */
import type { TaskList } from 'graphile-worker';
import type { ServiceContext } from '../service/service-context.js';
import { surviveDatabaseOutage } from './database-outage.js';
import { checkConnectionHealth } from './tasks/check_connection_health.js';
import { checkConnectionsHealth } from './tasks/check_connections_health.js';
import { cleanupDatabase } from './tasks/cleanup_database.js';
import { deliverAlertTask } from './tasks/deliver_alert.js';
import { evaluateAlertsTask } from './tasks/evaluate_alerts.js';
import { processWebhookEventTask } from './tasks/process_webhook_event.js';
import { pushRecordsTask } from './tasks/push_records.js';
import { reconcileWebhooksTask } from './tasks/reconcile_webhooks.js';
import { refreshConnectionToken } from './tasks/refresh_connection_token.js';
import { refreshExpiringTokens } from './tasks/refresh_expiring_tokens.js';
import { rollupStatistics } from './tasks/rollup_statistics.js';
import { scheduleSyncsTask } from './tasks/schedule_syncs.js';
import { syncEntityTask } from './tasks/sync_entity.js';

export function taskList(ctx: ServiceContext): TaskList {
  return {
    refresh_connection_token: refreshConnectionToken(ctx),
    refresh_expiring_tokens: refreshExpiringTokens(ctx),
    sync_entity: surviveDatabaseOutage(ctx.db, syncEntityTask(ctx)),
    push_records: surviveDatabaseOutage(ctx.db, pushRecordsTask(ctx)),
    process_webhook_event: surviveDatabaseOutage(ctx.db, processWebhookEventTask(ctx)),
    schedule_syncs: scheduleSyncsTask(ctx),
    check_connection_health: checkConnectionHealth(ctx),
    check_connections_health: checkConnectionsHealth(ctx),
    cleanup_database: cleanupDatabase(ctx),
    rollup_statistics: rollupStatistics(ctx),
    evaluate_alerts: evaluateAlertsTask(ctx),
    deliver_alert: surviveDatabaseOutage(ctx.db, deliverAlertTask(ctx)),
    reconcile_webhooks: reconcileWebhooksTask(ctx),
  };
}

export const CRONTAB = [
  '*/5 * * * * refresh_expiring_tokens ?id=refresh-expiring-tokens',
  '* * * * * schedule_syncs ?id=schedule-syncs&max=3',
  '*/5 * * * * check_connections_health ?id=check-connections-health&max=3',
  '15 * * * * cleanup_database ?id=cleanup-database&max=3',
  '*/10 * * * * rollup_statistics ?id=rollup-statistics&max=3',
  '* * * * * evaluate_alerts ?id=evaluate-alerts&max=1',
  '40 3 * * * reconcile_webhooks ?id=reconcile-webhooks&max=3',
].join('\n');
