import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareStrings } from './compare.js';
import { configJsonSchema } from './config/json-schema.js';
import { loadConfig } from './config/load-config.js';
import { createContext, type GenerateOptions, type GeneratorContext } from './context.js';
import { loadTemplates } from './emit/template-renderer.js';
import { ConfigError } from './errors.js';
import { loadOpenApiSpecs, type OpenApiDocument } from './openapi/openapi-specs.js';
import { generatorFingerprint, sha256 } from './output/fingerprint.js';
import type { Manifest, PlannedFile } from './output/output-plan.js';
import { planFiles } from './output/plan-files.js';
import { formatSources } from './output/source-formatter.js';
import { typeCheckGenerated } from './output/type-check.js';
import { packageRoot } from './package-root.js';

export type { GenerateOptions } from './context.js';
export * from './errors.js';

/** One file that differs from what the generator would write. */
export interface Drift {
  path: string;
  status: 'changed' | 'missing' | 'extra';
  /** Unified diff from disk to expected (empty for extra files). */
  diff: string;
}

export interface GenerateResult {
  platforms: number;
  /** Files written (or, with `check`, that would be). */
  written: string[];
  /** Orphans deleted (or, with `check`, that would be). */
  deleted: string[];
  unchanged: number;
  /** With `check`: every stale, missing or extra file. */
  drift: Drift[];
  /** Milliseconds spent in each stage, for `--timings` and the benchmark. */
  timings: Record<string, number>;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function listOutputFiles(ctx: GeneratorContext): Promise<string[]> {
  const dir = join(ctx.root, ctx.outDir);
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map(
      (e) =>
        `${ctx.outDir}/${join(e.parentPath, e.name)
          .slice(dir.length + 1)
          .split('\\')
          .join('/')}`,
    )
    .sort(compareStrings);
}

/** Everything a run reads before producing anything: validated config, templates, specs and the file plan. */
async function readInputs(ctx: GeneratorContext) {
  const pkgDir = packageRoot();
  ctx.progress('loading config');
  const loaded = await loadConfig(ctx.root, ctx.configFile, { allowExtends: ctx.mode === 'external' });
  if (ctx.only) {
    const known = new Set(loaded.platforms.map((p) => p.id));
    const unknown = [...ctx.only].filter((id) => !known.has(id)).sort(compareStrings);
    if (unknown.length > 0) {
      throw new ConfigError(
        `--only: no platform ${unknown.map((u) => `"${u}"`).join(', ')} in ${ctx.configFile} (see \`engarde list\`)`,
      );
    }
  }
  const [templates, fingerprint, specs] = await Promise.all([
    loadTemplates(join(pkgDir, 'templates')),
    generatorFingerprint(pkgDir),
    loadOpenApiSpecs(ctx.root, loaded),
  ]);
  const plan = planFiles({ ctx, loaded, templates, specs, fingerprint, schema: configJsonSchema });
  const inputs: Record<string, string> = { [ctx.configFile]: loaded.hash, templates: sha256(templates.sources) };
  for (const spec of [...specs.values()].sort((a, b) => compareStrings(a.file, b.file))) inputs[spec.file] = spec.hash;
  return { platforms: loaded.platforms.length, plan, fingerprint, inputs };
}

/** What is on disk now: each planned file, and the manifest's record of what the last run wrote. */
async function readOutput(ctx: GeneratorContext, plan: readonly PlannedFile[], fingerprint: string) {
  const disk = new Map<string, string | undefined>();
  await Promise.all(plan.map(async (f) => disk.set(f.path, await readIfExists(join(ctx.root, f.path)))));
  const previous = disk.get(ctx.manifestFile);
  const manifest = previous ? (safeJson(previous) as Partial<Manifest> | undefined) : undefined;
  // A manifest written by another generator version vouches for nothing.
  const recorded = manifest?.generator === fingerprint ? (manifest.files ?? {}) : {};
  return { disk, recorded };
}

/**
 * Which files to produce again: those the manifest cannot vouch for (their inputs or bytes changed), except that a
 * run with `--only` keeps other platforms' files as they are.
 */
function selectStale(
  ctx: GeneratorContext,
  plan: readonly PlannedFile[],
  { disk, recorded }: Awaited<ReturnType<typeof readOutput>>,
) {
  const hashes = new Map<string, string>();
  const stale: PlannedFile[] = [];
  for (const file of plan) {
    if (file.path === ctx.manifestFile) continue;
    const current = disk.get(file.path);
    const record = file.key !== undefined ? recorded[file.path] : undefined;
    const fresh =
      !ctx.force &&
      current !== undefined &&
      record !== undefined &&
      record.key === file.key &&
      record.sha256 === sha256(current);
    const outsideOnly = !ctx.check && ctx.only && file.platformId !== null && !ctx.only.has(file.platformId);
    if (current !== undefined && (fresh || outsideOnly)) hashes.set(file.path, sha256(current));
    else stale.push(file);
  }
  return { stale, hashes };
}

function manifestFor(
  plan: readonly PlannedFile[],
  hashes: ReadonlyMap<string, string>,
  fingerprint: string,
  inputs: Record<string, string>,
): string {
  const files: Manifest['files'] = {};
  for (const file of plan) {
    if (file.key === undefined) continue;
    files[file.path] = { key: file.key, sha256: hashes.get(file.path) ?? '' };
  }
  const manifest: Manifest = { generatedBy: 'engarde generate', generator: fingerprint, inputs, files };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Renders the stale files (concurrently; results are keyed by path, so order never depends on timing). */
async function render(files: readonly PlannedFile[]): Promise<Map<string, string>> {
  const raw = new Map<string, string>();
  await Promise.all(files.map(async (file) => raw.set(file.path, await file.produce())));
  return raw;
}

/** Formats the rendered TypeScript that asks for it, in one biome pass. */
async function format(files: readonly PlannedFile[], raw: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const formatted = await formatSources(new Map(files.filter((f) => f.format).map((f) => [f.path, raw.get(f.path)!])));
  return new Map(files.map((f) => [f.path, formatted.get(f.path) ?? raw.get(f.path)!]));
}

/** Every stale, missing or extra file, with a unified diff from disk to what the generator writes. */
async function driftOf(
  changed: readonly string[],
  orphans: readonly string[],
  disk: ReadonlyMap<string, string | undefined>,
  produced: ReadonlyMap<string, string>,
): Promise<Drift[]> {
  const { createTwoFilesPatch } = await import('diff');
  return [
    ...changed.map((path): Drift => {
      const before = disk.get(path);
      return {
        path,
        status: before === undefined ? 'missing' : 'changed',
        diff: createTwoFilesPatch(
          `a/${path}`,
          `b/${path}`,
          before ?? '',
          produced.get(path) as string,
          undefined,
          undefined,
          {
            context: 3,
          },
        ),
      };
    }),
    ...orphans.map((path): Drift => ({ path, status: 'extra', diff: '' })),
  ].sort((a, b) => compareStrings(a.path, b.path));
}

/**
 * Type-checks what this run changes, against the rest of the tree as it is on disk. Unchanged files were checked
 * when they were written (the registry names only types that derive from platform ids, so it changes whenever what
 * it imports is renamed), and CI's tsc covers the whole tree.
 */
async function typeCheck(
  ctx: GeneratorContext,
  plan: readonly PlannedFile[],
  changed: readonly string[],
  produced: ReadonlyMap<string, string>,
): Promise<void> {
  ctx.progress('type-checking generated code');
  const changedSet = new Set(changed);
  await typeCheckGenerated(
    ctx.root,
    plan
      .filter((f) => f.typeScript && changedSet.has(f.path))
      .map((f) => ({ path: f.path, platformId: f.platformId, content: produced.get(f.path) as string })),
  );
}

/** Writes the changed files, deletes orphans and the folders they leave empty. */
async function write(
  ctx: GeneratorContext,
  changed: readonly string[],
  orphans: readonly string[],
  produced: ReadonlyMap<string, string>,
): Promise<void> {
  const dirs = [...new Set(changed.map((path) => dirname(join(ctx.root, path))))].sort(compareStrings);
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  await Promise.all(changed.map((path) => writeFile(join(ctx.root, path), produced.get(path) as string)));
  await Promise.all(orphans.map((path) => rm(join(ctx.root, path))));
  await removeEmptyDirs(join(ctx.root, ctx.outDir));
}

/** Milliseconds per named stage, for `--timings` and the benchmark. */
function stageClock() {
  const timings: Record<string, number> = {};
  return {
    timings,
    async time<T>(stage: string, run: () => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        return await run();
      } finally {
        timings[stage] = Math.round(performance.now() - started);
      }
    },
  };
}

/**
 * Runs the generator: writes the adapters (or, with `check`, compares them with disk). The stages, in order: read
 * inputs and plan the files; read what is on disk; select the files the manifest cannot vouch for; render and
 * format them; compare with disk; then either report drift (`check`) or type-check and write.
 *
 * @example
 * const result = await generate({ root: process.cwd(), check: true });
 * if (result.drift.length > 0) process.exitCode = 1;
 */
export async function generate(options: GenerateOptions = {}): Promise<GenerateResult> {
  const ctx = createContext(options);
  const clock = stageClock();
  const { platforms, plan, fingerprint, inputs } = await clock.time('load, validate and plan', () => readInputs(ctx));
  const output = await readOutput(ctx, plan, fingerprint);
  const { stale, hashes } = selectStale(ctx, plan, output);
  ctx.progress(`producing ${stale.length} of ${plan.length} files`);
  const raw = await clock.time('render', () => render(stale));
  const produced = await clock.time('format', () => format(stale, raw));
  for (const [path, content] of produced) hashes.set(path, sha256(content));
  produced.set(ctx.manifestFile, manifestFor(plan, hashes, fingerprint, inputs));

  const changed = [...produced]
    .filter(([path, content]) => output.disk.get(path) !== content)
    .map(([path]) => path)
    .sort(compareStrings);
  const planned = new Set(plan.map((f) => f.path));
  const orphans = (await listOutputFiles(ctx)).filter((p) => !planned.has(p));
  const result = { platforms, written: changed, deleted: orphans, unchanged: plan.length - changed.length };

  if (ctx.check) {
    const drift = await clock.time('compare', () => driftOf(changed, orphans, output.disk, produced));
    return { ...result, drift, timings: clock.timings };
  }
  if (ctx.typeCheck && changed.length > 0) {
    await clock.time('type-check', () => typeCheck(ctx, plan, changed, produced));
  }
  await clock.time('write', () => write(ctx, changed, orphans, produced));
  return { ...result, drift: [], timings: clock.timings };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function removeEmptyDirs(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = join(dir, entry.name);
    await removeEmptyDirs(sub);
    if ((await readdir(sub)).length === 0) await rm(sub, { recursive: true });
  }
}

export { listPlatforms } from './list-platforms.js';
export type { OpenApiDocument };
