import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { packageRoot } from '../package-root.js';

const run = promisify(execFile);

/** The formatting part of the package's biome.json: file discovery, linting and VCS settings do not apply here. */
async function formatterConfig(): Promise<string> {
  const config = JSON.parse(await readFile(join(packageRoot(), 'biome.json'), 'utf8')) as Record<string, unknown>;
  const { formatter, javascript } = config;
  return JSON.stringify({ formatter, javascript: { formatter: (javascript as { formatter?: unknown })?.formatter } });
}

/**
 * Formats generated TypeScript with biome's native CLI in one pass: the sources are laid out in a scratch folder
 * under their own relative paths, formatted together (biome formats files in parallel, a few hundred in a fraction of
 * a second, where its WebAssembly build or ts-morph take milliseconds a file), and read back.
 *
 * @example
 * const formatted = await formatSources(new Map([['generated/adapters/stripe/index.ts', source]]));
 */
export async function formatSources(sources: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (sources.size === 0) return result;
  const dir = await mkdtemp(join(tmpdir(), 'engarde-format-'));
  try {
    await writeFile(join(dir, 'biome.json'), await formatterConfig());
    for (const [path, source] of sources) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), source);
    }
    const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
    try {
      await run(process.execPath, [biome, 'format', '--write', '--no-errors-on-unmatched', '--colors=off', '.'], {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
      const file = /^(\S+\.ts):\d+:\d+/m.exec(output)?.[1];
      throw new InputError(
        `generated source${file ? ` ${file}` : ''} could not be formatted (a template or generator bug):\n${output.trim()}`,
        { cause: error },
      );
    }
    for (const path of sources.keys()) result.set(path, await readFile(join(dir, path), 'utf8'));
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
