/**
 * `push_records` {tenant_id, connection_id, entity_type}: sends the entity's pending local changes (the outbox) to
 * the platform. Queued in the same transaction as each local change, in the entity's push queue, so changes go out
 * within seconds and one at a time.
 */
import type { Task } from 'graphile-worker';
import type { ServiceContext } from '../../service/service-context.js';
import { pushPending } from '../../sync/sync-entity.js';
import { assertEntityJobPayload } from '../job-payloads.js';

export function pushRecordsTask(ctx: ServiceContext): Task {
  return async (payload, helpers) => {
    const p = assertEntityJobPayload(payload);
    await pushPending(
      ctx,
      { tenantId: p.tenant_id, connectionId: p.connection_id, entity: p.entity_type },
      { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts },
    );
  };
}
