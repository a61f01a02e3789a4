/**
 * Syncs under a platform's rate limit, with budgets in Postgres as the service keeps them: a run of 429s longer than
 * a request's retries fails the attempt, and the next attempt resumes the run from its last stored page; a long
 * Retry-After is recorded in the connection's shared budget, so a resumed sync in another worker (another store,
 * another adapter) waits out the same pause without sending a request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitError } from '../../src/runtime/errors.js';
import { PostgresRateLimitStore } from '../../src/runtime/rate-limit/postgres-rate-limit-store.js';
import { type SyncHarness, startSyncHarness } from '../support/sync-harness.js';

const ENTITY = 'parties';
const RECORDS = 500;

describe('a run of 429s longer than a request’s retries', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness({
      platform: 'capsule-crm',
      records: RECORDS,
      // Requests 2 to 6 answered 429: five in a row, more than Capsule's three attempts per request.
      faults: { script: [2, 3, 4, 5, 6].map((on) => ({ on, fault: '429' as const })), retryAfterSeconds: 0 },
    });
    h.service.ctx.rateLimitStore = new PostgresRateLimitStore({ pool: h.service.database.pool() });
    await h.configure(ENTITY, { sync_direction: 'pull' });
  });
  afterAll(async () => {
    await h.service.ctx.rateLimitStore?.close();
    await h?.close();
  });

  it('fails the attempt for a retry, which resumes the run and stores every record once', async () => {
    await expect(h.sync(ENTITY, { attempt: 1, maxAttempts: 10, pageSize: 100 })).rejects.toBeInstanceOf(RateLimitError);
    expect(await h.storedIds(ENTITY)).toHaveLength(100); // the page stored before the 429s
    const outcome = await h.sync(ENTITY, { attempt: 2, maxAttempts: 10, pageSize: 100 });
    expect(outcome).toMatchObject({ status: 'succeeded', pull: { resumed: true, recordsPulled: RECORDS } });
    expect(await h.storedIds(ENTITY)).toHaveLength(RECORDS);
    expect(h.faults?.byKind.rateLimited).toBe(5);
  });
});

describe('a long Retry-After', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness({
      platform: 'capsule-crm',
      records: RECORDS,
      faults: { script: [{ on: 4, fault: '429' }], retryAfterSeconds: 3600 },
    });
    h.service.ctx.rateLimitStore = new PostgresRateLimitStore({ pool: h.service.database.pool() });
    await h.configure(ENTITY, { sync_direction: 'pull' });
  });
  afterAll(async () => {
    await h.service.ctx.rateLimitStore?.close();
    await h?.close();
  });

  it('holds every worker of the connection: a resumed sync elsewhere sends nothing until the pause ends', async () => {
    await expect(h.sync(ENTITY, { attempt: 1, maxAttempts: 10, pageSize: 100 })).rejects.toBeInstanceOf(RateLimitError);
    const requestsBefore = h.control.counters.requests;
    // Another worker process: its own store instance on the same database, its own adapter.
    const elsewhere = new PostgresRateLimitStore({ pool: h.service.database.pool() });
    const first = h.service.ctx.rateLimitStore;
    h.service.ctx.rateLimitStore = elsewhere;
    try {
      const resumed = h.sync(ENTITY, { attempt: 2, maxAttempts: 10, pageSize: 100 });
      await expect(resumed).rejects.toBeInstanceOf(RateLimitError);
      await expect(resumed).rejects.toThrow(/rate-limit budget .* is paused/);
    } finally {
      h.service.ctx.rateLimitStore = first;
      await elsewhere.close();
    }
    expect(h.control.counters.requests).toBe(requestsBefore);
    // The run is still there to resume, with the pages stored before the 429.
    const run = await h.service.ctx.db
      .selectFrom('sync_runs')
      .select(['status', 'pages'])
      .where('connection_id', '=', h.connectionId)
      .executeTakeFirstOrThrow();
    expect(run).toEqual({ status: 'running', pages: 3 });
  });
});
