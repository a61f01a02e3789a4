/**
 * `engarde serve` as a user runs it: no DATABASE_URL, so an embedded PostgreSQL in the data directory; it prints its
 * URL, answers /healthz and /readyz, keeps its data across a restart, and on SIGTERM stops cleanly with nothing
 * left running.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '../../bin/engarde.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'engarde-serve-'));
const env = {
  ...process.env,
  DATABASE_URL: '',
  ENGARDE_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  ENGARDE_ENCRYPTION_KEYS: '',
};
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `engarde serve --port 0` and resolves with its URL once it prints the listening line. */
function serve(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--no-worker'], { env });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /engarde serve: listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** Postgres processes running on this data directory. */
function postgresOn(dir: string): string {
  try {
    return execFileSync('pgrep', ['-af', path.join(dir, 'postgres')], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

describe('engarde serve without DATABASE_URL', () => {
  it('starts an embedded PostgreSQL, answers /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const { child, url, output } = await serve();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(output()).toContain('engarde tenant create');
    expect(output()).toContain('ENGARDE_ENCRYPTION_KEYS is not set');
    expect(await stop(child)).toBe(0);
    expect(postgresOn(dataDir)).toBe('');
  });

  it('keeps its data across a restart (a tenant created in between is still there)', async () => {
    const created = execFileSync(process.execPath, [cli, 'tenant', 'create', 'Kept'], { env, encoding: 'utf8' });
    const key = /api key (\S+)/.exec(created)?.[1];
    expect(key).toMatch(/^egk_/);
    const { child, url } = await serve();
    const res = await fetch(`${url}/integrations/connections`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(await stop(child)).toBe(0);
    expect(postgresOn(dataDir)).toBe('');
  });
});
