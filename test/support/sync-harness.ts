/**
 * A platform for sync tests: the config-driven emulator of a catalogue platform (optionally behind the fault
 * injector) on loopback, a test service whose platform override points the adapter at it, a tenant, and a connection
 * with the credentials the emulator accepts. `sync()` runs one entity's sync job body directly (no worker), as a
 * job attempt would.
 *
 * @example
 * const h = await startSyncHarness({ platform: 'capsule-crm', records: 120 });
 * await h.configure('parties', { sync_direction: 'pull' });
 * await h.sync('parties');
 * expect(await h.storedIds('parties')).toHaveLength(120);
 */

import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import {
  type ConfigDrivenControl,
  configDrivenEmulator,
  type FaultOptions,
  type FaultStats,
  startEmulator,
  withFaults,
} from '../../src/sandbox/index.js';
import type { PushResult } from '../../src/sync/push.js';
import { pushPending, type SyncAttempt, type SyncOutcome, syncEntity } from '../../src/sync/sync-entity.js';
import { startTestService, type TestService } from './service.js';

export interface SyncHarnessOptions {
  platform: string;
  records?: number;
  serverPageSize?: number;
  faults?: FaultOptions;
  /** The emulator's clock (epoch ms). */
  now?: () => number;
  /** Collects the service's log lines (debug level) instead of discarding them. */
  logs?: string[];
  /** Delay before each answer (a slow platform, so a test can stop a sync midway). */
  latencyMs?: number;
}

export interface SyncHarness {
  service: TestService;
  control: ConfigDrivenControl;
  faults: FaultStats | undefined;
  /** Requests the platform is answering now, and the most it ever answered at once. */
  concurrency: { now: number; most: number };
  /** The environment the service was started with (for worker processes on the same database and settings). */
  env: Record<string, string>;
  tenantId: string;
  apiKey: string;
  connectionId: string;
  /** `POST /integrations/<platform>/sync` through the API; returns the response. */
  configure(
    entity: string,
    settings: { sync_direction: string; conflict_strategy?: string; frequency?: string; field_rules?: unknown },
  ): Promise<{ statusCode: number; json: () => unknown }>;
  sync(entity: string, attempt?: Partial<SyncAttempt>): Promise<SyncOutcome>;
  push(entity: string): Promise<PushResult | undefined>;
  /** Every stored record's external id (not deleted unless asked), sorted. */
  storedIds(entity: string, options?: { includeDeleted?: boolean }): Promise<string[]>;
  inject: TestService['app']['inject'];
  close(): Promise<void>;
}

export async function startSyncHarness(options: SyncHarnessOptions): Promise<SyncHarness> {
  const registry = getAdapterRegistry();
  const meta = await registry.meta(options.platform);
  const inner = configDrivenEmulator(meta, {
    records: options.records ?? 25,
    serverPageSize: options.serverPageSize ?? 10,
    ...(options.now ? { now: options.now } : {}),
  });
  const faulty = options.faults ? withFaults(inner, options.faults) : inner;
  const latency = options.latencyMs ?? 0;
  const concurrency = { now: 0, most: 0 };
  const handler = Object.assign(
    async (request: Parameters<typeof faulty>[0]) => {
      concurrency.now++;
      concurrency.most = Math.max(concurrency.most, concurrency.now);
      try {
        if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
        return await faulty(request);
      } finally {
        concurrency.now--;
      }
    },
    { control: inner.control },
  );
  const running = await startEmulator(handler, { port: 0 });
  const control = inner.control;
  control.rateLimitEnabled = false;
  const baseUrl = `${running.origin}${control.basePath}`;
  const service = await startTestService({
    overrides: { [options.platform]: { baseUrl } },
    ...(options.logs ? { logs: options.logs } : {}),
  });
  const { tenantId, apiKey } = await service.tenant('Sync tests');
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: options.platform,
    credentials: { ...control.credentials },
    connectionConfig: { ...control.connectionConfig },
  });
  const target = (entity: string) => ({ tenantId, connectionId: connection.connectionId, entity });
  const inject = service.app.inject.bind(service.app);
  return {
    service,
    control,
    faults: 'faults' in faulty ? (faulty as { faults: FaultStats }).faults : undefined,
    env: service.env,
    concurrency,
    tenantId,
    apiKey,
    connectionId: connection.connectionId,
    inject,
    async configure(entity, settings) {
      const response = await service.app.inject({
        method: 'POST',
        url: `/integrations/${options.platform}/sync`,
        headers: service.auth(apiKey),
        payload: { entities: [entity], ...settings },
      });
      return { statusCode: response.statusCode, json: () => response.json() };
    },
    sync: (entity, attempt = {}) => syncEntity(service.ctx, target(entity), { attempt: 1, maxAttempts: 1, ...attempt }),
    push: (entity) => pushPending(service.ctx, target(entity), { attempt: 1, maxAttempts: 1 }),
    async storedIds(entity, { includeDeleted = false } = {}) {
      let query = service.ctx.db
        .selectFrom('sync_records')
        .select('external_id')
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connection.connectionId)
        .where('entity_type', '=', entity);
      if (!includeDeleted) query = query.where('deleted', '=', false);
      return (await query.orderBy('external_id').execute()).map((r) => r.external_id);
    },
    async close() {
      await service.close();
      await running.close();
    },
  };
}
