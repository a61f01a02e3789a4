/**
 * The API's own cost (issue 8 "Speed"): `GET /integrations/stripe/data/customers?limit=100` through the real HTTP
 * server — listening on 127.0.0.1, a real tenant and API key, a Stripe connection made through `POST /connect`,
 * credentials sealed in Postgres — against calling `StripeAdapter.page('customers', { pageSize: 100 })` directly on
 * the same loopback Stripe emulator, interleaved (alternating which goes first), in the same process and run.
 *
 * Each request, API or direct, fetches one 100-record page from the emulator. The API adds its HTTP hop, the key
 * check (one indexed row, SHA-256, constant-time compare), the per-tenant rate limit, the connection lookup, opening
 * the sealed credentials, a new adapter, the signed cursor and the JSON answer. Requests are paced (one pair every
 * `--pace-ms`) to stay under Stripe's 100 requests a second, which the adapter's own limiter enforces on both paths:
 * this measures latency, not waiting for the platform's budget.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server; the benchmark uses its own database, dropped
 * after. Only 127.0.0.1 is used; the run stops by itself.
 *
 * Usage: npx tsx scripts/bench/api-overhead-bench.ts [--requests 400] [--runs 5] [--warmup 100] [--pace-ms 12]
 *        [--log-level warn|info]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { destination } from 'pino';
import { StripeAdapter } from '../../generated/adapters/stripe/index.js';
import { buildServer } from '../../src/api/server.js';
import { listConnections, loadCredentials } from '../../src/db/repositories/connection-repository.js';
import { authenticateKey, createTenant } from '../../src/db/repositories/tenant-repository.js';
import { EMULATED_PLATFORMS, startEmulator } from '../../src/sandbox/index.js';
import { adapterForConnection } from '../../src/service/connection-adapters.js';
import { openService, serviceLogger, serviceSettings } from '../../src/service/service-runtime.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '100' },
    'pace-ms': { type: 'string', default: '12' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const requests = Number(values.requests);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const paceMs = Number(values['pace-ms']);
const logLevel = values['log-level'] as string;
const PAGE = 100;
const STRIPE_KEY = 'sk_test_emulator';
const TARGET = { p50: 3, p99: 10 };

interface RunResult {
  api: { p50: number; p99: number };
  direct: { p50: number; p99: number };
}

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main(): Promise<void> {
  if (!(requests >= 300 && runs >= 1 && warmup >= 0 && paceMs >= 0)) throw new Error('bad arguments; see the usage');
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `Postgres ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (throw-away)'}; log level ${logLevel}`,
  );
  const stripe = EMULATED_PLATFORMS.stripe;
  if (!stripe) throw new Error('no Stripe emulator');
  const emulator = await startEmulator(stripe.create({ records: 1000, rateLimit: false }));
  const database = await createTestDatabase('engarde_bench');
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-bench-'));
  const overridesFile = path.join(dir, 'overrides.json');
  writeFileSync(overridesFile, JSON.stringify({ stripe: { baseUrl: `${emulator.origin}/v1` } }));
  const settings = serviceSettings({
    DATABASE_URL: database.url,
    ENGARDE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENGARDE_DATA_DIR: dir,
    ENGARDE_PLATFORM_OVERRIDES: overridesFile,
    ENGARDE_API_RATE_LIMIT: '1000000',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: logLevel,
  });
  // As `engarde serve` logs, but into /dev/null (synchronously, as pino writes to stdout).
  const logger = serviceLogger(logLevel, destination({ dest: '/dev/null', sync: true }));
  const service = await openService(settings, { migrate: true, logger });
  const { app } = await buildServer(service.ctx);
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  const direct = new StripeAdapter({
    credentials: { apiKey: STRIPE_KEY },
    connectionConfig: {},
    baseUrl: `${emulator.origin}/v1`,
  });
  try {
    const { apiKey } = await createTenant(service.ctx.db, 'Bench');
    const headers = { authorization: `Bearer ${apiKey}` };
    const connect = await fetch(`${origin}/integrations/stripe/connect`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ credentials: { apiKey: STRIPE_KEY }, connection_config: {} }),
    });
    if (connect.status !== 201) throw new Error(`connect answered ${connect.status}: ${await connect.text()}`);
    const url = `${origin}/integrations/stripe/data/customers?limit=${PAGE}`;

    const viaApi = async (): Promise<number> => {
      const started = performance.now();
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { customers?: unknown[] };
      const elapsed = performance.now() - started;
      if (res.status !== 200 || body.customers?.length !== PAGE) {
        throw new Error(`the API answered ${res.status} with ${body.customers?.length} customers`);
      }
      return elapsed;
    };
    const viaAdapter = async (): Promise<number> => {
      const started = performance.now();
      const page = await direct.page('customers', { pageSize: PAGE });
      const elapsed = performance.now() - started;
      if (page.records.length !== PAGE) throw new Error(`the adapter listed ${page.records.length} customers`);
      return elapsed;
    };
    /** `count` pairs, alternating which goes first, one pair per `paceMs` at most. */
    const pairs = async (count: number): Promise<{ api: number[]; direct: number[] }> => {
      const api: number[] = [];
      const adapter: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        if (i % 2 === 0) {
          api.push(await viaApi());
          adapter.push(await viaAdapter());
        } else {
          adapter.push(await viaAdapter());
          api.push(await viaApi());
        }
        const left = paceMs - (performance.now() - started);
        if (left > 0) await sleep(left);
      }
      return { api, direct: adapter };
    };

    await pairs(warmup);
    const results: RunResult[] = [];
    for (let run = 1; run <= runs; run++) {
      const sample = await pairs(requests);
      const api = [...sample.api].sort((a, b) => a - b);
      const adapter = [...sample.direct].sort((a, b) => a - b);
      const result: RunResult = {
        api: { p50: quantile(api, 0.5), p99: quantile(api, 0.99) },
        direct: { p50: quantile(adapter, 0.5), p99: quantile(adapter, 0.99) },
      };
      results.push(result);
      console.log(
        `run ${run}: API p50 ${ms(result.api.p50)} p99 ${ms(result.api.p99)} | adapter p50 ${ms(result.direct.p50)} ` +
          `p99 ${ms(result.direct.p99)} | added p50 ${ms(result.api.p50 - result.direct.p50)} p99 ${ms(result.api.p99 - result.direct.p99)}`,
      );
    }
    const m = {
      apiP50: median(results.map((r) => r.api.p50)),
      apiP99: median(results.map((r) => r.api.p99)),
      directP50: median(results.map((r) => r.direct.p50)),
      directP99: median(results.map((r) => r.direct.p99)),
      addedP50: median(results.map((r) => r.api.p50 - r.direct.p50)),
      addedP99: median(results.map((r) => r.api.p99 - r.direct.p99)),
    };
    const met = m.addedP50 <= TARGET.p50 && m.addedP99 <= TARGET.p99;
    console.log(
      `\n${PAGE} records a request; ${requests} requests per path per run after ${warmup} warm-up pairs; median of ${runs} runs`,
    );
    console.log('| path | p50 | p99 |\n| --- | ---: | ---: |');
    console.log(`| adapter directly (baseline) | ${ms(m.directP50)} | ${ms(m.directP99)} |`);
    console.log(`| through the API | ${ms(m.apiP50)} | ${ms(m.apiP99)} |`);
    console.log(`| added by the API | ${ms(m.addedP50)} | ${ms(m.addedP99)} |`);
    console.log(
      `target: the API adds ≤ ${TARGET.p50} ms at p50 and ≤ ${TARGET.p99} ms at p99: ${met ? 'met' : 'NOT met'}`,
    );

    // Where the added time goes: the steps the data route takes, each timed alone at the same pace.
    const ctx = service.ctx;
    const { tenantId } = (await authenticateKey(ctx.db, apiKey)) ?? { tenantId: '' };
    const [row] = await listConnections(ctx.db, tenantId, { limit: 2, platform: 'stripe' });
    if (!row) throw new Error('no connection');
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['a Postgres round trip (SELECT 1)', () => sql`select 1`.execute(ctx.db)],
      ['API key check (1 query, SHA-256)', () => authenticateKey(ctx.db, apiKey)],
      ['connection lookup (1 query)', () => listConnections(ctx.db, tenantId, { limit: 51, platform: 'stripe' })],
      [
        'credentials: 1 query + AES-GCM open',
        () => loadCredentials(ctx.db, settings.keyRing, tenantId, row.connectionId),
      ],
      [
        'adapterForConnection + close (incl. the query above)',
        async () => (await adapterForConnection(ctx, row)).close(),
      ],
      [
        'a new adapter’s page (new socket) vs the long-lived one',
        async () => {
          const fresh = new StripeAdapter({
            credentials: { apiKey: STRIPE_KEY },
            connectionConfig: {},
            baseUrl: `${emulator.origin}/v1`,
          });
          await fresh.page('customers', { pageSize: PAGE });
          await fresh.close();
        },
      ],
      ['the long-lived adapter’s page', () => direct.page('customers', { pageSize: PAGE })],
      ['HTTP hop: GET /healthz', async () => (await fetch(`${origin}/healthz`)).json()],
    ];
    console.log('\nwhere the time goes: each step alone, p50 of 200, one every --pace-ms');
    console.log('| step | p50 |\n| --- | ---: |');
    for (const [name, step] of steps) {
      const times: number[] = [];
      for (let i = 0; i < 250; i++) {
        const started = performance.now();
        await step();
        if (i >= 50) times.push(performance.now() - started);
        await sleep(paceMs);
      }
      console.log(
        `| ${name} | ${ms(
          quantile(
            [...times].sort((a, b) => a - b),
            0.5,
          ),
        )} |`,
      );
    }
  } finally {
    await direct.close();
    await app.close();
    await service.close();
    await database.drop();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
