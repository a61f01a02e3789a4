/**
 * The service's commands against a real database (`DATABASE_URL` given): migrate, tenant create, keys rotate —
 * their output, exit codes and effect, as an operator runs them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyRing } from '../../src/db/crypto/key-ring.js';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { insertConnection, loadCredentials } from '../../src/db/repositories/connection-repository.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../bin/engarde.js');
const V1 = `v1:${Buffer.alloc(32, 1).toString('base64')}`;
const V2 = `v2:${Buffer.alloc(32, 2).toString('base64')}`;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('engarde_cli');
});
afterAll(async () => {
  await database?.drop();
});

function engarde(args: string[], keys: string) {
  return run(process.execPath, [cli, ...args], {
    env: { ...process.env, DATABASE_URL: database.url, ENGARDE_ENCRYPTION_KEYS: keys, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('engarde migrate, tenant create, keys rotate', () => {
  it('migrate applies the migrations once, then says the database is up to date', async () => {
    expect((await engarde(['migrate'], V1)).stdout).toMatch(
      /engarde migrate: applied 2026-12-07-0001-service-foundation/,
    );
    expect((await engarde(['migrate'], V1)).stdout).toContain('engarde migrate: the database is up to date');
  });

  it('tenant create prints the tenant id and its key once', async () => {
    const { stdout } = await engarde(['tenant', 'create', 'Acme', 'Corp'], V1);
    expect(stdout).toMatch(/^tenant [0-9a-f-]{36} api key egk_[0-9a-f]{32}_[0-9a-f]{32}_[\w-]{43}\n$/);
  });

  it('keys rotate re-wraps every secret under the first key; the old key can then leave the ring', async () => {
    const { stdout: created } = await engarde(['tenant', 'create', 'Rotating'], V1);
    const tenantId = /tenant (\S+)/.exec(created)?.[1] as string;
    const { db, close } = openDatabase(database.url, { max: 2 });
    await migrateToLatest(db);
    const row = await insertConnection(db, parseKeyRing(V1), {
      tenantId,
      platform: 'stripe',
      credentials: { apiKey: 'sk_test_rotate_me' },
      connectionConfig: {},
    });
    const { stdout } = await engarde(['keys', 'rotate'], `${V2},${V1}`);
    expect(stdout).toContain('engarde keys rotate: every stored secret is under key v2');
    expect(await loadCredentials(db, parseKeyRing(V2), tenantId, row.connectionId)).toEqual({
      apiKey: 'sk_test_rotate_me',
    });
    await close();
  });

  it.each([
    ['tenant without a name', ['tenant', 'create']],
    ['keys without rotate', ['keys', 'spin']],
  ])('%s is a usage error (exit 2)', async (_name, args) => {
    const error = (await engarde(args, V1).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toMatch(/usage: engarde/);
  });
});
