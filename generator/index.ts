import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { PlatformConfig } from '../src/runtime/platform-schema.js';
import { compareStrings } from './compare.js';
import { configJsonSchema } from './config/json-schema.js';
import { loadConfig } from './config/load-config.js';
import { createContext, type GenerateOptions, type GeneratorContext } from './context.js';
import { loadTemplates } from './emit/template-renderer.js';
import { ConfigError } from './errors.js';
import { loadOpenApiSpecs, type OpenApiDocument } from './openapi/openapi-specs.js';
import { generatorFingerprint, sha256 } from './output/fingerprint.js';
import { MANIFEST_FILE, type Manifest, type PlannedFile } from './output/output-plan.js';
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

/** Stages before writing: load, validate, model, plan. Pure apart from reading inputs. */
async function prepare(ctx: GeneratorContext) {
  const pkgDir = packageRoot();
  ctx.progress('loading config');
  const loaded = await loadConfig(ctx.root, ctx.configFile);
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
  return { loaded, plan, fingerprint, specs, templates };
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

/**
 * Runs the generator: writes `generated/adapters/` (or, with `check`, compares it with disk).
 *
 * @example
 * const result = await generate({ root: process.cwd(), check: true });
 * if (result.drift.length > 0) process.exitCode = 1;
 */
export async function generate(options: GenerateOptions = {}): Promise<GenerateResult> {
  const ctx = createContext(options);
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = Math.round(now - mark);
    mark = now;
  };
  const { loaded, plan, fingerprint, specs, templates } = await prepare(ctx);
  lap('load, validate and plan');
  const previous = await readIfExists(join(ctx.root, MANIFEST_FILE));
  const oldManifest = previous ? (safeJson(previous) as Partial<Manifest> | undefined) : undefined;
  const trusted = oldManifest?.generator === fingerprint ? (oldManifest.files ?? {}) : {};

  const disk = new Map<string, string | undefined>();
  await Promise.all(plan.map(async (f) => disk.set(f.path, await readIfExists(join(ctx.root, f.path)))));

  // Decide per file: up to date by the manifest, or produce it again.
  const produced = new Map<string, string>();
  const hashes = new Map<string, string>();
  const selected = (f: PlannedFile) => !ctx.only || f.platformId === null || ctx.only.has(f.platformId);
  const toProduce: PlannedFile[] = [];
  for (const file of plan) {
    if (file.path === MANIFEST_FILE) continue;
    const current = disk.get(file.path);
    const recorded = file.key !== undefined ? trusted[file.path] : undefined;
    const fresh =
      !ctx.force &&
      current !== undefined &&
      recorded !== undefined &&
      recorded.key === file.key &&
      recorded.sha256 === sha256(current);
    if (fresh || (!ctx.check && !selected(file) && current !== undefined)) {
      hashes.set(file.path, sha256(current as string));
    } else {
      toProduce.push(file);
    }
  }
  ctx.progress(`producing ${toProduce.length} of ${plan.length} files`);
  // Produce in plan order; concurrency never decides order because results are keyed by path.
  const raw = new Map<string, string>();
  await Promise.all(toProduce.map(async (file) => raw.set(file.path, await file.produce())));
  lap('render');
  const formatted = await formatSources(
    new Map(toProduce.filter((f) => f.format).map((f) => [f.path, raw.get(f.path)!])),
  );
  lap('format');
  for (const file of toProduce) {
    const content = formatted.get(file.path) ?? raw.get(file.path)!;
    produced.set(file.path, content);
    hashes.set(file.path, sha256(content));
  }
  const inputs: Record<string, string> = { [ctx.configFile]: loaded.hash, templates: sha256(templates.sources) };
  for (const spec of [...specs.values()].sort((a, b) => compareStrings(a.file, b.file))) inputs[spec.file] = spec.hash;
  const manifest = manifestFor(plan, hashes, fingerprint, inputs);
  produced.set(MANIFEST_FILE, manifest);
  disk.set(MANIFEST_FILE, previous);

  const changed = [...produced].filter(([path, content]) => disk.get(path) !== content).map(([path]) => path);
  changed.sort(compareStrings);
  const planned = new Set(plan.map((f) => f.path));
  const orphans = (await listOutputFiles(ctx)).filter((p) => !planned.has(p));
  const unchanged = plan.length - changed.length;

  if (ctx.check) {
    const drift: Drift[] = [
      ...changed.map((path): Drift => {
        const before = disk.get(path);
        const after = produced.get(path) as string;
        return {
          path,
          status: before === undefined ? 'missing' : 'changed',
          diff: createTwoFilesPatch(`a/${path}`, `b/${path}`, before ?? '', after, undefined, undefined, {
            context: 3,
          }),
        };
      }),
      ...orphans.map((path): Drift => ({ path, status: 'extra', diff: '' })),
    ].sort((a, b) => compareStrings(a.path, b.path));
    lap('compare');
    return { platforms: loaded.platforms.length, written: changed, deleted: orphans, unchanged, drift, timings };
  }

  if (ctx.typeCheck && changed.length > 0) {
    // Check what this run changes, against the rest of the tree as it is on disk. Unchanged files were checked
    // when they were written (the registry names only types that derive from platform ids, so it changes whenever
    // what it imports is renamed), and CI's tsc covers the whole tree.
    ctx.progress('type-checking generated code');
    const changedSet = new Set(changed);
    await typeCheckGenerated(
      ctx.root,
      plan
        .filter((f) => f.typeScript && changedSet.has(f.path))
        .map((f) => ({
          path: f.path,
          platformId: f.platformId,
          content: produced.get(f.path) ?? (disk.get(f.path) as string),
        })),
    );
    lap('type-check');
  }
  for (const path of changed) {
    const absolute = join(ctx.root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, produced.get(path) as string);
  }
  for (const path of orphans) await rm(join(ctx.root, path));
  await removeEmptyDirs(join(ctx.root, ctx.outDir));
  lap('write');
  return { platforms: loaded.platforms.length, written: changed, deleted: orphans, unchanged, drift: [], timings };
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

/** Validated platforms of a config file, for `engarde list` and tools. */
export async function listPlatforms(
  options: Pick<GenerateOptions, 'root' | 'configFile'> = {},
): Promise<PlatformConfig[]> {
  const ctx = createContext(options);
  return (await loadConfig(ctx.root, ctx.configFile)).platforms;
}

export type { OpenApiDocument };
