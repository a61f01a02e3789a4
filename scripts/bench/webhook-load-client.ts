/**
 * The load generator of the webhook ingest benchmark, in its own process so the client's CPU is not the server's
 * event loop: `deliveries` unique GitHub-signed deliveries (own delivery id, body and signature each) posted with
 * autocannon, `concurrency` connections, one request in flight on each. Prints one JSON line
 * `{ perSecond, p50, p99, non2xx, errors }`.
 *
 * Usage (from webhook-ingest-bench.ts): tsx scripts/bench/webhook-load-client.ts <url> <deliveries> <concurrency> <secret>
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

interface AutocannonResult {
  errors: number;
  non2xx: number;
  latency: { p50: number; p99: number };
}
type Request = { method: string; body?: string; headers?: Record<string, string> };
// autocannon ships no types; this is the part used here.
type Autocannon = (
  options: {
    url: string;
    connections: number;
    amount: number;
    requests: Array<Request & { setupRequest?: (request: Request) => Request }>;
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => { on(event: 'response', listener: () => void): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const [url = '', deliveriesText = '5000', concurrencyText = '20', secret = ''] = process.argv.slice(2);
const deliveries = Number(deliveriesText);

const prepared = Array.from({ length: deliveries }, () => {
  const id = randomUUID();
  const body = JSON.stringify({ action: 'opened', issue: { id, title: 'A bench issue', body: 'x'.repeat(600) } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-delivery': id,
      'x-github-event': 'issues',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
});
let next = 0;
let last = 0;
const started = performance.now();
const result = await new Promise<AutocannonResult>((resolve, reject) => {
  const instance = autocannon(
    {
      url,
      connections: Number(concurrencyText),
      amount: deliveries,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const d = prepared[next++ % prepared.length] as (typeof prepared)[number];
            return { ...request, body: d.body, headers: d.headers };
          },
        },
      ],
    },
    (error, done) => (error ? reject(error) : resolve(done)),
  );
  // The time of the last answer, not autocannon's duration (which ends on its one-second tick).
  instance.on('response', () => {
    last = performance.now();
  });
});
console.log(
  JSON.stringify({
    perSecond: (deliveries / (last - started)) * 1000,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }),
);
