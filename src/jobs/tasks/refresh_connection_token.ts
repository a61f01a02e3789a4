/**
 * `refresh_connection_token` `{ tenant_id, connection_id }`: renews one OAuth connection's tokens when they expire
 * within ten minutes, through the adapter, so the renewal is coordinated with every other process (one token request
 * per connection, the rotated refresh token stored before use). A refused refresh (`invalid_grant`) has already
 * marked the connection `needs_reauth`: the job ends without retrying. Other failures throw, and graphile-worker
 * retries with backoff.
 */
import type { Task } from 'graphile-worker';
import { getConnection } from '../../db/repositories/connection-repository.js';
import { AuthenticationError } from '../../runtime/errors.js';
import { adapterForConnection } from '../../service/connection-adapters.js';
import type { ServiceContext } from '../../service/service-context.js';
import { assertConnectionPayload } from '../job-payloads.js';

/** Tokens expiring sooner than this are renewed. */
export const RENEW_WITHIN_MS = 10 * 60_000;

export function refreshConnectionToken(ctx: ServiceContext): Task {
  return async (payload, helpers) => {
    const { tenant_id: tenantId, connection_id: connectionId } = assertConnectionPayload(payload);
    const row = await getConnection(ctx.db, tenantId, connectionId);
    if (row?.status !== 'active') return; // gone, disconnected or waiting for the user since the job was queued
    const adapter = await adapterForConnection(ctx, row);
    try {
      const renewed = await adapter.renewCredentials({ withinMs: RENEW_WITHIN_MS });
      helpers.logger.debug(renewed ? 'tokens renewed' : 'tokens still fresh', { connectionId });
    } catch (error) {
      if (error instanceof AuthenticationError) {
        helpers.logger.info('refresh refused: the connection needs to be authorized again', { connectionId });
        return;
      }
      throw error;
    } finally {
      await adapter.close();
    }
  };
}
