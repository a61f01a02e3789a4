/**
 * The worker and its first jobs: graphile-worker 0.17's stop() race handled (stop returns only after the running
 * job's result is in the database), the token sweep queueing exactly the expiring OAuth connections, and the refresh
 * job renewing tokens through the adapter (against the HubSpot sandbox's token endpoint).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, loadCredentials } from '../../src/db/repositories/connection-repository.js';
import { assertConnectionPayload } from '../../src/jobs/job-payloads.js';
import { refreshConnectionToken } from '../../src/jobs/tasks/refresh_connection_token.js';
import { refreshExpiringTokens } from '../../src/jobs/tasks/refresh_expiring_tokens.js';
import { startWorker } from '../../src/jobs/worker.js';
import {
  EMULATED_PLATFORMS,
  type OAuthEmulatorControl,
  type RunningEmulator,
  startEmulator,
} from '../../src/sandbox/index.js';
import { startTestService, type TestService } from '../support/service.js';

let emulator: RunningEmulator;
let service: TestService;
let control: OAuthEmulatorControl;

beforeAll(async () => {
  const hubspot = EMULATED_PLATFORMS.hubspot;
  if (!hubspot) throw new Error('no HubSpot emulator');
  emulator = await startEmulator(hubspot.create({ records: 5, rateLimit: false }));
  control = emulator.control as OAuthEmulatorControl;
  service = await startTestService({
    overrides: {
      hubspot: {
        baseUrl: emulator.origin,
        oauth: {
          clientId: control.tokens.clientId,
          clientSecret: control.tokens.clientSecret,
          tokenUrl: `${emulator.origin}${control.tokenPath}`,
        },
      },
    },
  });
});
afterAll(async () => {
  await service?.close();
  await emulator?.close();
});

/** What a task's `helpers` needs here: a logger, and `addJob` recorded. */
function helpers() {
  const added: Array<{ task: string; payload: unknown; key: string | undefined }> = [];
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    added,
    value: {
      logger,
      addJob: async (task: string, payload: unknown, spec?: { jobKey?: string }) => {
        added.push({ task, payload, key: spec?.jobKey });
        return {} as never;
      },
    } as never,
  };
}

async function oauthConnection(tenantId: string, expiresInMs: number) {
  return insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: 'hubspot',
    credentials: {
      accessToken: control.tokens.current.accessToken,
      refreshToken: control.tokens.current.refreshToken,
      expiresAt: Date.now() + expiresInMs,
    },
    connectionConfig: {},
  });
}

describe('refresh_expiring_tokens', () => {
  it('queues one job per active connection whose token expires within ten minutes', async () => {
    const { tenantId } = await service.tenant();
    const soon = await oauthConnection(tenantId, 5 * 60_000);
    await oauthConnection(tenantId, 60 * 60_000); // fresh for an hour
    await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId,
      platform: 'stripe',
      credentials: { apiKey: 'sk_test_x' },
      connectionConfig: {},
    }); // no token to renew
    const h = helpers();
    await refreshExpiringTokens(service.ctx)({}, h.value);
    const mine = h.added.filter((j) => (j.payload as { tenant_id: string }).tenant_id === tenantId);
    expect(mine).toEqual([
      {
        task: 'refresh_connection_token',
        payload: { tenant_id: tenantId, connection_id: soon.connectionId },
        key: `refresh_connection_token:${tenantId}:${soon.connectionId}`,
      },
    ]);
  });
});

describe('refresh_connection_token', () => {
  it('renews an expiring token and stores the new tokens sealed', async () => {
    const { tenantId } = await service.tenant();
    const row = await oauthConnection(tenantId, 60_000);
    const before = control.tokens.current.accessToken;
    await refreshConnectionToken(service.ctx)(
      { tenant_id: tenantId, connection_id: row.connectionId },
      helpers().value,
    );
    const stored = await loadCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, row.connectionId);
    expect(stored?.accessToken).not.toBe(before);
    expect(stored?.accessToken).toBe(control.tokens.current.accessToken);
  });

  it('leaves a token that is fresh for longer than ten minutes alone', async () => {
    const { tenantId } = await service.tenant();
    const row = await oauthConnection(tenantId, 60 * 60_000);
    const before = await loadCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, row.connectionId);
    await refreshConnectionToken(service.ctx)(
      { tenant_id: tenantId, connection_id: row.connectionId },
      helpers().value,
    );
    const after = await loadCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, row.connectionId);
    expect(after).toEqual(before);
  });

  it.each([
    ['no payload', undefined],
    ['a tenant id that is not a UUID', { tenant_id: 'x', connection_id: '00000000-0000-0000-0000-000000000000' }],
    ['no connection id', { tenant_id: '00000000-0000-0000-0000-000000000000' }],
  ])('refuses %s', (_name, payload) => {
    expect(() => assertConnectionPayload(payload)).toThrow(/job payload: \w+ must be a UUID/);
  });
});

describe('the worker', () => {
  it('stop() returns only after the running job’s result is written, so the pool can end', async () => {
    const pool: pg.Pool = service.database.pool({ max: 4 });
    let release: (() => void) | undefined;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await startWorker({
      pool,
      taskList: {
        slow_job: async () => {
          release?.();
          await new Promise((r) => setTimeout(r, 300));
        },
      },
      logger: service.ctx.logger,
    });
    await worker.runner.addJob('slow_job', {});
    await started;
    expect(worker.inFlight).toBe(1);
    await worker.stop();
    expect(worker.inFlight).toBe(0);
    const { rows } = await pool.query(
      "select count(*)::int as n from graphile_worker.jobs where task_identifier = 'slow_job'",
    );
    expect(rows[0].n).toBe(0); // completed and removed, not left locked
    await pool.end();
  });
});
