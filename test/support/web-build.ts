/**
 * The built page for browser tests and benchmarks: `dist/web` (what `engarde serve` serves at `/`), rebuilt with
 * `npm run build:web` when it is missing or older than anything under `web/`. The server reads `dist/web` when it is
 * built, so call this before starting one.
 *
 * Several test files (vitest workers) may ask at once: one builds, under a lock directory in `.tmp/`, and the others
 * wait for it and then find the build fresh (a second build would empty `dist/web` under a server already serving it).
 *
 * @example
 * beforeAll(async () => { await ensureWebBuilt(); service = await startTestService(); });
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = path.join(ROOT, 'web');
/** The built page's entry file. */
export const BUILT_INDEX = path.join(ROOT, 'dist', 'web', 'index.html');
const LOCK = path.join(ROOT, '.tmp', 'web-build.lock');
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 180_000;

function newestUnder(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newestUnder(file) : statSync(file).mtimeMs);
  }
  return latest;
}

/** Whether `dist/web` is missing or older than its sources. */
export function webBuildIsStale(): boolean {
  return !existsSync(BUILT_INDEX) || statSync(BUILT_INDEX).mtimeMs < newestUnder(SOURCES);
}

async function takeLock(): Promise<void> {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await sleep(100);
    }
  }
}

/**
 * Builds the page unless `dist/web` is fresh.
 * @throws with the build's output when `npm run build:web` fails.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (!webBuildIsStale()) return;
  await takeLock();
  try {
    if (!webBuildIsStale()) return;
    try {
      await promisify(execFile)('npm', ['run', 'build:web'], { cwd: ROOT, maxBuffer: 16 * 2 ** 20 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm run build:web failed, so the page cannot be tested:\n${stdout}\n${stderr}`.trim());
    }
    if (!existsSync(BUILT_INDEX)) throw new Error(`npm run build:web did not write ${BUILT_INDEX}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
