/**
 * The hourly cleanup: exactly the rows past their retention go (table by table), pending webhook events and the
 * latest run of each entity never do, a backlog is worked through in batches, and the retention settings are
 * validated like every other variable.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type JobHelpers, makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { cleanupDatabase } from '../../src/jobs/tasks/cleanup_database.js';
import { loadSettings, SettingsError } from '../../src/service/settings.js';
import { startTestService, TEST_KEY_RING, type TestService } from '../support/service.js';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

let service: TestService;
let utils: WorkerUtils;
let tenantId: string;
let connectionId: string;

beforeAll(async () => {
  // Events kept 7 days here (not the default 30), history 30 days, statistics 90.
  service = await startTestService({ now: () => NOW, env: { ENGARDE_EVENT_RETENTION_DAYS: '7' } });
  utils = await makeWorkerUtils({ pgPool: service.database.pool({ max: 2 }) });
  await utils.migrate();
  ({ tenantId } = await service.tenant());
  ({ connectionId } = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
    tenantId,
    platform: 'front',
    credentials: { token: 'x' },
    connectionConfig: {},
  }));
});
afterAll(async () => {
  await utils?.release();
  await service?.close();
});

const db = () => service.ctx.db;
const sealedStub = JSON.stringify({ v: 1, kid: 'test1', key: '', kiv: '', ktag: '', iv: '', tag: '', ct: '' });

/** A seeded row and how to tell whether it is still there. */
type Seed = () => Promise<() => Promise<boolean>>;

const count = async (query: { executeTakeFirst(): Promise<unknown> }) => (await query.executeTakeFirst()) !== undefined;

function oauthState(expiresAt: Date, consumedAt: Date | null): Seed {
  return async () => {
    const stateHash = createHash('sha256').update(randomUUID()).digest();
    await db()
      .insertInto('platform_oauth_states')
      .values({
        tenant_id: tenantId,
        state_hash: stateHash,
        platform: 'front',
        verifier_data: sealedStub,
        expires_at: expiresAt,
        consumed_at: consumedAt,
      })
      .execute();
    return () =>
      count(
        db()
          .selectFrom('platform_oauth_states')
          .select('state_hash')
          .where('tenant_id', '=', tenantId)
          .where('state_hash', '=', stateHash),
      );
  };
}

function event(status: 'pending' | 'processing' | 'processed' | 'failed', receivedAt: Date): Seed {
  return async () => {
    const eventId = randomUUID();
    await db()
      .insertInto('platform_event_logs')
      .values({
        tenant_id: tenantId,
        event_id: eventId,
        connection_id: connectionId,
        platform: 'front',
        delivery_id: eventId,
        event_type: 'message.created',
        payload: '{}',
        received_at: receivedAt,
        processing_status: status,
      })
      .execute();
    return () =>
      count(
        db()
          .selectFrom('platform_event_logs')
          .select('event_id')
          .where('tenant_id', '=', tenantId)
          .where('event_id', '=', eventId),
      );
  };
}

interface RunSpec {
  status: 'running' | 'succeeded' | 'failed';
  started: Date;
  finished?: Date;
  /** Ids its full pass saw. */
  seen?: number;
  /** Named by the entity's sync status as its current run. */
  current?: boolean;
}

/**
 * Runs of one entity, oldest first, inserted once; for each, whether it is still there (with all its seen ids, or
 * gone with all of them).
 */
function runs(entity: string, specs: RunSpec[]): (index: number) => Seed {
  let inserted: Promise<string[]> | undefined;
  const insert = async () => {
    const ids: string[] = [];
    for (const spec of specs) {
      const runId = randomUUID();
      ids.push(runId);
      await db()
        .insertInto('sync_runs')
        .values({
          tenant_id: tenantId,
          run_id: runId,
          connection_id: connectionId,
          entity_type: entity,
          mode: 'full',
          status: spec.status,
          started_at: spec.started,
          finished_at: spec.finished ?? null,
        })
        .execute();
      for (let i = 0; i < (spec.seen ?? 0); i++) {
        await db()
          .insertInto('sync_run_seen')
          .values({ tenant_id: tenantId, run_id: runId, external_id: `r${i}` })
          .execute();
      }
      if (spec.current) {
        await db()
          .insertInto('platform_sync_status')
          .values({
            tenant_id: tenantId,
            connection_id: connectionId,
            entity_type: entity,
            sync_direction: 'pull',
            current_run_id: runId,
          })
          .execute();
      }
    }
    return ids;
  };
  return (index) => async () => {
    inserted ??= insert();
    const runId = (await inserted)[index] as string;
    const seen = specs[index]?.seen ?? 0;
    return async () => {
      const run = await count(
        db().selectFrom('sync_runs').select('run_id').where('tenant_id', '=', tenantId).where('run_id', '=', runId),
      );
      const left = await db()
        .selectFrom('sync_run_seen')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      if (Number(left.n) !== (run ? seen : 0)) throw new Error(`run ${runId}: ${left.n} of ${seen} seen ids left`);
      return run;
    };
  };
}

function outbox(status: 'pending' | 'sent' | 'failed' | 'conflict' | 'discarded', finishedAt: Date | null): Seed {
  return async () => {
    const row = await db()
      .insertInto('sync_outbox')
      .values({
        tenant_id: tenantId,
        connection_id: connectionId,
        entity_type: 'contacts',
        external_id: randomUUID(),
        operation: 'update',
        idempotency_key: randomUUID(),
        status,
        created_at: ago(90 * DAY),
        finished_at: finishedAt,
      })
      .returning('outbox_id')
      .executeTakeFirstOrThrow();
    return () =>
      count(
        db()
          .selectFrom('sync_outbox')
          .select('outbox_id')
          .where('tenant_id', '=', tenantId)
          .where('outbox_id', '=', row.outbox_id),
      );
  };
}

function conflict(status: 'open' | 'resolved', createdAt: Date, resolvedAt: Date | null): Seed {
  return async () => {
    const conflictId = randomUUID();
    await db()
      .insertInto('sync_conflicts')
      .values({
        tenant_id: tenantId,
        conflict_id: conflictId,
        connection_id: connectionId,
        entity_type: 'contacts',
        external_id: conflictId,
        status,
        fields: '{}',
        created_at: createdAt,
        resolved_at: resolvedAt,
      })
      .execute();
    return () =>
      count(
        db()
          .selectFrom('sync_conflicts')
          .select('conflict_id')
          .where('tenant_id', '=', tenantId)
          .where('conflict_id', '=', conflictId),
      );
  };
}

function healthCheck(checkedAt: Date): Seed {
  return async () => {
    await db()
      .insertInto('connection_health_checks')
      .values({ tenant_id: tenantId, connection_id: connectionId, checked_at: checkedAt, healthy: true, latency_ms: 5 })
      .execute();
    return () =>
      count(
        db()
          .selectFrom('connection_health_checks')
          .select('checked_at')
          .where('tenant_id', '=', tenantId)
          .where('connection_id', '=', connectionId)
          .where('checked_at', '=', checkedAt),
      );
  };
}

function stats(bucket: Date): Seed {
  return async () => {
    await db()
      .insertInto('connection_stats')
      .values({ tenant_id: tenantId, connection_id: connectionId, bucket_start: bucket })
      .execute();
    return () =>
      count(
        db()
          .selectFrom('connection_stats')
          .select('bucket_start')
          .where('tenant_id', '=', tenantId)
          .where('connection_id', '=', connectionId)
          .where('bucket_start', '=', bucket),
      );
  };
}

/** A graphile-worker job: `attempts` of its 3 used, last updated at `updatedAt`, locked or not. */
function job(attempts: number, updatedAt: Date, locked = false): Seed {
  return async () => {
    const added = await utils.addJob('some_task', {}, { maxAttempts: 3, runAt: new Date(NOW.getTime() + 365 * DAY) });
    await utils.withPgClient((client) =>
      client.query(
        `update graphile_worker._private_jobs
            set attempts = $2, updated_at = $3, locked_at = $4, locked_by = $5 where id = $1`,
        [added.id, attempts, updatedAt, locked ? new Date() : null, locked ? 'a-live-worker' : null],
      ),
    );
    return async () => {
      const { rows } = await utils.withPgClient((client) =>
        client.query('select 1 from graphile_worker._private_jobs where id = $1', [added.id]),
      );
      return rows.length > 0;
    };
  };
}

const cases: Array<[string, 'kept' | 'deleted', Seed]> = [
  ['an OAuth state that expired two days ago', 'deleted', oauthState(ago(2 * DAY), null)],
  [
    'an OAuth state that expired an hour ago (a late callback still hears "expired")',
    'kept',
    oauthState(ago(HOUR), null),
  ],
  ['an OAuth state still valid', 'kept', oauthState(ago(-10 * 60_000), null)],
  ['an OAuth state used 25 hours ago', 'deleted', oauthState(ago(-10 * 60_000), ago(25 * HOUR))],
  ['an OAuth state used an hour ago', 'kept', oauthState(ago(-10 * 60_000), ago(HOUR))],

  ['a processed event 8 days old (retention 7)', 'deleted', event('processed', ago(8 * DAY))],
  ['a failed event 8 days old', 'deleted', event('failed', ago(8 * DAY))],
  ['a processed event 6 days old', 'kept', event('processed', ago(6 * DAY))],
  ['a pending event 100 days old', 'kept', event('pending', ago(100 * DAY))],
  ['a processing event 100 days old', 'kept', event('processing', ago(100 * DAY))],

  ...(() => {
    const orders = runs('orders', [
      { status: 'succeeded', started: ago(40 * DAY), finished: ago(40 * DAY), seen: 5 },
      { status: 'failed', started: ago(35 * DAY), finished: ago(35 * DAY), seen: 1 },
      { status: 'succeeded', started: ago(31 * DAY), finished: ago(31 * DAY), seen: 3 },
    ]);
    const customers = runs('customers', [
      { status: 'succeeded', started: ago(50 * DAY), finished: ago(40 * DAY) },
      { status: 'running', started: ago(45 * DAY) },
    ]);
    const products = runs('products', [
      { status: 'succeeded', started: ago(40 * DAY), finished: ago(40 * DAY), seen: 2 },
      { status: 'succeeded', started: ago(29 * DAY), finished: ago(29 * DAY), seen: 2 },
      { status: 'failed', started: ago(DAY), finished: ago(DAY) },
    ]);
    const invoices = runs('invoices', [
      { status: 'failed', started: ago(40 * DAY), finished: ago(40 * DAY), current: true },
      { status: 'succeeded', started: ago(35 * DAY), finished: ago(35 * DAY) },
    ]);
    return [
      ['the oldest of three finished runs, with its 5 seen ids', 'deleted', orders(0)],
      ['the second of three finished runs, 35 days old, with its seen id', 'deleted', orders(1)],
      ['the latest run of an entity, 31 days old, with its seen ids', 'kept', orders(2)],
      ['a finished run 40 days old before a later one still running', 'deleted', customers(0)],
      ['a run still going, started 45 days ago', 'kept', customers(1)],
      ['a finished run 40 days old before newer ones', 'deleted', products(0)],
      ['a run finished 29 days ago', 'kept', products(1)],
      ["a run 40 days old before a later one, but named by its entity's sync status", 'kept', invoices(0)],
      ['the latest run of that entity', 'kept', invoices(1)],
    ] as Array<[string, 'kept' | 'deleted', Seed]>;
  })(),

  ['an outbox row sent 31 days ago', 'deleted', outbox('sent', ago(31 * DAY))],
  ['an outbox row discarded 31 days ago', 'deleted', outbox('discarded', ago(31 * DAY))],
  ['an outbox row sent 29 days ago', 'kept', outbox('sent', ago(29 * DAY))],
  ['a failed outbox row 60 days old', 'kept', outbox('failed', ago(60 * DAY))],
  ['a pending outbox row 90 days old', 'kept', outbox('pending', null)],
  ['an outbox row in conflict 90 days old', 'kept', outbox('conflict', null)],

  ['a conflict resolved 31 days ago', 'deleted', conflict('resolved', ago(60 * DAY), ago(31 * DAY))],
  ['a conflict resolved 29 days ago', 'kept', conflict('resolved', ago(60 * DAY), ago(29 * DAY))],
  ['an open conflict 60 days old', 'kept', conflict('open', ago(60 * DAY), null)],

  ['a health check 31 days old', 'deleted', healthCheck(ago(31 * DAY))],
  ['a health check 29 days old', 'kept', healthCheck(ago(29 * DAY))],

  ['statistics 91 days old', 'deleted', stats(ago(91 * DAY))],
  ['statistics 89 days old', 'kept', stats(ago(89 * DAY))],

  ['a permanently failed job last tried 31 days ago', 'deleted', job(3, ago(31 * DAY))],
  ['a permanently failed job last tried 29 days ago', 'kept', job(3, ago(29 * DAY))],
  ['a job still being retried, 60 days old', 'kept', job(1, ago(60 * DAY))],
  ['a job never tried, 60 days old', 'kept', job(0, ago(60 * DAY))],
  ['a permanently failed job locked by a worker', 'kept', job(3, ago(60 * DAY), true)],
];

describe('cleanup_database', () => {
  const present = new Map<string, () => Promise<boolean>>();
  const logged: string[] = [];

  beforeAll(async () => {
    for (const [name, , seed] of cases) present.set(name, await seed());
    // A backlog of old events larger than a batch.
    for (let i = 0; i < 7; i++) await event('processed', ago(9 * DAY - i))();
    const helpers = {
      logger: { debug() {}, info: (m: string) => logged.push(m), warn() {}, error: (m: string) => logged.push(m) },
      withPgClient: utils.withPgClient,
    } as unknown as JobHelpers;
    await cleanupDatabase(service.ctx, { batchSize: 2 })({}, helpers);
  });

  it.each(cases)('%s: %s', async (name, want) => {
    expect((await present.get(name)?.()) ? 'kept' : 'deleted').toBe(want);
  });

  it('works through a backlog in batches and logs what it deleted', async () => {
    const old = await db()
      .selectFrom('platform_event_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('processing_status', 'in', ['processed', 'failed'])
      .where('received_at', '<', ago(7 * DAY))
      .executeTakeFirstOrThrow();
    expect(Number(old.n)).toBe(0);
    expect(logged).toEqual([
      'cleanup deleted 2 oauth_states, 9 event_logs, 8 sync_run_seen, 4 sync_runs, 2 sync_outbox, 1 sync_conflicts, 1 connection_health_checks, 1 connection_stats, 1 failed_jobs',
    ]);
  });

  it('deletes nothing more when run again', async () => {
    const logs: string[] = [];
    const helpers = {
      logger: { debug() {}, info: (m: string) => logs.push(m), warn() {}, error: (m: string) => logs.push(m) },
      withPgClient: utils.withPgClient,
    } as unknown as JobHelpers;
    await cleanupDatabase(service.ctx)({}, helpers);
    expect(logs).toEqual(['cleanup: nothing to delete']);
  });
});

describe('retention settings', () => {
  const load = (env: Record<string, string>) =>
    loadSettings({
      env: { ENGARDE_ENCRYPTION_KEYS: TEST_KEY_RING, ENGARDE_DATA_DIR: '/tmp/engarde-x', ...env },
      platformIds: [],
    });

  it('default to 30 days of events and history and 90 of statistics', () => {
    expect(load({}).retention).toEqual({ eventDays: 30, historyDays: 30, statsDays: 90 });
  });

  it.each([
    ['ENGARDE_EVENT_RETENTION_DAYS', 'a week', /^ENGARDE_EVENT_RETENTION_DAYS: must be a number of days/],
    ['ENGARDE_HISTORY_RETENTION_DAYS', '0', /^ENGARDE_HISTORY_RETENTION_DAYS: must be at least 1 day/],
    ['ENGARDE_STATS_RETENTION_DAYS', '1.5', /^ENGARDE_STATS_RETENTION_DAYS: must be a whole number of days/],
  ])('%s=%s is refused, naming the variable', (name, value, want) => {
    try {
      load({ [name]: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      expect((error as SettingsError).problems).toContainEqual(expect.stringMatching(want));
    }
  });
});
