/**
 * Generator benchmark: full generation, `--check` with nothing changed, and `--only <id>`, each in a fresh process,
 * over a catalogue of N platforms (default 195) synthesized from the real configs: every real entry is copied under
 * new ids until there are N, and every copy of an OpenAPI-typed platform gets its own copy of the description (with a
 * distinct version, so no cache can share work between copies).
 *
 * Baseline, measured in the same run: formatting the same generated files with ts-morph's per-file formatter
 * (`formatText`), the approach a single in-process biome pass replaces.
 *
 * Usage: npx tsx scripts/bench/generator-bench.ts [--platforms 195] [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEngarde } from './engarde-cli-run.js';

const repo = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    platforms: { type: 'string', default: '195' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const target = Number(values.platforms);
const runs = Number(values.runs);

interface Entry {
  id: string;
  name: string;
  openapi?: { file: string; source: string; version: string };
  [key: string]: unknown;
}

async function synthesize(dir: string): Promise<{ ids: string[]; openapi: number }> {
  const config = JSON.parse(await readFile(join(repo, 'configs/platform_configs_extended.json'), 'utf8')) as {
    platforms: Entry[];
  };
  const real = config.platforms;
  const platforms: Entry[] = [];
  let openapi = 0;
  await mkdir(join(dir, 'configs/openapi'), { recursive: true });
  for (let i = 0; i < target; i++) {
    const base = real[i % real.length]!;
    const copy = Math.floor(i / real.length);
    const id = copy === 0 ? base.id : `${base.id}-${copy}`;
    const entry: Entry = { ...structuredClone(base), id, name: copy === 0 ? base.name : `${base.name} ${copy}` };
    if (base.openapi) {
      const spec = JSON.parse(await readFile(join(repo, base.openapi.file), 'utf8')) as { info: { version: string } };
      spec.info.version = `${spec.info.version}+copy${copy}`;
      const file = `configs/openapi/${id}.json`;
      await writeFile(join(dir, file), `${JSON.stringify(spec, null, 2)}\n`);
      entry.openapi = { ...base.openapi, file };
      openapi++;
    }
    platforms.push(entry);
  }
  await writeFile(join(dir, 'configs/platform_configs_extended.json'), `${JSON.stringify({ platforms }, null, 2)}\n`);
  return { ids: platforms.map((p) => p.id).sort(), openapi };
}

function runCli(dir: string, args: string[]): { ms: number; rssMb: number; code: number } {
  const run = runEngarde(dir, args);
  if (run.code !== 0 && !args.includes('--check')) {
    throw new Error(`engarde ${args.join(' ')} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return run;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function tsMorphBaseline(dir: string): Promise<number> {
  const { Project } = await import('ts-morph');
  const root = join(dir, 'generated/adapters');
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
  const project = new Project({ useInMemoryFileSystem: true });
  const sources = await Promise.all(files.map(async (f) => [f, await readFile(f, 'utf8')] as const));
  const started = performance.now();
  for (const [f, text] of sources) project.createSourceFile(f, text, { overwrite: true }).formatText({ indentSize: 2 });
  return performance.now() - started;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'engarde-bench-'));
  try {
    for (const name of ['src', 'node_modules', 'tsconfig.json']) await symlink(join(repo, name), join(dir, name));
    await writeFile(join(dir, 'package.json'), '{ "name": "bench", "type": "module" }\n');
    const { ids, openapi } = await synthesize(dir);
    if (values.keep) {
      // Only lay out the synthetic catalogue, for profiling by hand.
      console.log(dir);
      return;
    }
    const cache = join(repo, 'node_modules/.cache/engarde');
    const scenarios: Array<[string, () => void, string[]]> = [
      [
        'full, cold cache (--force)',
        () => spawnSync('rm', ['-rf', cache, join(dir, 'generated')]),
        ['generate', '--force'],
      ],
      [
        'full into an empty output folder, warm cache',
        () => spawnSync('rm', ['-rf', join(dir, 'generated')]),
        ['generate'],
      ],
      ['full, warm cache (--force)', () => {}, ['generate', '--force']],
      ['--check, nothing changed', () => {}, ['generate', '--check']],
      [`--only ${ids[0]} (--force)`, () => {}, ['generate', '--only', ids[0]!, '--force']],
    ];
    const rows: string[] = [];
    for (const [label, before, args] of scenarios) {
      const samples = [];
      for (let i = 0; i < runs; i++) {
        before();
        samples.push(runCli(dir, args));
      }
      const check = samples.find((s) => s.code !== 0);
      if (args.includes('--check') && check) throw new Error('--check found drift right after generating');
      rows.push(
        `| ${label} | ${(median(samples.map((s) => s.ms)) / 1000).toFixed(2)} s | ${median(samples.map((s) => s.rssMb)).toFixed(0)} MB |`,
      );
    }
    const baseline = [];
    for (let i = 0; i < Math.min(runs, 3); i++) baseline.push(await tsMorphBaseline(dir));
    console.log(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    );
    console.log(
      `Catalogue: ${ids.length} platforms (${openapi} typed from their own OpenAPI description); median of ${runs} runs, each a fresh process\n`,
    );
    console.log('| scenario | wall time | peak RSS |');
    console.log('| --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log(
      `\nBaseline (same run): ts-morph formatText over the same ${ids.length * 2} adapter/type files alone takes ` +
        `${(median(baseline) / 1000).toFixed(2)} s (median of ${baseline.length}).`,
    );
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

await main();
