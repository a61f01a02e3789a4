/**
 * Requests per second on the registry and connections routes (issue 8 "Speed": ≥ 5,000 requests/s on 2 cores).
 *
 * The server is the real `engarde serve` (`node bin/engarde.js serve --port 0`, its in-process worker included) in
 * a child process on 127.0.0.1, on its own database; autocannon loads it from this process. Measured:
 * `GET /integrations/registry` (public), `GET /integrations/connections` with a tenant key (a tenant with three
 * Stripe connections, made through `POST /connect` against the loopback Stripe emulator), and as the baseline, in
 * the same server and run, `GET /healthz` (no key, no database: Fastify's own ceiling on this machine). Each route:
 * a warm-up, then `--runs` runs of `--seconds`, median requests/s. The whole is done once per log level: `warn`
 * (what a busy deployment should run) and `info` (the default; one request-log line per request), the logs going to
 * a file as they would to a log collector.
 *
 * `--profile`: afterwards, one more load per tenant route on a server started with `--cpu-prof`, and the functions
 * and packages that took the CPU time.
 *
 * Postgres: `DATABASE_URL` if set, else a throw-away embedded server; the benchmark uses its own database, dropped
 * after. Only 127.0.0.1 is used; the run stops by itself.
 *
 * Usage: npx tsx scripts/bench/api-throughput-bench.ts [--seconds 10] [--runs 3] [--warmup 3] [--connections 50]
 *        [--log-levels warn,info] [--profile]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/db/database.js';
import { createTenant } from '../../src/db/repositories/tenant-repository.js';
import { EMULATED_PLATFORMS, startEmulator } from '../../src/sandbox/index.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'log-levels': { type: 'string', default: 'warn,info' },
    profile: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const warmupSeconds = Number(values.warmup);
const connections = Number(values.connections);
const logLevels = (values['log-levels'] as string).split(',').filter(Boolean);
const TARGET_RPS = 5000;
const STRIPE_KEY = 'sk_test_emulator';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// autocannon ships no types; this is the part used here.
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface RouteLoad {
  name: string;
  path: string;
  tenant: boolean;
}
const ROUTES: RouteLoad[] = [
  { name: 'GET /healthz (baseline)', path: '/healthz', tenant: false },
  { name: 'GET /integrations/registry', path: '/integrations/registry', tenant: false },
  { name: 'GET /integrations/connections', path: '/integrations/connections', tenant: true },
];

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** CPU seconds used during the load by the server process, Postgres and this process (autocannon). */
  cpu: { server: number; postgres: number; client: number };
}

const median = <T>(xs: T[], by: (x: T) => number): T => {
  const sorted = [...xs].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
};

interface RunningServer {
  origin: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `engarde serve` in a child process, its output in `logFile`; resolves once it prints where it listens. */
async function startServer(
  env: Record<string, string>,
  logFile: string,
  nodeFlags: string[] = [],
): Promise<RunningServer> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeFlags, path.join(ROOT, 'bin/engarde.js'), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  let origin: string | undefined;
  while (!origin) {
    if (child.exitCode !== null)
      throw new Error(`engarde serve exited ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`engarde serve did not start in 60 s:\n${readFileSync(logFile, 'utf8')}`);
    }
    origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (!origin) await sleep(50);
  }
  return {
    origin,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function load(
  url: string,
  duration: number,
  headers: Record<string, string>,
  serverPid?: number,
): Promise<Measured> {
  const before = {
    server: serverPid ? cpuSecondsOf([serverPid]) : 0,
    postgres: cpuSecondsOf(postgresPids()),
    client: process.cpuUsage(),
  };
  const result = await autocannon({ url, connections, duration, headers });
  const client = process.cpuUsage(before.client);
  const cpu = {
    server: serverPid ? cpuSecondsOf([serverPid]) - before.server : 0,
    // A backend that ended during the load takes its time with it (the pools keep theirs open): at least 0.
    postgres: Math.max(0, cpuSecondsOf(postgresPids()) - before.postgres),
    client: (client.user + client.system) / 1e6,
  };
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts — not a clean run`,
    );
  }
  return { rps: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, cpu };
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a V8 `.cpuprofile`'s busy time went between `fromEndUs` and `toEndUs` before its end (the load, not the
 * start-up): self time by where the code lives (a package, our sources, Node, a native function) and by function,
 * and inclusive time of our own functions.
 */
function summariseProfile(file: string, fromEndUs: number, toEndUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusiveOurs = new Map<string, number>();
  const label = (frame: CpuProfile['nodes'][number]['callFrame']) =>
    `${frame.functionName || '(anonymous)'}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`;
  const windowStart = profile.endTime - fromEndUs;
  const windowEnd = profile.endTime - toEndUs;
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    const node = byId.get(id);
    if (!node || at < windowStart || at > windowEnd || node.callFrame.functionName === '(idle)') return;
    total += dt;
    const frame = node.callFrame;
    selfByFunction.set(label(frame), (selfByFunction.get(label(frame)) ?? 0) + dt);
    const where = placeOf(frame.url, frame.functionName);
    selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || !/\/(src|generated)\//.test(f.url) || f.url.includes('node_modules')) continue;
      const l = label(f);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusiveOurs.set(l, (inclusiveOurs.get(l) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, v]) => `    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(`  server CPU time in the load: ${(total / 1e6).toFixed(2)} s. Self time by where the code lives:`);
  console.log(top(selfByPlace, 14));
  console.log(`  self time by function:\n${top(selfByFunction, 16)}`);
  console.log(`  inclusive time of our own functions (synchronous parts):\n${top(inclusiveOurs, 12)}`);
}

function shortUrl(url: string): string {
  const local = url.replace(/^file:\/\//, '');
  const nm = local.lastIndexOf('node_modules/');
  if (nm >= 0) return local.slice(nm + 'node_modules/'.length);
  return local.startsWith(ROOT) ? local.slice(ROOT.length) : local;
}

function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const local = shortUrl(url);
  if (url.includes('node_modules/')) {
    const parts = local.split('/');
    return `npm ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return local.split('/').slice(0, 2).join('/');
}

/** CPU seconds (user + system) used so far by the processes named (Linux `/proc`); 0 elsewhere. */
function cpuSecondsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone, or not Linux
    }
  }
  return ticks / 100; // USER_HZ
}

/** Every running `postgres` process (the embedded server's backends among them). */
function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  if (!(seconds > 0 && runs >= 1 && warmupSeconds >= 0 && connections >= 1) || logLevels.length === 0) {
    throw new Error('bad arguments; see the usage');
  }
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `Postgres ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (throw-away)'}; autocannon 8, ${connections} connections`,
  );
  const stripe = EMULATED_PLATFORMS.stripe;
  if (!stripe) throw new Error('no Stripe emulator');
  const emulator = await startEmulator(stripe.create({ records: 10, rateLimit: false }));
  const database = await createTestDatabase('engarde_bench');
  const dir = mkdtempSync(path.join(tmpdir(), 'engarde-bench-'));
  const overridesFile = path.join(dir, 'overrides.json');
  writeFileSync(overridesFile, JSON.stringify({ stripe: { baseUrl: `${emulator.origin}/v1` } }));
  const baseEnv = {
    DATABASE_URL: database.url,
    ENGARDE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ENGARDE_DATA_DIR: dir,
    ENGARDE_PLATFORM_OVERRIDES: overridesFile,
    // The per-tenant limit (600 a minute by default) would answer 429 to almost all of the load.
    ENGARDE_API_RATE_LIMIT: '1000000000',
    HOST: '127.0.0.1',
  };
  const { db, close: closeDb } = openDatabase(database.url, { max: 2 });
  let server: RunningServer | undefined;
  const results = new Map<string, Measured>();
  try {
    let apiKey: string | undefined;
    for (const level of logLevels) {
      server = await startServer({ ...baseEnv, LOG_LEVEL: level }, path.join(dir, `serve-${level}.log`));
      if (!apiKey) {
        ({ apiKey } = await createTenant(db, 'Bench'));
        for (const label of ['EU', 'US', 'APAC']) {
          const res = await fetch(`${server.origin}/integrations/stripe/connect`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ credentials: { apiKey: STRIPE_KEY }, connection_config: {}, label }),
          });
          if (res.status !== 201) throw new Error(`connect answered ${res.status}: ${await res.text()}`);
        }
      }
      for (const route of ROUTES) {
        const url = `${server.origin}${route.path}`;
        const headers: Record<string, string> = route.tenant ? { authorization: `Bearer ${apiKey}` } : {};
        const pid = server.child.pid;
        if (warmupSeconds > 0) await load(url, warmupSeconds, headers, pid);
        const measured: Measured[] = [];
        for (let run = 0; run < runs; run++) measured.push(await load(url, seconds, headers, pid));
        const m = median(measured, (x) => x.rps);
        results.set(`${level} ${route.name}`, m);
        const perRequest = (cpuSeconds: number) => `${((cpuSeconds / (m.rps * seconds)) * 1e6).toFixed(0)} µs`;
        console.log(
          `log ${level.padEnd(4)} ${route.name.padEnd(32)} runs ${measured.map((x) => x.rps.toFixed(0)).join(', ')} req/s; ` +
            `median ${m.rps.toFixed(0)} req/s (latency p50 ${m.p50} ms, p99 ${m.p99} ms); CPU a request: ` +
            `server ${perRequest(m.cpu.server)}, Postgres ${perRequest(m.cpu.postgres)}, autocannon ${perRequest(m.cpu.client)}`,
        );
      }
      await server.stop();
      server = undefined;
    }

    console.log(
      `\n${seconds} s a run after ${warmupSeconds} s of warm-up, median of ${runs} runs, ${connections} connections; requests/s`,
    );
    console.log(`| route | ${logLevels.map((l) => `log ${l}`).join(' | ')} |`);
    console.log(`| --- | ${logLevels.map(() => '---:').join(' | ')} |`);
    for (const route of ROUTES) {
      const cells = logLevels.map((l) => results.get(`${l} ${route.name}`)?.rps.toFixed(0) ?? '–');
      console.log(`| ${route.name} | ${cells.join(' | ')} |`);
    }
    for (const route of ROUTES.filter((r) => !r.path.startsWith('/healthz'))) {
      for (const level of logLevels) {
        const rps = results.get(`${level} ${route.name}`)?.rps ?? 0;
        console.log(
          `target ≥ ${TARGET_RPS} req/s, ${route.name}, log ${level}: ${rps >= TARGET_RPS ? 'met' : 'NOT met'} (${rps.toFixed(0)})`,
        );
      }
    }

    if (values.profile) {
      for (const route of ROUTES.filter((r) => !r.path.startsWith('/healthz'))) {
        const profileDir = mkdtempSync(path.join(dir, 'profile-'));
        server = await startServer({ ...baseEnv, LOG_LEVEL: 'warn' }, path.join(dir, 'serve-profile.log'), [
          '--cpu-prof',
          '--cpu-prof-dir',
          profileDir,
        ]);
        const headers: Record<string, string> = route.tenant ? { authorization: `Bearer ${apiKey}` } : {};
        const url = `${server.origin}${route.path}`;
        if (warmupSeconds > 0) await load(url, warmupSeconds, headers);
        const loadStart = performance.now();
        await load(url, seconds, headers);
        const loadEnd = performance.now();
        await server.stop();
        const exitedAt = performance.now();
        server = undefined;
        // The main thread's profile (tsx's loader thread writes a second, smaller one).
        const file = readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort(
            (a, b) => readFileSync(path.join(profileDir, b)).length - readFileSync(path.join(profileDir, a)).length,
          )[0];
        console.log(`\nCPU profile of engarde serve (log warn) under ${route.name}, ${seconds} s of load:`);
        if (file)
          summariseProfile(path.join(profileDir, file), (exitedAt - loadStart) * 1000, (exitedAt - loadEnd) * 1000);
        else console.log('  (no profile written: the server did not exit cleanly)');
      }
    }
  } finally {
    await server?.stop();
    await closeDb();
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
