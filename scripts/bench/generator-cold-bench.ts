/**
 * Generator from an empty output folder (issue target: ≤ 4 s and ≤ 500 MB peak RSS for all 195 platforms).
 *
 * A scratch project root gets copies of `configs/` (the real catalogue and its OpenAPI descriptions), `src/` (the
 * runtime generated code imports, which itself imports a generated file), `tsconfig.json` and `package.json`, and a
 * `node_modules/` of links to this repository's packages (its own `.cache/`, so the OpenAPI-types cache starts
 * cold). Then, `--runs` times, interleaved so that noise from other processes falls on every scenario alike, each in a
 * fresh process (`node bin/engarde.js generate` with the scratch root as cwd, as a user runs it):
 *
 * - the output folder removed, caches under `node_modules/.cache/engarde/` warm (as a developer who deletes the
 *   output folder has them): OpenAPI types are read from the cache, and TypeScript's incremental state lets the
 *   type-check parse every file but check none that an earlier run checked with the same text;
 * - the same without the type-check cache (every generated file is checked);
 * - the same with no cache at all (a fresh clone);
 * - baseline: the same command with `--no-type-check` (warm cache): everything but the type-check, so the ratio is
 *   what the type-check guarantee costs on top of rendering, formatting and writing.
 *
 * Wall time from spawn to exit; peak RSS is the generator process's own `maxRSS` (its worker threads included; the
 * short biome child is not). Each run ends with `generate --check`, which must be clean.
 *
 * Usage: npx tsx scripts/bench/generator-cold-bench.ts [--runs 5]
 */
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runEngarde } from './engarde-cli-run.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const TARGET_MS = 4000;
const TARGET_MB = 500;

interface Sample {
  ms: number;
  rssMb: number;
  stages: Record<string, number>;
}

function runCli(dir: string, args: string[]): Sample {
  const child = runEngarde(dir, args);
  if (child.code !== 0) {
    throw new Error(`engarde ${args.join(' ')} failed (${child.code}):\n${child.stdout}\n${child.stderr}`);
  }
  const stages: Record<string, number> = {};
  for (const [, stage, value] of `${child.stdout}\n${child.stderr}`.matchAll(/([a-z][a-z ,-]*): (\d+) ms/g)) {
    stages[stage!.trim()] = Number(value);
  }
  return { ms: child.ms, rssMb: child.rssMb, stages };
}

async function layOut(dir: string): Promise<void> {
  for (const name of ['configs', 'src', 'tsconfig.json', 'package.json']) {
    await cp(join(repo, name), join(dir, name), { recursive: true });
  }
  await mkdir(join(dir, 'node_modules'));
  for (const entry of await readdir(join(repo, 'node_modules'))) {
    if (entry !== '.cache') await symlink(join(repo, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const worst = (xs: number[]) => sorted(xs).at(-1)!;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'engarde-cold-bench-'));
  try {
    await layOut(dir);
    const emptyOutput = () => rm(join(dir, 'generated'), { recursive: true, force: true });
    const scenarios: Array<{ label: string; before: () => Promise<void>; args: string[]; target: boolean }> = [
      {
        label: 'empty output folder, warm caches (OpenAPI types and type-check)',
        before: emptyOutput,
        args: ['generate'],
        target: true,
      },
      {
        label: 'empty output folder, warm OpenAPI-types cache, no type-check cache',
        before: async () => {
          await emptyOutput();
          await rm(join(dir, 'node_modules/.cache/engarde/type-check'), { recursive: true, force: true });
        },
        args: ['generate'],
        target: true,
      },
      {
        label: 'empty output folder, cold caches (OpenAPI types and type-check)',
        before: async () => {
          await emptyOutput();
          await rm(join(dir, 'node_modules/.cache'), { recursive: true, force: true });
        },
        args: ['generate'],
        target: true,
      },
      {
        label: 'baseline: the same with --no-type-check (warm cache)',
        before: emptyOutput,
        args: ['generate', '--no-type-check'],
        target: false,
      },
    ];
    // One unmeasured run fills the OpenAPI-types cache and checks that the output is what the repository expects.
    await emptyOutput();
    runCli(dir, ['generate']);
    runCli(dir, ['generate', '--check']);
    const samples = scenarios.map((): Sample[] => []);
    const loads: number[] = [];
    for (let round = 0; round < runs; round++) {
      for (const [i, scenario] of scenarios.entries()) {
        await scenario.before();
        loads.push(loadavg()[0]!);
        samples[i]!.push(runCli(dir, [...scenario.args, '--timings']));
        runCli(dir, ['generate', '--check']);
      }
    }
    const baseline = median(samples.at(-1)!.map((s) => s.ms));
    console.log(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
        `1-min load average during the runs ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    );
    console.log(`Median and worst of ${runs} runs, each a fresh process, scenarios interleaved\n`);
    console.log(
      '| scenario | wall time median (worst) | × baseline | peak RSS median (worst) | target ≤ 4 s, ≤ 500 MB |',
    );
    console.log('| --- | ---: | ---: | ---: | --- |');
    for (const [i, scenario] of scenarios.entries()) {
      const ms = samples[i]!.map((s) => s.ms);
      const mb = samples[i]!.map((s) => s.rssMb);
      const met = median(ms) <= TARGET_MS && median(mb) <= TARGET_MB;
      console.log(
        `| ${scenario.label} | ${(median(ms) / 1000).toFixed(2)} s (${(worst(ms) / 1000).toFixed(2)} s) | ` +
          `${(median(ms) / baseline).toFixed(2)}× | ${median(mb).toFixed(0)} MB (${worst(mb).toFixed(0)} MB) | ` +
          `${scenario.target ? (met ? 'met' : 'not met') : ''} |`,
      );
    }
    console.log('\nStages (median ms, as --timings prints them):');
    for (const [i, scenario] of scenarios.entries()) {
      const stages = Object.keys(samples[i]![0]!.stages);
      const row = stages.map((s) => `${s} ${median(samples[i]!.map((x) => x.stages[s] ?? 0))}`).join(', ');
      console.log(`- ${scenario.label}: ${row}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
