/**
 * One `engarde` command in a fresh process, timed, with its peak RSS reported by a preloaded exit hook: what the
 * generator benchmarks measure.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

const RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nBENCH_RSS_KB="+process.resourceUsage().maxRSS+"\\n"))';

export interface CliRun {
  ms: number;
  rssMb: number;
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * @example
 * const { ms, rssMb, code } = runEngarde(dir, ['generate', '--check']);
 */
export function runEngarde(dir: string, args: readonly string[]): CliRun {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', RSS_HOOK, join(repo, 'bin/engarde.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const ms = performance.now() - started;
  const rss = /BENCH_RSS_KB=(\d+)/.exec(child.stderr)?.[1];
  return { ms, rssMb: Number(rss) / 1024, code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
}
