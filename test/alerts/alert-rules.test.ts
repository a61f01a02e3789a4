/**
 * The alert rules against real conditions: health checks failing against the platform (the health-check job), a
 * sync that the platform refuses (the sync job body), rate-limited and normalization-failing runs, refused and
 * failed webhook deliveries. Each opens one alert per rule and connection however often the evaluator runs (two at
 * once included), refreshes it while the condition holds, and resolves it as soon as the condition clears.
 */
import { randomUUID } from 'node:crypto';
import type { JobHelpers } from 'graphile-worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../src/alerts/alert-evaluator.js';
import {
  CONNECTION_FAILURE_THRESHOLD,
  RATE_LIMIT_WINDOW_MS,
  RATE_LIMITED_RESPONSES_THRESHOLD,
  WEBHOOK_PROCESSING_WINDOW_MS,
  WEBHOOK_REJECTION_WINDOW_MS,
  WEBHOOK_REJECTIONS_THRESHOLD,
} from '../../src/alerts/alert-rules.js';
import {
  insertConnection,
  saveCredentials,
  setConnectionStatus,
} from '../../src/db/repositories/connection-repository.js';
import { checkConnectionHealth } from '../../src/jobs/tasks/check_connection_health.js';
import { evaluateAlertsTask } from '../../src/jobs/tasks/evaluate_alerts.js';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const PLATFORM = 'capsule-crm';
let h: SyncHarness;
let clock = new Date();
const logs: string[] = [];
const helpers = {
  logger: {
    debug() {},
    info: (m: string) => logs.push(m),
    warn: (m: string) => logs.push(m),
    error: (m: string) => logs.push(m),
  },
} as unknown as JobHelpers;

beforeAll(async () => {
  h = await startSyncHarness({ platform: PLATFORM, records: 5 });
  h.service.ctx.now = () => clock;
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  const db = h.service.ctx.db;
  await db.deleteFrom('alerts').execute();
  await db.deleteFrom('webhook_rejections').execute();
  await db.deleteFrom('platform_event_logs').execute();
  await db.deleteFrom('sync_runs').execute();
  await db.deleteFrom('platform_sync_status').execute();
  await db.updateTable('platform_connections').set({ consecutive_failures: 0, status: 'active' }).execute();
  await saveCredentials(db, h.service.ctx.settings.keyRing, h.tenantId, h.connectionId, { ...h.control.credentials });
  clock = new Date();
});

const tick = (ms = 60_000) => {
  clock = new Date(clock.getTime() + ms);
};

async function evaluate() {
  const result = await evaluateAlerts(h.service.ctx.db, clock);
  expect(result.failures).toEqual([]);
  return result;
}

async function alerts(rule: string, tenantId = h.tenantId) {
  return h.service.ctx.db
    .selectFrom('alerts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('rule', '=', rule)
    .orderBy('first_seen_at')
    .execute();
}

async function checkHealth() {
  tick();
  await checkConnectionHealth(h.service.ctx, { timeoutMs: 5_000 })(
    { tenant_id: h.tenantId, connection_id: h.connectionId },
    helpers,
  );
}

async function useCredentials(valid: boolean) {
  const credentials = valid ? h.control.credentials : h.control.invalidCredentials;
  await saveCredentials(h.service.ctx.db, h.service.ctx.settings.keyRing, h.tenantId, h.connectionId, {
    ...credentials,
  });
}

async function insertRun(values: {
  entity?: string;
  status: 'succeeded' | 'failed' | 'running';
  finishedAt?: Date | null;
  metrics?: Record<string, unknown>;
  error?: string | null;
  unnormalized?: number;
  pulled?: number;
  startedAt?: Date;
}) {
  await h.service.ctx.db
    .insertInto('sync_runs')
    .values({
      tenant_id: h.tenantId,
      run_id: randomUUID(),
      connection_id: h.connectionId,
      entity_type: values.entity ?? 'parties',
      mode: 'full',
      status: values.status,
      started_at: values.startedAt ?? new Date(clock.getTime() - 30_000),
      finished_at: values.finishedAt === undefined ? clock : values.finishedAt,
      metrics: JSON.stringify(values.metrics ?? {}),
      error: values.error ?? null,
      records_unnormalized: values.unnormalized ?? 0,
      records_pulled: values.pulled ?? 0,
    })
    .execute();
}

describe('connection_failing (health checks)', () => {
  it(`opens after more than ${CONNECTION_FAILURE_THRESHOLD} failed checks in a row, stays one alert, and resolves after a success`, async () => {
    await useCredentials(false);
    for (let i = 0; i < CONNECTION_FAILURE_THRESHOLD; i++) await checkHealth();
    await evaluate();
    expect(await alerts('connection_failing')).toEqual([]); // 3 in a row is not "more than 3"

    await checkHealth();
    const opened = await evaluate();
    expect(opened.outcomes.find((o) => o.rule === 'connection_failing')?.opened).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      tick();
      await evaluate();
    }
    await Promise.all([evaluate(), evaluate()]); // two evaluators at once
    const [alert, ...others] = await alerts('connection_failing');
    expect(others).toEqual([]);
    expect(alert).toMatchObject({
      status: 'open',
      connection_id: h.connectionId,
      platform: PLATFORM,
      severity: 'critical',
      occurrences: 6,
      resolved_at: null,
    });
    expect(alert?.message).toMatch(/failed its last 4 health checks/);
    expect(alert?.details).toMatchObject({ consecutive_failures: 4, threshold: CONNECTION_FAILURE_THRESHOLD });
    expect(JSON.stringify(alert)).not.toContain(String(Object.values(h.control.invalidCredentials)[0]));

    await useCredentials(true);
    await checkHealth();
    const cleared = await evaluate();
    expect(cleared.outcomes.find((o) => o.rule === 'connection_failing')?.resolved).toHaveLength(1);
    expect(await alerts('connection_failing')).toEqual([
      expect.objectContaining({ alert_id: alert?.alert_id, status: 'resolved', resolved_at: clock }),
    ]);

    // Failing again later is a new alert; the resolved one stays as it was.
    await useCredentials(false);
    for (let i = 0; i <= CONNECTION_FAILURE_THRESHOLD; i++) await checkHealth();
    await evaluate();
    const both = await alerts('connection_failing');
    expect(both.map((a) => a.status)).toEqual(['resolved', 'open']);
    expect(both[1]?.alert_id).not.toBe(alert?.alert_id);
  });

  it('resolves the alert of a connection that is no longer active', async () => {
    await h.service.ctx.db.updateTable('platform_connections').set({ consecutive_failures: 7 }).execute();
    await evaluate();
    expect((await alerts('connection_failing')).map((a) => a.status)).toEqual(['open']);
    await setConnectionStatus(h.service.ctx.db, h.tenantId, h.connectionId, 'needs_reauth');
    tick();
    await evaluate();
    expect((await alerts('connection_failing')).map((a) => a.status)).toEqual(['resolved']);
  });
});

describe('sync_failed', () => {
  it('opens when a sync fails at the platform, and resolves when the next one succeeds', async () => {
    expect((await h.configure('parties', { sync_direction: 'pull' })).statusCode).toBe(202);
    await useCredentials(false);
    const failed = await h.sync('parties');
    expect(failed.status).toBe('failed');
    await evaluate();
    const [alert, ...others] = await alerts('sync_failed');
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', connection_id: h.connectionId });
    expect(alert?.message).toMatch(/sync of parties failed: AuthenticationError/);
    expect(alert?.details).toMatchObject({ entities: [expect.objectContaining({ entity_type: 'parties' })] });

    // A retried attempt after the failure still counts as failing.
    await h.service.ctx.db
      .updateTable('platform_sync_status')
      .set({ sync_status: 'running', error: 'retrying: ServerError: 503' })
      .execute();
    tick();
    await evaluate();
    expect((await alerts('sync_failed')).map((a) => a.status)).toEqual(['open']);

    await useCredentials(true);
    tick();
    expect((await h.sync('parties')).status).toBe('succeeded');
    await evaluate();
    expect((await alerts('sync_failed')).map((a) => a.status)).toEqual(['resolved']);
  });

  it('does not open for a first transient failure that is being retried', async () => {
    expect((await h.configure('tasks', { sync_direction: 'pull' })).statusCode).toBe(202);
    await insertRun({ entity: 'tasks', status: 'succeeded' });
    await h.service.ctx.db
      .updateTable('platform_sync_status')
      .set({ sync_status: 'running', error: 'retrying: ConnectionError: socket hang up' })
      .execute();
    await evaluate();
    expect(await alerts('sync_failed')).toEqual([]);
  });
});

describe('rate_limit_exceeded', () => {
  it(`opens on ${RATE_LIMITED_RESPONSES_THRESHOLD} rate-limited answers in the window, and resolves once they are older`, async () => {
    await insertRun({ status: 'succeeded', metrics: { rate_limited: RATE_LIMITED_RESPONSES_THRESHOLD - 4 } });
    await evaluate();
    expect(await alerts('rate_limit_exceeded')).toEqual([]);

    await insertRun({ status: 'running', finishedAt: null, metrics: { rate_limited: 4 } });
    await evaluate();
    const [alert] = await alerts('rate_limit_exceeded');
    expect(alert).toMatchObject({ status: 'open', severity: 'warning' });
    expect(alert?.details).toMatchObject({ rate_limited_responses: RATE_LIMITED_RESPONSES_THRESHOLD });

    await h.service.ctx.db.deleteFrom('sync_runs').where('status', '=', 'running').execute();
    tick(RATE_LIMIT_WINDOW_MS + 1000);
    await evaluate();
    expect((await alerts('rate_limit_exceeded')).map((a) => a.status)).toEqual(['resolved']);
  });

  it('opens when a sync failed on the rate limit', async () => {
    await insertRun({ status: 'failed', error: 'RateLimitError: stripe: rate limited (retry after 30000 ms)' });
    await evaluate();
    const [alert] = await alerts('rate_limit_exceeded');
    expect(alert?.message).toMatch(/rate limit exceeded: sync attempts failed/);
    expect(alert?.details).toMatchObject({ failed_runs: 1 });
  });
});

describe('data_quality', () => {
  it('opens when the last finished pull stored records that failed normalization, and resolves after a clean one', async () => {
    expect((await h.configure('parties', { sync_direction: 'pull' })).statusCode).toBe(202);
    await insertRun({
      status: 'succeeded',
      unnormalized: 3,
      pulled: 10,
      startedAt: new Date(clock.getTime() - 60_000),
    });
    await insertRun({ status: 'running', finishedAt: null }); // still going: the last finished run counts
    await evaluate();
    const [alert] = await alerts('data_quality');
    expect(alert).toMatchObject({ status: 'open', severity: 'warning' });
    expect(alert?.message).toBe(`${PLATFORM}: 3 records of parties failed normalization in the last sync`);
    expect(alert?.details).toMatchObject({
      records_unnormalized: 3,
      entities: [expect.objectContaining({ entity_type: 'parties', records_unnormalized: 3, records_pulled: 10 })],
    });

    tick();
    await h.service.ctx.db.deleteFrom('sync_runs').where('status', '=', 'running').execute();
    await insertRun({ status: 'succeeded', pulled: 10 });
    await evaluate();
    expect((await alerts('data_quality')).map((a) => a.status)).toEqual(['resolved']);
  });
});

describe('webhook_signature_failures', () => {
  async function reject(n: number, connectionId: string | null = h.connectionId) {
    for (let i = 0; i < n; i++) {
      await h.service.ctx.db
        .insertInto('webhook_rejections')
        .values({
          tenant_id: h.tenantId,
          connection_id: connectionId,
          platform: PLATFORM,
          reason: 'signature-mismatch',
          received_at: clock,
        })
        .execute();
    }
  }

  it(`opens on ${WEBHOOK_REJECTIONS_THRESHOLD} refused deliveries in the window, stays open while any is in it, then clears`, async () => {
    await reject(WEBHOOK_REJECTIONS_THRESHOLD - 1);
    await evaluate();
    expect(await alerts('webhook_signature_failures')).toEqual([]);

    await reject(1);
    await evaluate();
    expect((await alerts('webhook_signature_failures')).map((a) => a.status)).toEqual(['open']);

    tick(WEBHOOK_REJECTION_WINDOW_MS - 60_000);
    await reject(1); // one more keeps it open (though alone it would not open it)
    tick(2 * 60_000); // the first five are out of the window now
    await evaluate();
    const [alert] = await alerts('webhook_signature_failures');
    expect(alert).toMatchObject({ status: 'open', occurrences: 2 });
    expect(alert?.details).toMatchObject({ rejections: 1, reasons: ['signature-mismatch'] });

    tick(WEBHOOK_REJECTION_WINDOW_MS);
    await evaluate();
    expect((await alerts('webhook_signature_failures')).map((a) => a.status)).toEqual(['resolved']);
  });

  it('makes a tenant-wide alert for refusals that named no connection', async () => {
    await reject(WEBHOOK_REJECTIONS_THRESHOLD, null);
    await evaluate();
    expect(await alerts('webhook_signature_failures')).toEqual([
      expect.objectContaining({ status: 'open', connection_id: null, platform: PLATFORM }),
    ]);
  });
});

describe('webhook_processing_failed', () => {
  it('opens on an event that failed processing in the window, and clears when it is reprocessed', async () => {
    const eventId = randomUUID();
    await h.service.ctx.db
      .insertInto('platform_event_logs')
      .values({
        tenant_id: h.tenantId,
        event_id: eventId,
        connection_id: h.connectionId,
        platform: PLATFORM,
        delivery_id: `evt_${eventId}`,
        event_type: 'party.updated',
        payload: JSON.stringify({ id: 1 }),
        received_at: clock,
        processing_status: 'failed',
        error: 'TypeError: no id',
      })
      .execute();
    await evaluate();
    const [alert] = await alerts('webhook_processing_failed');
    expect(alert?.message).toBe(
      `${PLATFORM}: 1 webhook event failed processing in the last 24 hours (TypeError: no id)`,
    );

    await h.service.ctx.db.updateTable('platform_event_logs').set({ processing_status: 'processed' }).execute();
    tick();
    await evaluate();
    expect((await alerts('webhook_processing_failed')).map((a) => a.status)).toEqual(['resolved']);
  });

  it('opens for an event marked failed after hours of retries (its reception long before)', async () => {
    const eventId = randomUUID();
    await h.service.ctx.db
      .insertInto('platform_event_logs')
      .values({
        tenant_id: h.tenantId,
        event_id: eventId,
        connection_id: h.connectionId,
        platform: PLATFORM,
        delivery_id: `evt_${eventId}`,
        event_type: 'party.updated',
        payload: JSON.stringify({}),
        received_at: new Date(clock.getTime() - 4 * 3_600_000),
        processing_status: 'failed',
        attempts: 10,
      })
      .execute();
    await evaluate();
    expect((await alerts('webhook_processing_failed')).map((a) => a.status)).toEqual(['open']);
  });

  it('forgets failures older than the window', async () => {
    const eventId = randomUUID();
    await h.service.ctx.db
      .insertInto('platform_event_logs')
      .values({
        tenant_id: h.tenantId,
        event_id: eventId,
        connection_id: h.connectionId,
        platform: PLATFORM,
        delivery_id: `evt_${eventId}`,
        event_type: 'party.updated',
        payload: JSON.stringify({}),
        received_at: new Date(clock.getTime() - WEBHOOK_PROCESSING_WINDOW_MS - 1000),
        processing_status: 'failed',
      })
      .execute();
    await evaluate();
    expect(await alerts('webhook_processing_failed')).toEqual([]);
  });
});

describe('isolation and the job', () => {
  it("keeps each tenant's alerts to its own connections", async () => {
    const other = await h.service.tenant('Other');
    const connection = await insertConnection(h.service.ctx.db, h.service.ctx.settings.keyRing, {
      tenantId: other.tenantId,
      platform: PLATFORM,
      credentials: { ...h.control.credentials },
      connectionConfig: { ...h.control.connectionConfig },
    });
    await h.service.ctx.db
      .updateTable('platform_connections')
      .set({ consecutive_failures: 9 })
      .where('tenant_id', '=', other.tenantId)
      .execute();
    await evaluate();
    expect(await alerts('connection_failing')).toEqual([]);
    expect(await alerts('connection_failing', other.tenantId)).toEqual([
      expect.objectContaining({ connection_id: connection.connectionId, status: 'open' }),
    ]);
  });

  it('evaluate_alerts runs every rule and logs what changed', async () => {
    await h.service.ctx.db.updateTable('platform_connections').set({ consecutive_failures: 5 }).execute();
    logs.length = 0;
    await evaluateAlertsTask(h.service.ctx)({}, helpers);
    expect(logs.some((l) => /alerts: \d+ opened, 0 resolved, 0 deliveries queued/.test(l))).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from alerts where status = 'open'`.execute(
      h.service.ctx.db,
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });
});
