import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openJson, seal } from '../../../src/db/crypto/envelope-cipher.js';
import { parseKeyRing } from '../../../src/db/crypto/key-ring.js';
import { type RotationProgress, type RotationResult, rotateKeys } from '../../../src/db/crypto/key-rotation.js';
import { connectionAuthContext } from '../../../src/db/crypto/seal-context.js';
import { migrateToLatest, openDatabase, type ServiceDatabase } from '../../../src/db/database.js';
import type { Database } from '../../../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import {
  type ExpectedSecret,
  keyMaterial,
  openAll,
  readSealed,
  secret,
  seedTenant,
  testKeys,
} from './sealed-fixtures.js';

const keys = testKeys();
let testDb: TestDatabase;
let service: ServiceDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  testDb = await createTestDatabase('engarde_key_rotation');
  service = openDatabase(testDb.url, { max: 5 });
  db = service.db;
  await migrateToLatest(db);
});

afterAll(async () => {
  await service?.close();
  await testDb?.drop();
});

/** Empties the vault (deleting tenants cascades to their rows): each test starts from nothing. */
async function emptyVault() {
  await db.deleteFrom('tenants').execute();
}

async function kidsOf(table: 'platform_connections' | 'platform_webhooks' | 'platform_oauth_states') {
  return (await readSealed(db)).filter((s) => s.table === table).map((s) => s.stored.kid);
}

async function expectAllOpen(ring: typeof keys.ringV2, expected: ExpectedSecret[], kid?: string) {
  const opened = await openAll(db, ring, expected);
  expect(opened.map((o) => o.plaintext)).toEqual(expected.map((e) => e.plaintext));
  if (kid) expect(new Set(opened.map((o) => o.kid))).toEqual(new Set([kid]));
}

describe('a rotation from v1 to v2', () => {
  let expected: ExpectedSecret[];
  let before: Array<Record<string, unknown>>;
  let result: RotationResult;
  const progress: RotationProgress[] = [];

  beforeAll(async () => {
    const a = await seedTenant(db, keys.ringV1, { connections: 3 });
    const b = await seedTenant(db, keys.ringV1, { connections: 2 });
    expected = [...a.expected, ...b.expected];
    before = await db.selectFrom('platform_connections').selectAll().orderBy('connection_id').execute();
    result = await rotateKeys(db, keys.ringV2V1, { batchSize: 2, onProgress: (p) => void progress.push(p) });
  });
  afterAll(emptyVault);

  it('reports what it rotated per table, and that it is complete', () => {
    expect(result).toEqual({
      activeKeyId: 'v2',
      tables: {
        platform_connections: { column: 'auth_data', rotated: 5, failed: 0, remaining: 0 },
        platform_webhooks: { column: 'secret_data', rotated: 2, failed: 0, remaining: 0 },
        platform_oauth_states: { column: 'verifier_data', rotated: 2, failed: 0, remaining: 0 },
        sync_runs: { column: 'checkpoint_data', rotated: 2, failed: 0, remaining: 0 },
        alert_destinations: { column: 'secret_data', rotated: 2, failed: 0, remaining: 0 },
      },
      failures: [],
      interrupted: false,
      complete: true,
    });
  });

  it('puts every value of every encrypted column under v2', async () => {
    expect(await kidsOf('platform_connections')).toEqual(['v2', 'v2', 'v2', 'v2', 'v2']);
    expect(await kidsOf('platform_webhooks')).toEqual(['v2', 'v2']);
    expect(await kidsOf('platform_oauth_states')).toEqual(['v2', 'v2']);
  });

  it('opens every value to the same plaintext with the ring v2,v1', async () => {
    await expectAllOpen(keys.ringV2V1, expected, 'v2');
  });

  it('opens every value with the old key removed (ring v2 only)', async () => {
    await expectAllOpen(keys.ringV2, expected, 'v2');
  });

  it('keeps each value ciphertext and leaves updated_at and the other columns alone', async () => {
    const after = await db.selectFrom('platform_connections').selectAll().orderBy('connection_id').execute();
    const strip = (rows: Array<Record<string, unknown>>) =>
      rows.map(({ auth_data, ...rest }) => {
        const { ct, iv, tag } = auth_data as { ct: string; iv: string; tag: string };
        return { ...rest, ct, iv, tag };
      });
    expect(strip(after)).toEqual(strip(before));
  });

  it('reports progress after each batch, with what was pending', () => {
    const connections = progress.filter((p) => p.table === 'platform_connections');
    expect(connections.map((p) => p.rotated)).toEqual([2, 4, 5]);
    expect(new Set(connections.map((p) => p.pending))).toEqual(new Set([5]));
  });

  it('finds nothing to do when run again', async () => {
    const again = await rotateKeys(db, keys.ringV2);
    expect(Object.values(again.tables).map((t) => t.rotated)).toEqual([0, 0, 0, 0, 0]);
    expect(again.complete).toBe(true);
  });
});

describe('resumability', () => {
  afterEach(emptyVault);

  it('loses nothing when a run stops after some rows (onProgress throws), and a rerun finishes the job', async () => {
    const { expected } = await seedTenant(db, keys.ringV1, { connections: 10 });
    const stop = new Error('stopped after 4 rows');
    await expect(
      rotateKeys(db, keys.ringV2V1, {
        batchSize: 1,
        onProgress: (p) => {
          if (p.rotated === 4) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const kids = await kidsOf('platform_connections');
    expect(kids.filter((k) => k === 'v2')).toHaveLength(4);
    expect(kids.filter((k) => k === 'v1')).toHaveLength(6);
    await expectAllOpen(keys.ringV2V1, expected);

    const rerun = await rotateKeys(db, keys.ringV2V1, { batchSize: 3 });
    expect(rerun.tables.platform_connections).toMatchObject({ rotated: 6, remaining: 0 });
    expect(rerun.complete).toBe(true);
    await expectAllOpen(keys.ringV2, expected, 'v2');
  });

  it('loses nothing when the rotating process is killed with SIGKILL mid-run, and a rerun finishes the job', async () => {
    // No pause between batches: the kill lands while the child is inside a batch's transaction.
    const { expected } = await seedTenant(db, keys.ringV1, { connections: 200 });
    const lines = await runChildUntilKilled(testDb.url, keys.text.v2v1, 15);
    expect(lines.some((l) => l.startsWith('done'))).toBe(false);

    const kids = await kidsOf('platform_connections');
    expect(kids).toHaveLength(200);
    const rotated = kids.filter((k) => k === 'v2').length;
    expect(rotated).toBeGreaterThanOrEqual(15);
    expect(rotated).toBeLessThan(200);
    await expectAllOpen(keys.ringV2V1, expected);

    const rerun = await rotateKeys(db, keys.ringV2V1);
    expect(rerun.tables.platform_connections.rotated).toBe(200 - rotated);
    expect(rerun.complete).toBe(true);
    await expectAllOpen(keys.ringV2, expected, 'v2');
  }, 20_000);
});

describe('concurrent writes', () => {
  afterEach(emptyVault);

  it('never overwrites a value written between batches, whichever key it was written under', async () => {
    const { tenantId, expected } = await seedTenant(db, keys.ringV1, { connections: 6 });
    const rewritten = new Map<string, object>();
    await rotateKeys(db, keys.ringV2V1, {
      batchSize: 1,
      onProgress: async (p) => {
        if (p.table !== 'platform_connections' || rewritten.size > 0) return;
        // Two rows the rotation has not reached: one rewritten by an up-to-date process (v2), one by a process
        // still running with the old ring (v1).
        const pending = await db
          .selectFrom('platform_connections')
          .select('connection_id')
          .where(({ ref }) => ref('auth_data', '->>').key('kid'), '=', 'v1')
          .orderBy('connection_id', 'desc')
          .limit(2)
          .execute();
        expect(pending).toHaveLength(2);
        for (const [i, row] of pending.entries()) {
          const plaintext = { accessToken: secret('at_new') };
          const ring = i === 0 ? keys.ringV2V1 : keys.ringV1;
          const sealed = seal(ring, connectionAuthContext(tenantId, row.connection_id), plaintext);
          await db
            .updateTable('platform_connections')
            .set({ auth_data: JSON.stringify(sealed) })
            .where('tenant_id', '=', tenantId)
            .where('connection_id', '=', row.connection_id)
            .execute();
          rewritten.set(row.connection_id, plaintext);
        }
      },
    });
    expect(rewritten.size).toBe(2);
    const want = expected.map((e) =>
      e.table === 'platform_connections' && rewritten.has(e.context.rowId)
        ? { ...e, plaintext: rewritten.get(e.context.rowId)! }
        : e,
    );
    await expectAllOpen(keys.ringV2, want, 'v2');
  });

  it('skips a row a concurrent transaction holds locked, does not overwrite what it commits, and a rerun rotates it', async () => {
    const { tenantId, connectionIds, expected } = await seedTenant(db, keys.ringV1, { connections: 4 });
    const locked = connectionIds[2]!;
    const pool = testDb.pool({ max: 1 });
    const client = await pool.connect();
    let first: RotationResult;
    const newer = { accessToken: secret('at_locked') };
    try {
      await client.query('begin');
      await client.query(
        'select auth_data from platform_connections where tenant_id = $1 and connection_id = $2 for update',
        [tenantId, locked],
      );
      first = await rotateKeys(db, keys.ringV2V1, { batchSize: 2 });
      // The writer, still on the old ring, commits a new value after the rotation passed.
      const sealed = seal(keys.ringV1, connectionAuthContext(tenantId, locked), newer);
      await client.query(
        'update platform_connections set auth_data = $3::jsonb where tenant_id = $1 and connection_id = $2',
        [tenantId, locked, JSON.stringify(sealed)],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
    expect(first.tables.platform_connections).toEqual({ column: 'auth_data', rotated: 3, failed: 0, remaining: 1 });
    expect(first.complete).toBe(false);
    expect(first.failures).toEqual([]);

    const rerun = await rotateKeys(db, keys.ringV2V1);
    expect(rerun.tables.platform_connections.rotated).toBe(1);
    expect(rerun.complete).toBe(true);
    const want = expected.map((e) => (e.context.rowId === locked ? { ...e, plaintext: newer } : e));
    await expectAllOpen(keys.ringV2, want, 'v2');
  });
});

describe('values that do not open', () => {
  afterEach(emptyVault);

  it('are reported by table and primary key and skipped; the run goes on and says it is not complete', async () => {
    const { tenantId, connectionIds, expected } = await seedTenant(db, keys.ringV1, { connections: 2 });
    const lost = parseKeyRing(`v0:${Buffer.alloc(32, 9).toString('base64')}`);
    const apiKey = secret('sk_live');
    const bad = {
      unknownKey: randomUUID(),
      corrupt: randomUUID(),
      moved: randomUUID(),
      jsonString: randomUUID(),
    };
    const values: Record<keyof typeof bad, unknown> = {
      unknownKey: seal(lost, connectionAuthContext(tenantId, bad.unknownKey), { apiKey }),
      corrupt: { v: 1, kid: 'v1', apiKey },
      // Copied from another connection's row.
      moved: seal(keys.ringV1, connectionAuthContext(tenantId, connectionIds[0]!), { apiKey }),
      jsonString: apiKey,
    };
    for (const [name, connectionId] of Object.entries(bad)) {
      await db
        .insertInto('platform_connections')
        .values({
          tenant_id: tenantId,
          connection_id: connectionId,
          platform: 'stripe',
          auth_data: JSON.stringify(values[name as keyof typeof bad]),
        })
        .execute();
    }

    for (const run of [1, 2]) {
      const result = await rotateKeys(db, keys.ringV2V1, { batchSize: 2 });
      expect(result.complete, `run ${run}`).toBe(false);
      expect(result.tables.platform_connections).toEqual({
        column: 'auth_data',
        rotated: run === 1 ? 2 : 0,
        failed: 4,
        remaining: 4,
      });
      const reasons = Object.fromEntries(
        result.failures.map((f) => [f.primaryKey.connection_id, [f.table, f.column, f.primaryKey.tenant_id, f.reason]]),
      );
      expect(reasons).toEqual({
        [bad.unknownKey]: ['platform_connections', 'auth_data', tenantId, 'unknown-key'],
        [bad.corrupt]: ['platform_connections', 'auth_data', tenantId, 'malformed'],
        [bad.moved]: ['platform_connections', 'auth_data', tenantId, 'unauthentic'],
        [bad.jsonString]: ['platform_connections', 'auth_data', tenantId, 'malformed'],
      });
      const shown = JSON.stringify(result);
      for (const s of [apiKey, ...keyMaterial(keys), ...expected.flatMap((e) => e.secrets)]) {
        expect(shown).not.toContain(s);
      }
    }
    await expectAllOpen(keys.ringV2, expected, 'v2');
    // The unreadable rows are left exactly as they were.
    const unknownKeyRow = await db
      .selectFrom('platform_connections')
      .select('auth_data')
      .where('connection_id', '=', bad.unknownKey)
      .executeTakeFirstOrThrow();
    expect(openJson(lost, connectionAuthContext(tenantId, bad.unknownKey), unknownKeyRow.auth_data)).toEqual({
      apiKey,
    });
  });
});

/** Starts `rotate-child.ts`, SIGKILLs it once it has printed `afterLines` progress lines, and returns its output. */
async function runChildUntilKilled(url: string, ringText: string, afterLines: number): Promise<string[]> {
  const script = fileURLToPath(new URL('./rotate-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, url], {
    env: { ...process.env, ENGARDE_ENCRYPTION_KEYS: ringText, ROTATE_DELAY_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.filter((l) => l.startsWith('progress')).length >= afterLines) child.kill('SIGKILL');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  if (signal !== 'SIGKILL') throw new Error(`the child was not killed (exit ${code}): ${stderr.slice(-2000)}`);
  return lines;
}
