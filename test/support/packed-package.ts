/**
 * The package as users get it: `dist/` built when missing or older than its sources, `npm pack`ed, and installed from
 * the tarball into a temporary project of its own, with nothing of this repository on its resolution path.
 * Installs come from npm's cache when they can (`--prefer-offline`); CI reaches only the package registries.
 *
 * @example
 * const tarball = await packPackage();
 * const project = await createProject('consumer');
 * await project.npm('install', tarball);
 * await project.run('node', ['main.mjs']);
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** What `npm run build:package` compiles, and the file it writes last-ish that stands for the whole build. */
const SOURCES = ['generator', 'generated', 'src/runtime', 'src/sandbox', 'templates', 'tsconfig.json'];
const BUILT = path.join(REPO, 'dist', 'generated', 'adapters', 'index.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 300_000,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

function newestUnder(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(file)) latest = Math.max(latest, newestUnder(path.join(file, entry)));
  return latest;
}

/** Builds `dist/` for the package when it is missing or older than anything it is compiled from. */
async function ensurePackageBuilt(): Promise<void> {
  const newest = Math.max(...SOURCES.map((s) => newestUnder(path.join(REPO, s))));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newest) return;
  const built = await run('npm', ['run', 'build:package'], { cwd: REPO });
  if (built.code !== 0) throw new Error(`npm run build:package failed:\n${built.stdout}\n${built.stderr}`);
}

/** Packs the package (without lifecycle scripts: the build above is current) and returns the tarball's path. */
export async function packPackage(): Promise<string> {
  await ensurePackageBuilt();
  const destination = await mkdtemp(path.join(tmpdir(), 'engarde-pack-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: REPO,
  });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  return path.join(destination, filename);
}

export interface Project {
  dir: string;
  /** `npm <args>` in the project, quietly and from the cache when possible; throws on failure. */
  npm(...args: string[]): Promise<RunResult>;
  /** Any command in the project (`npx`, `node`…); never throws on a non-zero exit. */
  run(command: string, args: readonly string[]): Promise<RunResult>;
  write(file: string, content: string): Promise<void>;
  read(file: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** An empty ESM project in a temporary folder, outside this repository. */
export async function createProject(name: string): Promise<Project> {
  const dir = await mkdtemp(path.join(tmpdir(), `engarde-${name}-`));
  const project: Project = {
    dir,
    async npm(...args) {
      const result = await run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
      if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
      return result;
    },
    run: (command, args) => run(command, args, { cwd: dir }),
    async write(file, content) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    },
    read: (file) => readFile(path.join(dir, file), 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  await project.write('package.json', `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`);
  return project;
}

/** The exact version this repository's lockfile installed, so a test project installs the same from the cache. */
export async function lockedVersion(pkg: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${pkg}@${manifest.version}`;
}
