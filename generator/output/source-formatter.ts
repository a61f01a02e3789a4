import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { packageRoot } from '../package-root.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * How to run biome: its native binary directly when the platform package is installed (what its `bin/biome` wrapper
 * looks up, without that extra Node process and its `ldd` probe), else the wrapper through Node.
 */
function biomeCommand(): { file: string; args: string[] } {
  const { platform, arch, env } = process;
  const candidates = env.BIOME_BINARY
    ? [env.BIOME_BINARY]
    : [`@biomejs/cli-${platform}-${arch}`, `@biomejs/cli-${platform}-${arch}-musl`].map(
        (pkg) => `${pkg}/biome${platform === 'win32' ? '.exe' : ''}`,
      );
  for (const candidate of candidates) {
    try {
      return { file: require.resolve(candidate), args: [] };
    } catch {
      // not installed for this platform
    }
  }
  return { file: process.execPath, args: [require.resolve('@biomejs/biome/bin/biome')] };
}

async function runBiome(cwd: string, args: string[]): Promise<void> {
  const options = { cwd, maxBuffer: 64 * 1024 * 1024 };
  const biome = biomeCommand();
  try {
    await run(biome.file, [...biome.args, ...args], options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A binary that cannot run here (a musl build on glibc, no exec permission): the wrapper knows better.
    if (biome.file === process.execPath || (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOEXEC')) {
      throw error;
    }
    await run(process.execPath, [require.resolve('@biomejs/biome/bin/biome'), ...args], options);
  }
}

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
    const folders = new Set([...sources.keys()].map((path) => dirname(join(dir, path))));
    await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
    await Promise.all([...sources].map(([path, source]) => writeFile(join(dir, path), source)));
    try {
      await runBiome(dir, ['format', '--write', '--no-errors-on-unmatched', '--colors=off', '.']);
    } catch (error) {
      const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
      const file = /^(\S+\.ts):\d+:\d+/m.exec(output)?.[1];
      throw new InputError(
        `generated source${file ? ` ${file}` : ''} could not be formatted (a template or generator bug):\n${output.trim()}`,
        { cause: error },
      );
    }
    const texts = await Promise.all([...sources.keys()].map((path) => readFile(join(dir, path), 'utf8')));
    for (const [i, path] of [...sources.keys()].entries()) result.set(path, texts[i]!);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
