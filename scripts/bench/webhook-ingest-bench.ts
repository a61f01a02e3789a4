/**
 * Webhook ingest (issue 10 "Speed"): GitHub-signed deliveries posted to the running service's inbound route —
 * verified (HMAC-SHA256 of the raw body), stored once with their processing job in one transaction, answered 200 —
 * against a bare Fastify handler that only reads the body, measured with the same client in the same run as the
 * floor. 20 requests in flight, every delivery unique; throughput and per-request latency.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server (its own database, dropped after).
 * Usage: npx tsx scripts/bench/webhook-ingest-bench.ts [--deliveries 5000] [--runs 5] [--concurrency 20]
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
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

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

function delivery(): { body: string; headers: Record<string, string> } {
  const id = randomUUID();
  const body = JSON.stringify({ action: 'opened', issue: { id, title: 'A bench issue', body: 'x'.repeat(600) } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-delivery': id,
      'x-github-event': 'issues',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  };
}

/** Posts `deliveries` unique deliveries to `url`, `concurrency` at a time. */
async function load(url: string): Promise<Measured> {
  const prepared = Array.from({ length: deliveries }, delivery);
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < prepared.length) {
        const d = prepared[next++] as ReturnType<typeof delivery>;
        const t = performance.now();
        const response = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
        await response.arrayBuffer();
        latencies.push(performance.now() - t);
        if (response.status !== 200) failures++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  if (failures > 0) throw new Error(`${failures} deliveries were not answered 200`);
  latencies.sort((a, b) => a - b);
  return { perSecond: (deliveries / elapsed) * 1000, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
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
    await load(serviceUrl); // warm-up
    await load(bareUrl);
    const service_: Measured[] = [];
    const floor: Measured[] = [];
    for (let run = 1; run <= runs; run++) {
      const first = run % 2 === 1;
      const a = first ? await load(serviceUrl) : undefined;
      const b = await load(bareUrl);
      const s = a ?? (await load(serviceUrl));
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
