/**
 * Connection health checks against the sandbox: the sweep queues one keyed check per active connection; a check
 * records healthy or unhealthy on the connection and as a `connection_health_checks` row, counts consecutive
 * failures across runs and resets them after a success; a platform that does not answer, and credentials that
 * cannot be opened, are recorded unhealthy without a credential in the message and without stopping the others.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobHelpers } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import {
  insertConnection,
  saveCredentials,
  setConnectionStatus,
} from '../../src/db/repositories/connection-repository.js';
import { checkConnectionHealth } from '../../src/jobs/tasks/check_connection_health.js';
import { checkConnectionsHealth, HEALTH_CHECK_PRIORITY } from '../../src/jobs/tasks/check_connections_health.js';
import { startWorker } from '../../src/jobs/worker.js';
import { type RunningConfigDrivenEmulator, startConfigDrivenEmulator } from '../../src/sandbox/index.js';
import { startTestService, type TestService } from '../support/service.js';

const PLATFORM = 'front'; // bearer token, no connection config
const SILENT_PLATFORM = 'capsule-crm'; // pointed at a server that never answers

let emulator: RunningConfigDrivenEmulator;
let silent: Server;
let service: TestService;
let clock = new Date('2030-06-01T12:00:00.000Z');

beforeAll(async () => {
  emulator = await startConfigDrivenEmulator(await getAdapterRegistry().meta(PLATFORM), { records: 1 });
  silent = createServer(() => {}); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  service = await startTestService({
    now: () => clock,
    overrides: {
      [PLATFORM]: { baseUrl: emulator.baseUrl },
      [SILENT_PLATFORM]: { baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` },
    },
  });
});
afterAll(async () => {
  await service?.close();
  await emulator?.close();
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve));
});

function helpers() {
  const queued: Array<{
    identifier: string;
    payload: unknown;
    jobKey?: string;
    maxAttempts?: number;
    priority?: number;
  }> = [];
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    queued,
    value: {
      logger,
      addJobs: async (specs: typeof queued) => {
        queued.push(...specs);
        return [];
      },
    } as unknown as JobHelpers,
  };
}

async function connect(tenantId: string, credentials: Record<string, unknown>, platform = PLATFORM) {
  return insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform,
    credentials,
    connectionConfig: platform === PLATFORM ? { ...emulator.control.connectionConfig } : {},
  });
}

async function connectionState(tenantId: string, connectionId: string) {
  return service.ctx.db
    .selectFrom('platform_connections')
    .select(['connection_health', 'consecutive_failures', 'last_health_check_at', 'last_health_error'])
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();
}

async function checks(tenantId: string, connectionId: string) {
  return service.ctx.db
    .selectFrom('connection_health_checks')
    .select(['checked_at', 'healthy', 'latency_ms', 'error'])
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .orderBy('checked_at')
    .execute();
}

const check = (tenantId: string, connectionId: string, timeoutMs = 5_000) =>
  checkConnectionHealth(service.ctx, { timeoutMs })(
    { tenant_id: tenantId, connection_id: connectionId },
    helpers().value,
  );

describe('check_connections_health', () => {
  it('queues one keyed, low-priority, unretried check per active connection', async () => {
    const { tenantId } = await service.tenant();
    const a = await connect(tenantId, emulator.control.credentials);
    const b = await connect(tenantId, emulator.control.invalidCredentials);
    const gone = await connect(tenantId, emulator.control.credentials);
    await setConnectionStatus(service.ctx.db, tenantId, gone.connectionId, 'disconnected');
    const waiting = await connect(tenantId, emulator.control.credentials);
    await setConnectionStatus(service.ctx.db, tenantId, waiting.connectionId, 'needs_reauth');

    const h = helpers();
    await checkConnectionsHealth(service.ctx)({}, h.value);
    const mine = h.queued
      .filter((j) => (j.payload as { tenant_id: string }).tenant_id === tenantId)
      .sort((x, y) => (x.jobKey ?? '').localeCompare(y.jobKey ?? ''));
    const want = [a, b]
      .map((c) => ({
        identifier: 'check_connection_health',
        payload: { tenant_id: tenantId, connection_id: c.connectionId },
        jobKey: `check_connection_health:${tenantId}:${c.connectionId}`,
        maxAttempts: 1,
        priority: HEALTH_CHECK_PRIORITY,
      }))
      .sort((x, y) => x.jobKey.localeCompare(y.jobKey));
    expect(mine).toEqual(want);
  });
});

describe('check_connection_health', () => {
  it('records a healthy connection', async () => {
    const { tenantId } = await service.tenant();
    const good = await connect(tenantId, emulator.control.credentials);
    clock = new Date('2030-06-01T12:00:00.000Z');
    await check(tenantId, good.connectionId);
    expect(await connectionState(tenantId, good.connectionId)).toEqual({
      connection_health: 'healthy',
      consecutive_failures: 0,
      last_health_check_at: clock,
      last_health_error: null,
    });
    const rows = await checks(tenantId, good.connectionId);
    expect(rows).toEqual([{ checked_at: clock, healthy: true, latency_ms: expect.any(Number), error: null }]);
    expect(rows[0]?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('counts consecutive failures of refused credentials across runs, and resets them after a success', async () => {
    const { tenantId } = await service.tenant();
    const bad = await connect(tenantId, emulator.control.invalidCredentials);
    const token = String(emulator.control.invalidCredentials.token);

    const times = ['2030-06-01T12:05:00.000Z', '2030-06-01T12:10:00.000Z', '2030-06-01T12:15:00.000Z'].map(
      (t) => new Date(t),
    );
    clock = times[0] as Date;
    await check(tenantId, bad.connectionId);
    const first = await connectionState(tenantId, bad.connectionId);
    expect(first).toMatchObject({
      connection_health: 'unhealthy',
      consecutive_failures: 1,
      last_health_check_at: clock,
    });
    expect(first.last_health_error).toMatch(/401|refused|unauthori[sz]ed|credentials/i);
    expect(first.last_health_error).not.toContain(token);

    clock = times[1] as Date;
    await check(tenantId, bad.connectionId);
    expect(await connectionState(tenantId, bad.connectionId)).toMatchObject({
      connection_health: 'unhealthy',
      consecutive_failures: 2,
      last_health_check_at: clock,
    });

    await saveCredentials(service.ctx.db, service.ctx.settings.keyRing, tenantId, bad.connectionId, {
      ...emulator.control.credentials,
    });
    clock = times[2] as Date;
    await check(tenantId, bad.connectionId);
    expect(await connectionState(tenantId, bad.connectionId)).toEqual({
      connection_health: 'healthy',
      consecutive_failures: 0,
      last_health_check_at: clock,
      last_health_error: null,
    });

    const rows = await checks(tenantId, bad.connectionId);
    expect(rows.map((r) => [r.checked_at.toISOString(), r.healthy])).toEqual([
      [times[0]?.toISOString(), false],
      [times[1]?.toISOString(), false],
      [times[2]?.toISOString(), true],
    ]);
    for (const row of rows) expect(row.error ?? '').not.toContain(token);
  });

  it('records a platform that does not answer within the timeout as unhealthy', async () => {
    const { tenantId } = await service.tenant();
    const quiet = await connect(tenantId, { token: 'capsule-token-0001' }, SILENT_PLATFORM);
    clock = new Date('2030-06-01T12:20:00.000Z');
    const started = Date.now();
    await check(tenantId, quiet.connectionId, 300);
    expect(Date.now() - started).toBeLessThan(5_000);
    const state = await connectionState(tenantId, quiet.connectionId);
    expect(state).toMatchObject({ connection_health: 'unhealthy', consecutive_failures: 1 });
    expect(state.last_health_error).toBe(`${SILENT_PLATFORM}: no answer within 300 ms`);
    const [row] = await checks(tenantId, quiet.connectionId);
    expect(row?.healthy).toBe(false);
    expect(row?.latency_ms).toBeGreaterThanOrEqual(290);
  });

  it('records credentials that cannot be opened as unhealthy, naming why, never their content', async () => {
    const { tenantId } = await service.tenant();
    const broken = await connect(tenantId, emulator.control.credentials);
    const sealed = await service.ctx.db
      .selectFrom('platform_connections')
      .select('auth_data')
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', broken.connectionId)
      .executeTakeFirstOrThrow();
    await service.ctx.db
      .updateTable('platform_connections')
      .set({ auth_data: JSON.stringify({ ...sealed.auth_data, kid: 'retired' }) })
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', broken.connectionId)
      .execute();
    clock = new Date('2030-06-01T12:25:00.000Z');
    await check(tenantId, broken.connectionId);
    const state = await connectionState(tenantId, broken.connectionId);
    expect(state).toMatchObject({ connection_health: 'unhealthy', consecutive_failures: 1 });
    expect(state.last_health_error).toMatch(/cannot open .*"retired"/);
    expect(state.last_health_error).not.toContain(String(emulator.control.credentials.token));
    expect(await checks(tenantId, broken.connectionId)).toEqual([
      { checked_at: clock, healthy: false, latency_ms: 0, error: state.last_health_error },
    ]);
  });

  it('leaves a connection that is no longer active alone', async () => {
    const { tenantId } = await service.tenant();
    const gone = await connect(tenantId, emulator.control.credentials);
    await setConnectionStatus(service.ctx.db, tenantId, gone.connectionId, 'disconnected');
    await check(tenantId, gone.connectionId);
    expect(await connectionState(tenantId, gone.connectionId)).toMatchObject({
      connection_health: 'unknown',
      last_health_check_at: null,
    });
    expect(await checks(tenantId, gone.connectionId)).toEqual([]);
  });

  it.each([
    ['no payload', undefined],
    ['a connection id that is not a UUID', { tenant_id: '00000000-0000-0000-0000-000000000000', connection_id: 'x' }],
  ])('refuses %s', async (_name, payload) => {
    await expect(checkConnectionHealth(service.ctx)(payload, helpers().value)).rejects.toThrow(
      /job payload: \w+ must be a UUID/,
    );
  });
});

describe('through a worker', () => {
  it('checks every active connection once the sweep runs, one failing connection stopping none', async () => {
    const { tenantId } = await service.tenant();
    const good = await connect(tenantId, emulator.control.credentials);
    const bad = await connect(tenantId, emulator.control.invalidCredentials);
    const quiet = await connect(tenantId, { token: 'capsule-token-0002' }, SILENT_PLATFORM);
    clock = new Date('2030-06-01T13:00:00.000Z');
    const pool = service.database.pool({ max: 6 });
    const worker = await startWorker({
      pool,
      taskList: {
        check_connections_health: checkConnectionsHealth(service.ctx),
        check_connection_health: checkConnectionHealth(service.ctx, { timeoutMs: 300 }),
      },
      logger: service.ctx.logger,
    });
    try {
      await worker.runner.addJob('check_connections_health', {});
      const deadline = Date.now() + 20_000;
      let done: Array<{ connection_id: string; healthy: boolean }> = [];
      while (Date.now() < deadline) {
        done = await service.ctx.db
          .selectFrom('connection_health_checks')
          .select(['connection_id', 'healthy'])
          .where('tenant_id', '=', tenantId)
          .execute();
        if (done.length >= 3) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const byId = Object.fromEntries(done.map((r) => [r.connection_id, r.healthy]));
      expect(byId).toEqual({ [good.connectionId]: true, [bad.connectionId]: false, [quiet.connectionId]: false });
    } finally {
      await worker.stop();
    }
  });
});
