import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type RunningEmulator, runSandbox, SandboxUsageError } from '../../src/sandbox/index.js';
import { call } from './http-helpers.js';

const bin = fileURLToPath(new URL('../../bin/engarde.js', import.meta.url));

/** Runs the sandbox in-process until `use` is done with it; returns the printed lines and the exit code. */
async function withSandbox(
  args: Parameters<typeof runSandbox>[0],
  use: (emulator: RunningEmulator, lines: string[]) => Promise<void>,
) {
  const lines: string[] = [];
  const logs: string[] = [];
  const stop = new AbortController();
  let used: Promise<void> = Promise.resolve();
  const code = await runSandbox({
    ...args,
    out: (line) => lines.push(line),
    log: (line) => logs.push(line),
    signal: stop.signal,
    onListening: (emulator) => {
      used = use(emulator, lines).finally(() => stop.abort());
    },
  });
  await used;
  return { code, lines, logs };
}

describe('engarde sandbox', () => {
  it.each([
    [
      { id: 'nope' },
      /no emulator for "nope"; emulators exist for: google-ads, hubspot, meta-ads, salesforce, shopify, stripe/,
    ],
    [{ id: undefined }, /needs <id>/],
    [{ id: 'stripe', port: '70000' }, /--port must be an integer from 0 to 65535/],
    [{ id: 'stripe', records: '-1' }, /--records must be an integer/],
    [{ id: 'stripe', faults: 'reset=2' }, /--faults: fault rate reset=2 must be a number from 0 to 1/],
    [{ id: 'stripe', faults: 'tokenExpired=0.1' }, /stripe has no expiring tokens/],
  ])('refuses %o with exit code 2 and a message', async (args, message) => {
    const run = runSandbox({ ...args, out: () => {}, log: () => {} });
    await expect(run).rejects.toBeInstanceOf(SandboxUsageError);
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
  });

  it('prints a base URL and credentials that work, and stops with exit code 0', async () => {
    const { code, lines, logs } = await withSandbox(
      { id: 'shopify', records: '3', apiVersion: '2026-10' },
      async (_, out) => {
        const baseUrl =
          out
            .find((l) => l.includes('base URL'))
            ?.split(/\s+/)
            .at(-1) ?? '';
        const credentials = JSON.parse(
          out.find((l) => l.includes('credentials'))?.replace(/^\s*credentials\s+/, '') ?? '{}',
        );
        expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\/api\/2026-10$/);
        const response = await call(baseUrl, `${new URL(baseUrl).pathname}/customers.json`, {
          headers: { 'x-shopify-access-token': credentials.accessToken },
        });
        expect(response.status).toBe(200);
        expect((response.body as { customers: unknown[] }).customers).toHaveLength(3);
      },
    );
    expect(code).toBe(0);
    expect(lines.some((l) => l.includes('oauth client') && l.includes('/admin/oauth/access_token'))).toBe(true);
    expect(lines.at(-1)).toBe('engarde sandbox: stopped after 1 request(s)');
    expect(logs).toEqual([expect.stringMatching(/^GET \/admin\/api\/2026-10\/customers\.json → 200 \(\d+ ms\)$/)]);
  });

  it('injects the --faults spec, the same way for the same --seed', async () => {
    const statuses = async () => {
      const seen: number[] = [];
      await withSandbox({ id: 'stripe', faults: 'serverError=0.5', seed: '9' }, async (emulator) => {
        for (let i = 0; i < 12; i++) {
          seen.push(
            (await call(emulator.origin, '/v1/balance', { headers: { authorization: 'Bearer sk_test_emulator' } }))
              .status,
          );
        }
      });
      return seen;
    };
    const first = await statuses();
    expect(first).toContain(200);
    expect(first.some((s) => s >= 500)).toBe(true);
    expect(await statuses()).toEqual(first);
  });

  it('runs from the command line in the foreground and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'sandbox', 'stripe', '--records', '2', '--no-rate-limit'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Stop with Ctrl-C.')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await ready;
    const baseUrl = /base URL\s+(\S+)/.exec(stdout)?.[1] ?? '';
    const response = await call(baseUrl, '/v1/customers', { headers: { authorization: 'Bearer sk_test_emulator' } });
    expect((response.body as { data: unknown[] }).data).toHaveLength(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('engarde sandbox: stopped after 1 request(s)');
  });

  it('exits 2 from the command line for an id without an emulator', async () => {
    const child = spawn(process.execPath, [bin, 'sandbox', 'zendesk'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('emulators exist for: google-ads, hubspot, meta-ads, salesforce, shopify, stripe');
  });
});
