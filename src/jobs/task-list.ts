/**
 * Every task the workers run, named after its file, and the crontab that schedules the periodic ones (each line
 * with a stable `?id=`, so a changed schedule never runs a job twice or loses its backfill state).
 */
import type { TaskList } from 'graphile-worker';
import type { ServiceContext } from '../service/service-context.js';
import { pushRecordsTask } from './tasks/push_records.js';
import { refreshConnectionToken } from './tasks/refresh_connection_token.js';
import { refreshExpiringTokens } from './tasks/refresh_expiring_tokens.js';
import { scheduleSyncsTask } from './tasks/schedule_syncs.js';
import { syncEntityTask } from './tasks/sync_entity.js';

export function taskList(ctx: ServiceContext): TaskList {
  return {
    refresh_connection_token: refreshConnectionToken(ctx),
    refresh_expiring_tokens: refreshExpiringTokens(ctx),
    sync_entity: syncEntityTask(ctx),
    push_records: pushRecordsTask(ctx),
    schedule_syncs: scheduleSyncsTask(ctx),
  };
}

export const CRONTAB = [
  '*/5 * * * * refresh_expiring_tokens ?id=refresh-expiring-tokens',
  '* * * * * schedule_syncs ?id=schedule-syncs',
].join('\n');
