/**
 * `sync_entity` {tenant_id, connection_id, entity_type}: one entity's sync (`src/sync/sync-entity.ts`). Queued by the
 * sync route, the scheduler and webhooks into the entity's own queue (`sync:<connection>:<entity>`), so its syncs run
 * one at a time; a transient failure is thrown for graphile-worker to retry with backoff, and the retry resumes
 * the run from its last stored page.
 */
import type { Task } from 'graphile-worker';
import type { ServiceContext } from '../../service/service-context.js';
import { syncEntity } from '../../sync/sync-entity.js';
import { assertEntityJobPayload } from '../job-payloads.js';

export function syncEntityTask(ctx: ServiceContext): Task {
  return async (payload, helpers) => {
    const p = assertEntityJobPayload(payload);
    const outcome = await syncEntity(
      ctx,
      { tenantId: p.tenant_id, connectionId: p.connection_id, entity: p.entity_type },
      { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts },
    );
    if (outcome.status === 'failed') helpers.logger.warn(`sync ${p.entity_type} failed: ${outcome.error}`);
  };
}
