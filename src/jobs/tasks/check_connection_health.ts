/**
 * `check_connection_health` `{ tenant_id, connection_id }`: probes one active connection with its adapter's cheap
 * authenticated request (`probe()`, as the health route does), bounded by {@link HEALTH_CHECK_TIMEOUT_MS}, and
 * records the outcome: `connection_health`, `consecutive_failures` (0 after a success, one more after a failure),
 * `last_health_check_at` and `last_health_error` on the connection, and a `connection_health_checks` row for the
 * statistics rollup, in one transaction.
 *
 * A failed check is an outcome, not a job failure: refused credentials, a platform that does not answer in time,
 * and stored credentials that cannot be opened (a key removed from `ENGARDE_ENCRYPTION_KEYS`) are all recorded as
 * unhealthy, with a message that never holds a credential. Only failing to record throws. Queued by
 * `check_connections_health`.
 */
import type { Task } from 'graphile-worker';
import {
  type ConnectionRow,
  getConnection,
  loadCredentials,
  openCredentials,
  recordHealth,
} from '../../db/repositories/connection-repository.js';
import { adapterForConnection } from '../../service/connection-adapters.js';
import type { ServiceContext } from '../../service/service-context.js';
import { assertConnectionPayload } from '../job-payloads.js';

/** How long a probe may take, retries included, before the connection is recorded unhealthy. */
export const HEALTH_CHECK_TIMEOUT_MS = 20_000;

/** Longest error message stored with a check. */
const MAX_ERROR_LENGTH = 500;

export interface HealthCheckOptions {
  /** Default {@link HEALTH_CHECK_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
}

/** One check's outcome. */
export interface HealthOutcome {
  healthy: boolean;
  latencyMs: number;
  /** Why it failed (redacted). */
  error?: string | undefined;
}

/**
 * @example
 * const tasks = { check_connection_health: checkConnectionHealth(ctx) };
 */
export function checkConnectionHealth(ctx: ServiceContext, options: HealthCheckOptions = {}): Task {
  const timeoutMs = options.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  return async (payload, helpers) => {
    const { tenant_id: tenantId, connection_id: connectionId } = assertConnectionPayload(payload);
    const row = await getConnection(ctx.db, tenantId, connectionId, { withCredentials: true });
    if (row?.status !== 'active') return; // gone, disconnected or waiting for the user since the job was queued
    const outcome = await probeConnection(ctx, row, timeoutMs);
    const checkedAt = ctx.now();
    await ctx.db.transaction().execute(async (trx) => {
      await recordHealth(trx, tenantId, connectionId, {
        healthy: outcome.healthy,
        error: outcome.error,
        at: checkedAt,
      });
      await trx
        .insertInto('connection_health_checks')
        .values({
          tenant_id: tenantId,
          connection_id: connectionId,
          checked_at: checkedAt,
          healthy: outcome.healthy,
          latency_ms: outcome.latencyMs,
          error: outcome.error ?? null,
        })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'connection_id', 'checked_at']).doUpdateSet((eb) => ({
            healthy: eb.ref('excluded.healthy'),
            latency_ms: eb.ref('excluded.latency_ms'),
            error: eb.ref('excluded.error'),
          })),
        )
        .execute();
    });
    if (outcome.healthy) helpers.logger.debug('connection healthy', { connectionId, latencyMs: outcome.latencyMs });
    else helpers.logger.info(`connection unhealthy: ${outcome.error}`, { connectionId });
  };
}

/**
 * Probes a connection through a fresh adapter, closed afterwards. Never throws.
 * @example
 * const { healthy, latencyMs, error } = await probeConnection(ctx, row, 20_000);
 */
export async function probeConnection(
  ctx: ServiceContext,
  row: ConnectionRow,
  timeoutMs: number,
): Promise<HealthOutcome> {
  let secrets: string[] = [];
  let adapter: Awaited<ReturnType<typeof adapterForConnection>>;
  try {
    secrets = stringLeaves(
      row.sealedAuth === undefined
        ? await loadCredentials(ctx.db, ctx.settings.keyRing, row.tenantId, row.connectionId)
        : openCredentials(ctx.settings.keyRing, row),
    );
    adapter = await adapterForConnection(ctx, row);
  } catch (error) {
    // The credentials would not open (SealedValueError names only where they live), or the stored connection
    // config no longer suits the adapter.
    return { healthy: false, latencyMs: 0, error: errorText(error, secrets) };
  }
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([adapter.probe(), timedOut]);
    if (result === 'timeout') {
      return {
        healthy: false,
        latencyMs: Math.round(performance.now() - started),
        error: `${row.platform}: no answer within ${timeoutMs} ms`,
      };
    }
    return result.ok
      ? { healthy: true, latencyMs: result.latencyMs }
      : { healthy: false, latencyMs: result.latencyMs, error: errorText(result.error, secrets) };
  } finally {
    clearTimeout(timer);
    await adapter.close().catch(() => {}); // also ends a probe still waiting after the timeout
  }
}

/** The error's message, any credential value in it replaced, and capped in length. */
function errorText(error: unknown, secrets: readonly string[]): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) text = text.split(secret).join('[redacted]');
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/** Every string of at least four characters in a value (credentials may nest: a service account's key). */
function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.length >= 4) out.push(value);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) stringLeaves(v, out);
  }
  return out;
}
