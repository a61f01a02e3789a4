/**
 * Alerts raised and cleared by sandbox faults, end to end. A connection to the config-driven emulator of Capsule
 * CRM, behind the sandbox's fault injector: while the outage is on, every request the platform gets is answered 500.
 * A real worker runs the service's real jobs — the sync the API queued (its retries brought forward, as time would),
 * the health-check sweep and the checks it queues, the alert evaluation and the deliveries it queues. `sync_failed`
 * opens once the sync's last attempt fails (not while it is being retried), `connection_failing` once more than
 * three checks in a row failed; `GET /alerts` shows them, and each opening reaches the tenant's destination (a
 * loopback receiver set with `PUT /alerts/destination`) where `new Webhook(secret).verify(body, headers)` of npm
 * `standardwebhooks` accepts it. With the fault cleared the same jobs succeed, both alerts resolve, and the
 * resolutions are delivered and verify too. The service's clock is the test's (near real time, so that the
 * deliveries' signed timestamps are inside the verifier's five-minute tolerance).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { webhookMessageId } from '../../src/alerts/alert-delivery.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { taskList } from '../../src/jobs/task-list.js';
import { type RunningWorker, startWorker } from '../../src/jobs/worker.js';
import {
  type ConfigDrivenControl,
  configDrivenEmulator,
  type FaultyEmulator,
  type RunningEmulator,
  startEmulator,
  withFaults,
} from '../../src/sandbox/index.js';
import { startTestService, type TestService } from '../support/service.js';

const PLATFORM = 'capsule-crm';
const ENTITY = 'parties';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface AlertJson {
  alert_id: string;
  rule: string;
  status: string;
  connection_id: string | null;
  platform: string | null;
  message: string;
  details: Record<string, unknown>;
  first_seen_at: string;
  resolved_at: string | null;
}

/** The platform is down while this is on: the fault injector answers each of its requests 500. */
let outage = false;
/** The service's clock: a whole second near real time, moved on by the test between rounds of jobs. */
let clock = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
const tick = () => {
  clock = new Date(clock.getTime() + 10_000);
  return clock;
};

let emulator: RunningEmulator<FaultyEmulator<ReturnType<typeof configDrivenEmulator>>>;
let control: ConfigDrivenControl;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
let service: TestService;
let worker: RunningWorker;
let utils: WorkerUtils;
let apiKey: string;
let connectionId: string;
let secret: string;
/** The alerts as they opened, then as they resolved (GET /alerts), by rule. */
const opened = new Map<string, AlertJson>();
const resolvedAlerts = new Map<string, AlertJson>();

beforeAll(async () => {
  const inner = configDrivenEmulator(await getAdapterRegistry().meta(PLATFORM), { records: 12 });
  control = inner.control;
  control.rateLimitEnabled = false;
  emulator = await startEmulator(
    withFaults(inner, { rate: { serverError: 1 }, serverErrorStatuses: [500], applies: () => outage }),
    { port: 0 },
  );
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/engarde`;

  service = await startTestService({
    now: () => clock,
    env: { ENGARDE_ALLOW_PRIVATE_NETWORK: '127.0.0.1/32' }, // the loopback receiver
    overrides: { [PLATFORM]: { baseUrl: `${emulator.origin}${control.basePath}` } },
  });
  const tenant = await service.tenant('Alerted by faults');
  apiKey = tenant.apiKey;
  const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId: tenant.tenantId,
    platform: PLATFORM,
    credentials: { ...control.credentials },
    connectionConfig: { ...control.connectionConfig },
  });
  connectionId = connection.connectionId;
  const destination = await service.app.inject({
    method: 'PUT',
    url: '/alerts/destination',
    headers: service.auth(apiKey),
    payload: { url: receiverUrl },
  });
  expect(destination.statusCode, destination.body).toBe(201);
  secret = destination.json().destination.secret;

  const pool = service.database.pool({ max: 10 });
  pool.on('connect', (client) => client.on('error', () => {})); // a client lost when the database is dropped
  utils = await makeWorkerUtils({ pgPool: pool });
  worker = await startWorker({
    pool,
    taskList: taskList(service.ctx),
    logger: pino({ level: 'silent' }),
    concurrency: 4,
    tuning: { pollIntervalMs: 100 },
  });
});
afterAll(async () => {
  await worker?.stop();
  await utils?.release();
  await service?.close();
  await emulator?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

interface JobRow {
  id: string;
  task: string;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  run_at: Date;
  last_error: string | null;
}

async function jobs(tasks: readonly string[]): Promise<JobRow[]> {
  const { rows } = await utils.withPgClient((client) =>
    client.query<JobRow>(
      `select j.id, t.identifier as task, j.attempts, j.max_attempts, j.locked_by, j.run_at, j.last_error
         from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = any($1::text[])`,
      [tasks],
    ),
  );
  return rows;
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Queues a job and waits until it, and the jobs it queues, are done. */
async function runJob(task: string, queues: readonly string[]): Promise<void> {
  await utils.addJob(task, {});
  const tasks = [task, ...queues];
  await until(async () => (await jobs(tasks)).length === 0, `${tasks.join(', ')} to finish`);
}

/** One round of the health-check sweep (`check_connections_health`, then the checks it queued). */
const checkHealth = () => runJob('check_connections_health', ['check_connection_health']);
/** One alert evaluation, and the deliveries it queued. */
const evaluateAlerts = () => runJob('evaluate_alerts', ['deliver_alert']);

/** Asks for a sync through the API, as a user would; the worker runs the job it queues. */
async function requestSync(): Promise<void> {
  const response = await service.app.inject({
    method: 'POST',
    url: `/integrations/${PLATFORM}/sync`,
    headers: service.auth(apiKey),
    payload: { entities: [ENTITY], sync_direction: 'pull', frequency: 'manual' },
  });
  expect(response.statusCode, response.body).toBe(202);
}

async function syncJob(): Promise<JobRow | undefined> {
  return (await jobs(['sync_entity']))[0];
}

async function syncStatus() {
  return service.ctx.db
    .selectFrom('platform_sync_status')
    .select(['sync_status', 'error'])
    .where('connection_id', '=', connectionId)
    .where('entity_type', '=', ENTITY)
    .executeTakeFirstOrThrow();
}

async function listAlerts(status: 'open' | 'resolved' | 'all' = 'all'): Promise<AlertJson[]> {
  const response = await service.app.inject({
    method: 'GET',
    url: `/alerts?status=${status}`,
    headers: service.auth(apiKey),
  });
  expect(response.statusCode).toBe(200);
  return response.json().alerts;
}

/** The deliveries received, verified by the reference library (it throws on a bad signature or a stale timestamp). */
function verifiedDeliveries(): Array<{ event: { type: string; timestamp: string; data: AlertJson }; raw: Received }> {
  const webhook = new Webhook(secret);
  return received.map((raw) => {
    const headers = Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, String(v)]));
    return { event: webhook.verify(raw.body, headers) as { type: string; timestamp: string; data: AlertJson }, raw };
  });
}

describe('alerts raised by a sandbox outage (every request answered 500)', () => {
  it('opens no alert for a sync attempt that fails while its job still has attempts left', async () => {
    outage = true;
    tick();
    await requestSync();
    const retrying = await until(async () => {
      const job = await syncJob();
      return job && job.attempts === 1 && job.locked_by === null && job.last_error !== null ? job : undefined;
    }, 'the first sync attempt to fail');
    expect(retrying.max_attempts).toBeGreaterThan(1);
    expect(retrying.run_at.getTime()).toBeGreaterThan(Date.now()); // graphile-worker's backoff
    expect((await syncStatus()).error).toMatch(/^retrying: ServerError: .*500/);
    tick();
    await evaluateAlerts();
    expect(await listAlerts()).toEqual([]);
    expect(received).toEqual([]);
  });

  it('opens sync_failed once the sync’s last attempt fails, and GET /alerts shows it', async () => {
    // Bring each retry forward instead of waiting out graphile-worker's backoff (hours for ten attempts).
    await until(
      async () => {
        const job = await syncJob();
        if (!job) return true; // the last attempt finished the job (failed: the outcome is recorded, not thrown)
        if (job.locked_by === null && job.run_at.getTime() > Date.now()) {
          await utils.rescheduleJobs([job.id], { runAt: new Date() });
        }
        return false;
      },
      'the sync’s attempts to run out',
      45_000,
    );
    expect(await syncStatus()).toMatchObject({ sync_status: 'failed', error: expect.stringMatching(/ServerError/) });
    const at = tick();
    await evaluateAlerts();
    const alerts = await listAlerts('open');
    expect(alerts).toEqual([
      expect.objectContaining({
        rule: 'sync_failed',
        status: 'open',
        connection_id: connectionId,
        platform: PLATFORM,
        message: expect.stringContaining(`sync of ${ENTITY} failed`),
        first_seen_at: at.toISOString(),
      }),
    ]);
    opened.set('sync_failed', alerts[0] as AlertJson);
  });

  it('opens connection_failing on the fourth failed health check in a row, not before', async () => {
    for (let i = 1; i <= 3; i++) {
      tick();
      await checkHealth();
    }
    const connection = await service.ctx.db
      .selectFrom('platform_connections')
      .select(['connection_health', 'consecutive_failures', 'last_health_error'])
      .where('connection_id', '=', connectionId)
      .executeTakeFirstOrThrow();
    expect(connection).toMatchObject({ connection_health: 'unhealthy', consecutive_failures: 3 });
    expect(connection.last_health_error).toMatch(/500/);
    tick();
    await evaluateAlerts();
    expect((await listAlerts('open')).map((a) => a.rule)).toEqual(['sync_failed']);

    tick();
    await checkHealth();
    const at = tick();
    await evaluateAlerts();
    const failing = (await listAlerts('open')).find((a) => a.rule === 'connection_failing');
    expect(failing).toMatchObject({
      status: 'open',
      connection_id: connectionId,
      platform: PLATFORM,
      first_seen_at: at.toISOString(),
      details: expect.objectContaining({ consecutive_failures: 4 }),
    });
    opened.set('connection_failing', failing as AlertJson);
  });

  it('delivers each opening to the tenant’s destination, and standardwebhooks verifies it', async () => {
    expect(opened.size).toBe(2);
    const deliveries = verifiedDeliveries();
    expect(deliveries.map((d) => d.event.type)).toEqual(['alert.opened', 'alert.opened']);
    for (const [rule, alert] of opened) {
      const delivery = deliveries.find((d) => d.event.data.rule === rule);
      expect(delivery?.event.data).toEqual(alert);
      // Signed at the service's clock: the evaluation that opened it, in whole seconds.
      expect(Number(delivery?.raw.headers['webhook-timestamp'])).toBe(Date.parse(alert.first_seen_at) / 1000);
    }
    const rows = await service.ctx.db
      .selectFrom('alert_deliveries')
      .select(['delivery_id', 'event_type', 'status', 'attempts'])
      .execute();
    expect(rows.map((r) => [r.event_type, r.status, r.attempts])).toEqual([
      ['alert.opened', 'delivered', 1],
      ['alert.opened', 'delivered', 1],
    ]);
    expect(deliveries.map((d) => d.raw.headers['webhook-id']).sort()).toEqual(
      rows.map((r) => webhookMessageId(r.delivery_id)).sort(),
    );
  });
});

describe('the outage cleared', () => {
  it('resolves both alerts once a sync and a health check succeed again', async () => {
    outage = false;
    tick();
    await requestSync();
    await until(async () => (await syncJob()) === undefined, 'the sync to finish');
    expect(await syncStatus()).toMatchObject({ sync_status: 'succeeded', error: null });
    tick();
    await checkHealth();
    const at = tick();
    await evaluateAlerts();
    expect(await listAlerts('open')).toEqual([]);
    const resolved = await listAlerts('resolved');
    expect(resolved.map((a) => a.rule).sort()).toEqual(['connection_failing', 'sync_failed']);
    for (const alert of resolved) {
      expect(alert).toMatchObject({
        alert_id: opened.get(alert.rule)?.alert_id,
        status: 'resolved',
        resolved_at: at.toISOString(),
      });
      resolvedAlerts.set(alert.rule, alert);
    }
  });

  it('delivers each resolution, and standardwebhooks verifies it too', async () => {
    const resolutions = verifiedDeliveries().filter((d) => d.event.type === 'alert.resolved');
    expect(resolutions.map((d) => d.event.data.rule).sort()).toEqual(['connection_failing', 'sync_failed']);
    for (const { event, raw } of resolutions) {
      expect(event.data).toEqual(resolvedAlerts.get(event.data.rule));
      expect(Number(raw.headers['webhook-timestamp'])).toBe(Date.parse(event.data.resolved_at as string) / 1000);
    }
    expect(received).toHaveLength(4);
    // The platform saw the outage and the recovery through the fault injector only.
    expect(emulator.faults.faulted).toBeGreaterThan(0);
  });
});
