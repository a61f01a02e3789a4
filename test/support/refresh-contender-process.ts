/**
 * A second service process for the cross-process refresh test (`test/api/oauth-flow.test.ts`): it builds its own
 * service context (settings from the environment, its own pool) on the test's database, builds `CALLS` adapters for
 * connection `CONNECTION_ID` (each holding the stored, expired access token, as concurrent API requests would),
 * prints `ready`, waits for `go` on stdin, then makes one call through each adapter at once, and prints one JSON
 * line: `{ "ok": n, "failures": [messages] }`.
 *
 * Run: `node --import tsx test/support/refresh-contender-process.ts` with DATABASE_URL, ENGARDE_* and
 * TENANT_ID, CONNECTION_ID, CALLS in the environment.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { getAdapterRegistry } from '../../generated/adapters/index.js';
import { openDatabase } from '../../src/db/database.js';
import { getConnection } from '../../src/db/repositories/connection-repository.js';
import { adapterForConnection } from '../../src/service/connection-adapters.js';
import type { ServiceContext } from '../../src/service/service-context.js';
import { loadSettings } from '../../src/service/settings.js';

const env = process.env;
const registry = getAdapterRegistry();
const settings = loadSettings({ env, platformIds: registry.platforms().map((p) => p.id) });
const { db, close } = openDatabase(settings.databaseUrl as string, { max: 5 });
const ctx: ServiceContext = { settings, db, registry, logger: pino({ level: 'silent' }), now: () => new Date() };
const tenantId = env.TENANT_ID as string;
const connectionId = env.CONNECTION_ID as string;
const calls = Number(env.CALLS ?? 25);

const row = await getConnection(db, tenantId, connectionId);
if (!row) throw new Error(`connection ${connectionId} not found`);

const adapters = await Promise.all(Array.from({ length: calls }, () => adapterForConnection(ctx, row)));

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

const results = await Promise.allSettled(adapters.map((adapter) => adapter.fetch('users', { limit: 1 })));
await Promise.all(adapters.map((adapter) => adapter.close()));
const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message)] : []));
process.stdout.write(`${JSON.stringify({ ok: results.length - failures.length, failures })}\n`);
await close();
