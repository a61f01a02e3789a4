/**
 * Webhook ingest (issue 10 "Speed"): GitHub-signed deliveries posted to the running service's inbound route —
 * verified (HMAC-SHA256 of the raw body), stored once with their processing job in one transaction, answered 200 —
 * against a bare Fastify handler that only reads the body, measured with the same client in the same run as the
 * floor. The client (autocannon) runs in its own process; 20 connections, every delivery unique; throughput and
 * per-request latency. Server, client and Postgres share the machine's cores. Each service run starts with an empty
 * job queue and event table (see `drained`).
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (its own database, dropped after).
 * Usage: npx tsx scripts/bench/webhook-ingest-bench.ts [--deliveries 5000] [--runs 5] [--concurrency 20]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { destination } from 'pino';
import { buildServer } from '../../src/api/server.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import { openService, serviceLogger, serviceSettings } from '../../src/service/service-runtime.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '20' },
  },
});
const deliveries = Number(values.deliveries);
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const SECRET = 'bench-webhook-secret';
const TARGET = { perSecond: 2000, p99Ms: 25 };

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

const client = fileURLToPath(new URL('./webhook-load-client.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/**
 * Posts `deliveries` unique signed deliveries to `url`, `concurrency` at a time, from a separate process (see
 * webhook-load-client.ts): the server's event loop is its own, as it would be in production.
 */
async function load(url: string): Promise<Measured> {
  const child = spawn(tsx, [client, url, String(deliveries), String(concurrency), SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the load client exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').at(-1) as string) as Measured & { non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} deliveries were not answered 2xx, ${result.errors} failed`);
  }
  return { perSecond: result.perSecond, p50: result.p50, p99: result.p99 };
}

async function main(): Promise<void> {
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `Postgres ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (throw-away)'}; ${deliveries} deliveries a run, ${concurrency} in flight`,
  );
  const database = await createTestDatabase('engarde_bench_webhooks');
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-bench-'));
  const settings = serviceSettings({
    DATABASE_URL: database.url,
    ENGARDE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENGARDE_DATA_DIR: dir,
    ENGARDE_PUBLIC_URL: 'http://127.0.0.1:3999',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const logger = serviceLogger('warn', destination({ dest: '/dev/null', sync: true }));
  const service = await openService(settings, { migrate: true, logger });
  const { app } = await buildServer(service.ctx);
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  const bare = Fastify();
  bare.removeAllContentTypeParsers();
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  bare.post('/webhooks/:platform/:event', async (request) => ({ received: Buffer.isBuffer(request.body) }));
  const bareOrigin = await bare.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { tenantId, apiKey } = await createTenant(service.ctx.db, 'Bench');
    await insertConnection(service.ctx.db, settings.keyRing, {
      tenantId,
      platform: 'github',
      credentials: { token: 'not-used' },
      connectionConfig: {},
    });
    const registered = await fetch(`${origin}/integrations/github/webhooks/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: ['issues'], secret: SECRET }),
    });
    if (registered.status !== 201)
      throw new Error(`register answered ${registered.status}: ${await registered.text()}`);
    const endpoint = new URL(((await registered.json()) as { webhook: { endpoint_url: string } }).webhook.endpoint_url);
    const serviceUrl = `${origin}${endpoint.pathname}${endpoint.search}`;
    const bareUrl = `${bareOrigin}/webhooks/github/issues`;
    /**
     * Each run starts from an empty queue, as under workers that keep up: with no worker here, a queue left to grow
     * (tens of thousands of jobs) makes graphile_worker.add_jobs itself slower run after run (measured: 6,900 events/s
     * stored at 5,000 queued jobs, 2,800/s at 40,000).
     */
    const drained = async () => {
      await sql`delete from graphile_worker._private_jobs`.execute(service.ctx.db);
      await sql`delete from platform_event_logs`.execute(service.ctx.db);
      return load(serviceUrl);
    };
    await drained(); // warm-up
    await load(bareUrl);
    const service_: Measured[] = [];
    const floor: Measured[] = [];
    for (let run = 1; run <= runs; run++) {
      const first = run % 2 === 1;
      const a = first ? await drained() : undefined;
      const b = await load(bareUrl);
      const s = a ?? (await drained());
      service_.push(s);
      floor.push(b);
      console.log(
        `run ${run}: service ${s.perSecond.toFixed(0)}/s p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms | bare Fastify ${b.perSecond.toFixed(0)}/s p50 ${b.p50.toFixed(1)} ms p99 ${b.p99.toFixed(1)} ms`,
      );
    }
    const m = (xs: Measured[], k: keyof Measured) => median(xs.map((x) => x[k]));
    const perSecond = m(service_, 'perSecond');
    const p99 = m(service_, 'p99');
    console.log(`\nmedian of ${runs} runs (load average ${loadavg()[0]?.toFixed(1)})`);
    console.log('| path | deliveries/s | p50 | p99 |\n| --- | ---: | ---: | ---: |');
    console.log(
      `| service (verify, store, enqueue, answer) | ${perSecond.toFixed(0)} | ${m(service_, 'p50').toFixed(1)} ms | ${p99.toFixed(1)} ms |`,
    );
    console.log(
      `| bare Fastify, body read only (floor) | ${m(floor, 'perSecond').toFixed(0)} | ${m(floor, 'p50').toFixed(1)} ms | ${m(floor, 'p99').toFixed(1)} ms |`,
    );
    console.log(`ratio service / floor: ${(perSecond / m(floor, 'perSecond')).toFixed(2)}×`);
    const met = perSecond >= TARGET.perSecond && p99 <= TARGET.p99Ms;
    console.log(`target ≥ ${TARGET.perSecond}/s with p99 ≤ ${TARGET.p99Ms} ms: ${met ? 'met' : 'NOT met'}`);
  } finally {
    await app.close();
    await bare.close();
    await service.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
