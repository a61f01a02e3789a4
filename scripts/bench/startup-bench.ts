/**
 * `npm start` to a ready `/healthz` on an already-initialised embedded database (issue 8 "Speed": ≤ 5 s).
 *
 * In a temporary data directory, `engarde migrate` initialises the embedded Postgres once (initdb, the migrations,
 * the development key ring). Then, `--runs` times: `node bin/engarde.js serve --port 0` (what `npm start` runs,
 * without DATABASE_URL, so it starts the embedded server on that directory), timed from spawn to the first 200 from
 * `/healthz`; then SIGTERM, timed to the process's exit, and a check that no Postgres process of that directory is
 * left. Baselines in the same run: the same CLI doing nothing (`engarde --help`: Node, tsx and the CLI's imports),
 * and the embedded Postgres alone starting on that directory.
 *
 * Only 127.0.0.1 is used; the run stops by itself and removes its directory.
 *
 * Usage: npx tsx scripts/bench/startup-bench.ts [--runs 5]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const TARGET_MS = 5000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin/engarde.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The environment of `npm start` in a fresh checkout: no DATABASE_URL, data in `dataDir`. */
function serviceEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ENGARDE_DATA_DIR: dataDir, HOST: '127.0.0.1' };
  for (const name of [
    'DATABASE_URL',
    'PORT',
    'ENGARDE_ENCRYPTION_KEYS',
    'ENGARDE_PLATFORM_OVERRIDES',
    'NODE_OPTIONS',
  ]) {
    delete env[name];
  }
  return env;
}

function run(args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  closeSync(out);
  return child;
}

async function runToEnd(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  const started = performance.now();
  const child = run(args, env, logFile);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`engarde ${args.join(' ')} exited ${code}:\n${readFileSync(logFile, 'utf8')}`);
  return performance.now() - started;
}

/** Processes whose command line names `dir` (the embedded Postgres runs with `-D <dir>/postgres`). */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline.trim()}`);
    } catch {
      // gone
    }
  }
  return found;
}

interface ServeRun {
  readyMs: number;
  stopMs: number;
}

async function serveOnce(env: NodeJS.ProcessEnv, dataDir: string, logFile: string): Promise<ServeRun> {
  const started = performance.now();
  const child = run(['serve', '--port', '0'], env, logFile);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    let origin: string | undefined;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`engarde serve exited ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
      if (performance.now() - started > 60_000) throw new Error(`not ready in 60 s:\n${readFileSync(logFile, 'utf8')}`);
      origin ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
      if (origin) {
        const ok = await fetch(`${origin}/healthz`).then(
          (res) => res.status === 200,
          () => false,
        );
        if (ok) break;
      }
      await sleep(5);
    }
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const readyMs = performance.now() - started;
  const stopping = performance.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  const stopMs = performance.now() - stopping;
  if (code !== 0)
    throw new Error(`engarde serve ended with ${code ?? signal} on SIGTERM:\n${readFileSync(logFile, 'utf8')}`);
  const left = processesUsing(dataDir);
  if (left.length > 0 || existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))) {
    throw new Error(`after SIGTERM, Postgres is still running on ${dataDir}:\n${left.join('\n')}`);
  }
  return { readyMs, stopMs };
}

async function main(): Promise<void> {
  if (!(runs >= 1)) throw new Error('bad arguments; see the usage');
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'engarde-startup-'));
  const env = serviceEnv(dataDir);
  const log = path.join(tmpdir(), `${path.basename(dataDir)}.log`);
  try {
    const initMs = await runToEnd(['migrate'], env, log);
    console.log(`initialise once (engarde migrate: initdb, migrations, key ring): ${seconds(initMs)}`);

    const ready: number[] = [];
    const stop: number[] = [];
    const cli: number[] = [];
    const postgres: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const r = await serveOnce(env, dataDir, log);
      ready.push(r.readyMs);
      stop.push(r.stopMs);
      cli.push(await runToEnd(['--help'], env, log));
      const pgStarted = performance.now();
      const server = await startEmbeddedPostgres({ dataDir });
      postgres.push(performance.now() - pgStarted);
      await server.stop();
      console.log(
        `run ${i}: ready ${seconds(r.readyMs)}, SIGTERM to exit ${seconds(r.stopMs)} (no Postgres left); ` +
          `baselines: engarde --help ${seconds(cli.at(-1) as number)}, embedded Postgres start ${seconds(postgres.at(-1) as number)}`,
      );
    }
    const m = median(ready);
    console.log(`\nmedian of ${runs} runs, on an initialised embedded database:`);
    console.log('| step | time |\n| --- | ---: |');
    console.log(`| \`engarde serve\` spawn → /healthz 200 | ${seconds(m)} |`);
    console.log(`| SIGTERM → exit, Postgres stopped | ${seconds(median(stop))} |`);
    console.log(`| baseline: \`engarde --help\` (Node + tsx + CLI) | ${seconds(median(cli))} |`);
    console.log(`| baseline: embedded Postgres start alone | ${seconds(median(postgres))} |`);
    console.log(`target ≤ ${seconds(TARGET_MS)}: ${m <= TARGET_MS ? 'met' : 'NOT met'}`);
  } finally {
    const left = processesUsing(dataDir);
    if (left.length > 0) console.error(`left running (not killed here):\n${left.join('\n')}`);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(log, { force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
