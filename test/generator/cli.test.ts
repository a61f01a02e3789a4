import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmePlatform, CONFIG, createFixtureRoot, type FixtureRoot, repoRoot } from './fixtures/fixture-root.js';

const run = promisify(execFile);
const BIN = join(repoRoot, 'bin/engarde.js');

/** Runs the real `engarde` binary in `cwd`; resolves with its exit code and output instead of throwing. */
async function engarde(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, CI: 'true' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('engarde CLI', () => {
  let root: FixtureRoot;
  beforeAll(async () => {
    root = await createFixtureRoot();
    await root.writeConfig([acmePlatform()]);
  });
  afterAll(() => root.cleanup());

  it.each(['generate', 'list', 'import-openapi', 'add-platform'])(
    '%s --help prints its usage and exits 0',
    async (command) => {
      const { code, stdout } = await engarde(root.dir, command, '--help');
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: engarde ${command}`);
    },
  );

  it('exits 2 on invalid config, one problem per line, without a stack trace', async () => {
    const broken = acmePlatform() as Record<string, unknown>;
    broken.category = 'crm-ish';
    delete broken.docsUrl;
    await root.writeConfig([broken]);
    try {
      const { code, stderr } = await engarde(root.dir, 'generate');
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^configs\/platform_configs_extended\.json: acme-crm \/category: "crm-ish" is not one of /,
        ),
        'configs/platform_configs_extended.json: acme-crm /docsUrl: is required (string)',
      ]);
      expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
    } finally {
      await root.writeConfig([acmePlatform()]);
    }
  });

  it('generate then generate --check exits 0; a stale file makes --check exit 1 with the fix command', async () => {
    expect((await engarde(root.dir, 'generate', '--no-type-check')).code).toBe(0);
    const clean = await engarde(root.dir, 'generate', '--check');
    expect(clean.stdout).toContain('generated files are up to date');
    expect(clean.code).toBe(0);
    const adapter = join(root.dir, 'generated/adapters/acme-crm/index.ts');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(adapter, `${await readFile(adapter, 'utf8')}// edited\n`);
    const stale = await engarde(root.dir, 'generate', '--check');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('stale   generated/adapters/acme-crm/index.ts');
    expect(stale.stdout).toContain('-// edited');
    expect(stale.stdout).toContain('npx engarde generate');
  });

  it('--only with an unknown id names it and exits 2', async () => {
    const { code, stderr } = await engarde(root.dir, 'generate', '--only', 'nope');
    expect(code).toBe(2);
    expect(stderr).toContain('--only: no platform "nope"');
  });

  it('list prints one line per platform, filtered by category', async () => {
    const all = await engarde(root.dir, 'list');
    expect(all.stdout).toContain('acme-crm');
    const none = await engarde(root.dir, 'list', '--category', 'payments');
    expect(none.stdout.trim()).toBe('0 platform(s)');
  });

  it('add-platform scaffolds an entry and lists, by JSON pointer, the facts still missing', async () => {
    const { code, stdout } = await engarde(
      root.dir,
      'add-platform',
      'zeta-pay',
      '--name',
      'Zeta Pay',
      '--category',
      'payments',
      '--base-url',
      'https://api.zeta.test/v1',
      '--auth',
      'bearer',
      '--entity',
      'payments=/payments',
    );
    try {
      expect(code).toBe(2);
      expect(stdout).toContain(`${CONFIG}: zeta-pay /rateLimit: is required`);
      expect(stdout).toContain(`${CONFIG}: zeta-pay /entities/payments/incremental: is required`);
      const config = JSON.parse(await readFile(join(root.dir, CONFIG), 'utf8'));
      expect(config.platforms.map((p: { id: string }) => p.id)).toEqual(['acme-crm', 'zeta-pay']);
    } finally {
      await root.writeConfig([acmePlatform()]);
    }
  });

  it('an unknown command exits 2 and shows the commands', async () => {
    const { code, stderr } = await engarde(root.dir, 'frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
