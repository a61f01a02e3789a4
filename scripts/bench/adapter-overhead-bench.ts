/**
 * Adapter overhead: list 20,000 records, 100 a page, from one loopback server, through a generated adapter
 * (StripeAdapter: auth, retry policy, pagination, loop guards, logging) and through plain got doing the same
 * cursor pagination by hand — alternately, in the same process and run. Reports records per second for each
 * (median of the runs) and the ratio. The adapter's client-side rate limiter is off here (`rateLimiter: false`): it
 * would hold both to Stripe's 100 requests a second, which measures the limit, not the adapter.
 *
 * Usage: npx tsx scripts/bench/adapter-overhead-bench.ts [--records 20000] [--runs 7]
 */
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import got from 'got';
import { StripeAdapter } from '../../generated/adapters/stripe/index.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '20000' }, runs: { type: 'string', default: '7' } },
});
const total = Number(values.records);
const runs = Number(values.runs);
const PAGE = 100;
const KEY = 'sk_test_bench';

// Pages are built once, so the server costs the same whatever client asks.
const ids = Array.from({ length: total }, (_, i) => `cus_${String(total - i).padStart(14, '0')}`);
const pages = new Map<string, string>();
for (let start = 0; start < total; start += PAGE) {
  const data = ids.slice(start, start + PAGE).map((id, i) => ({
    id,
    object: 'customer',
    created: 1_767_225_600 + start + i,
    email: `${id}@example.com`,
    name: `Customer ${id}`,
    metadata: {},
  }));
  pages.set(
    start === 0 ? '' : (ids[start - 1] as string),
    JSON.stringify({ object: 'list', url: '/v1/customers', has_more: start + PAGE < total, data }),
  );
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.headers.authorization !== `Bearer ${KEY}` || url.pathname !== '/v1/customers') {
    res.writeHead(401).end();
    return;
  }
  const page = pages.get(url.searchParams.get('starting_after') ?? '');
  res.writeHead(page ? 200 : 400, { 'content-type': 'application/json' }).end(page ?? '{}');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function viaGot(): Promise<number> {
  const agent = new Agent({ keepAlive: true });
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const body = await got(`${origin}/v1/customers`, {
      searchParams: { limit: PAGE, ...(after ? { starting_after: after } : {}) },
      headers: { authorization: `Bearer ${KEY}` },
      agent: { http: agent },
    }).json<{ has_more: boolean; data: Array<{ id: string }> }>();
    for (const _record of body.data) count++; // visit every record, as a consumer of the list would
    if (!body.has_more) break;
    after = body.data.at(-1)?.id;
  }
  agent.destroy();
  return count;
}

async function viaAdapter(): Promise<number> {
  await using stripe = new StripeAdapter({
    credentials: { apiKey: KEY },
    connectionConfig: {},
    baseUrl: `${origin}/v1`,
    rateLimiter: false,
  });
  let count = 0;
  for await (const _ of stripe.listCustomers({ pageSize: PAGE })) count++;
  return count;
}

async function timed(run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const count = await run();
  if (count !== total) throw new Error(`listed ${count} records, expected ${total}`);
  return count / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
await timed(viaGot); // warm both paths (JIT, sockets)
await timed(viaAdapter);
const gotRates: number[] = [];
const adapterRates: number[] = [];
for (let i = 0; i < runs; i++) {
  gotRates.push(await timed(viaGot));
  adapterRates.push(await timed(viaAdapter));
}
server.close();
const g = median(gotRates);
const a = median(adapterRates);
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
console.log(`${total} records, ${PAGE} a page, median of ${runs} alternating runs`);
console.log(
  `| client | records/s |\n| --- | ---: |\n| plain got | ${g.toFixed(0)} |\n| StripeAdapter | ${a.toFixed(0)} |`,
);
console.log(`adapter / got = ${(a / g).toFixed(2)}x`);
