import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AirtableAdapter } from 'engarde/adapters/airtable';
import { StripeAdapter } from 'engarde/adapters/stripe';
import type { PlatformMeta } from 'engarde/runtime';
import { describe, expect, it } from 'vitest';
import {
  type ConfigDrivenControl,
  manualClock,
  type RunningEmulator,
  runSandbox,
  SandboxUsageError,
} from '../../src/sandbox/index.js';
import { call, type RawResponse } from './http-helpers.js';

const bin = fileURLToPath(new URL('../../bin/engarde.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The config, as far as these tests need it: a platform with a hand-written emulator and one without. */
const CONFIG: Record<string, PlatformMeta> = { airtable: AirtableAdapter.meta, stripe: StripeAdapter.meta };
const platformConfig = async (id: string) => CONFIG[id];

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
      /no emulator for "nope"; emulators exist for: google-ads, hubspot, meta-ads, salesforce, shopify, stripe \(hand-written\) and every platform in the config/,
    ],
    [{ id: 'nope', configDriven: true }, /--config-driven needs the id of a platform in the config; "nope" is not one/],
    [{ id: undefined }, /needs <id>/],
    [{ id: 'stripe', port: '70000' }, /--port must be an integer from 0 to 65535/],
    [{ id: 'stripe', records: '-1' }, /--records must be an integer/],
    [{ id: 'airtable', records: '-1' }, /--records must be an integer/],
    [{ id: 'stripe', faults: 'reset=2' }, /--faults: fault rate reset=2 must be a number from 0 to 1/],
    [{ id: 'airtable', faults: 'nope=1' }, /--faults: unknown fault "nope"/],
    [{ id: 'stripe', faults: 'tokenExpired=0.1' }, /stripe has no expiring tokens/],
    [{ id: 'airtable', faults: 'tokenExpired=0.1' }, /airtable has no expiring tokens/],
  ])('refuses %o with exit code 2 and a message', async (args, message) => {
    const run = runSandbox({ ...args, platformConfig, out: () => {}, log: () => {} });
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

  it('exits 2 from the command line for an id that is neither emulated nor in the config, naming it', async () => {
    const child = spawn(process.execPath, [bin, 'sandbox', 'no-such-platform'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('no emulator for "no-such-platform"');
    expect(stderr).toContain('emulators exist for: google-ads, hubspot, meta-ads, salesforce, shopify, stripe');
  });
});

/** An authenticated request to a config-driven sandbox's test-connection path, as its control says to make one. */
function probeResponse(emulator: RunningEmulator): Promise<RawResponse> {
  const control = emulator.control as ConfigDrivenControl;
  const path = `${control.basePath}${control.meta.testConnection.path}`;
  return call(emulator.origin, path, { headers: { authorization: `Bearer ${control.credentials.accessToken}` } });
}

async function probe(emulator: RunningEmulator): Promise<number> {
  return (await probeResponse(emulator)).status;
}

/**
 * Statuses of `n` probes against `engarde sandbox <id>` run with `args`, on a clock that stands still, so the
 * platform's rate limit (5 requests a second for Airtable) counts every probe.
 */
async function statuses(args: Omit<Parameters<typeof runSandbox>[0], 'platformConfig'>, n = 12): Promise<number[]> {
  const seen: number[] = [];
  await withSandbox({ now: manualClock().now, ...args, platformConfig, root }, async (emulator) => {
    for (let i = 0; i < n; i++) seen.push(await probe(emulator));
  });
  return seen;
}

/** `engarde sandbox <args>` as a child process, once it listens: its banner, its whoami probe, and a stop. */
async function cliSandbox(args: string[]) {
  const child = spawn(process.execPath, [bin, 'sandbox', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const credentials = JSON.parse(/credentials\s+(\{.*\})/.exec(stdout)?.[1] ?? '{}') as { accessToken: string };
  return {
    stdout,
    whoami: () =>
      call(baseUrl, `${new URL(baseUrl).pathname}/meta/whoami`, {
        headers: { authorization: `Bearer ${credentials.accessToken}` },
      }),
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('engarde sandbox <id> for a platform with no hand-written emulator (config-driven)', () => {
  it('serves the config-driven emulator without --config-driven, and it answers', async () => {
    const { code, lines } = await withSandbox(
      { id: 'airtable', records: '3', platformConfig, root },
      async (emulator) => {
        expect(await probe(emulator)).toBe(200);
      },
    );
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^engarde sandbox: airtable config-driven emulator listening on http:\/\/127\.0\.0\.1:\d+$/,
    );
    expect(
      lines.some((l) =>
        /records\s+3 per entity .*; rate limits as configured, 5 requests per 1 s \(fixed-window\); faults none$/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it("enforces the platform's configured rate limit: past the budget 429 with Retry-After, until the clock moves on", async () => {
    const clock = manualClock();
    const seen: Array<[number, string | undefined]> = [];
    await withSandbox({ id: 'airtable', now: clock.now, platformConfig, root }, async (emulator) => {
      for (let i = 0; i < 6; i++) {
        const response = await probeResponse(emulator);
        seen.push([response.status, response.headers['retry-after']]);
      }
      clock.advance(1000);
      seen.push([await probe(emulator), undefined]);
    });
    expect(seen).toEqual([...Array(5).fill([200, undefined]), [429, '1'], [200, undefined]]);
  });

  it('--no-rate-limit serves past the budget, and the banner says the limit is off', async () => {
    const { lines } = await withSandbox(
      { id: 'airtable', noRateLimit: true, now: manualClock().now, platformConfig, root },
      async (emulator) => {
        for (let i = 0; i < 12; i++) expect(await probe(emulator)).toBe(200);
      },
    );
    expect(lines.some((l) => l.includes('; rate limits off; faults none'))).toBe(true);
  });

  it.each([
    ['serverError=1 answers every request with a 5xx', 'serverError=1', (s: number) => s >= 500 && s <= 599],
    ['rateLimited=1 answers every request with the platform’s 429', 'rateLimited=1', (s: number) => s === 429],
  ])('--faults %s', async (_, faults, expected) => {
    const seen = await statuses({ id: 'airtable', faults, seed: '3' });
    expect(seen.every(expected)).toBe(true);
  });

  it('--faults draws the same faults for the same --seed, and others for another seed', async () => {
    const args = { id: 'airtable', faults: 'serverError=0.5', noRateLimit: true };
    const first = await statuses({ ...args, seed: '9' });
    expect(first).toContain(200);
    expect(first.some((s) => s >= 500)).toBe(true);
    expect(await statuses({ ...args, seed: '9' })).toEqual(first);
    expect(await statuses({ ...args, seed: '10' })).not.toEqual(first);
  });

  it('--config-driven serves the config-driven emulator where a hand-written one exists', async () => {
    const { lines } = await withSandbox({ id: 'stripe', configDriven: true, platformConfig, root }, async () => {});
    expect(lines[0]).toMatch(/^engarde sandbox: stripe config-driven emulator listening on /);
  });

  it('runs from the command line with --faults: serverError=1 answers 5xx', async () => {
    const sandbox = await cliSandbox(['airtable', '--faults', 'serverError=1', '--seed', '4']);
    expect(sandbox.stdout).toContain('faults serverError=1 (seed 4)');
    expect((await sandbox.whoami()).status).toBeGreaterThanOrEqual(500);
    expect(await sandbox.stop()).toBe(0);
  });

  it('runs from the command line with --no-rate-limit: past the budget of 5 a second, every request is served', async () => {
    const sandbox = await cliSandbox(['airtable', '--no-rate-limit']);
    expect(sandbox.stdout).toContain('rate limits off');
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((await sandbox.whoami()).status);
    expect(seen).toEqual(Array(12).fill(200));
    expect(await sandbox.stop()).toBe(0);
  });
});
