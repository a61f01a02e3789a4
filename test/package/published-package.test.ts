/**
 * The package as a new user meets it: `npm pack`, installed from the tarball into an empty project. First with nothing
 * else (a program that only imports adapters), then with the generator's toolchain, generating a team's own
 * platforms in that project the way its CI would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acmePlatform } from '../generator/fixtures/fixture-root.js';
import { createProject, lockedVersion, type Project, packPackage, REPO, run } from '../support/packed-package.js';

const TOOLCHAIN = ['@biomejs/biome', 'diff', 'handlebars', 'openapi-typescript', 'typescript'];
const SLOW = 600_000;

let tarball: string;
let project: Project;

beforeAll(async () => {
  tarball = await packPackage();
  project = await createProject('consumer');
  await project.npm('install', tarball);
}, SLOW);

afterAll(async () => {
  await project?.cleanup();
});

const bin = (name: string) => path.join(REPO, 'node_modules', '.bin', name);

describe('the packed package, installed alone', () => {
  test('holds what runs and its types: no sources, tests, CI or source maps', async () => {
    const listed = await run('tar', ['tzf', tarball], { cwd: REPO });
    const files = listed.stdout
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/generated/adapters/stripe/index.js');
    expect(files).toContain('dist/generated/adapters/stripe/index.d.ts');
    expect(files).toContain('dist/src/runtime/index.d.ts');
    expect(files).toContain('dist/generator/cli.js');
    expect(files).toContain('templates/adapter.ts.hbs');
    expect(files).toContain('configs/platform_configs_extended.json');
    const unexpected = files.filter(
      (f) =>
        /^(test|\.ci|scripts|web|src|generator|generated)\//.test(f) ||
        /^dist\/(test|scripts|web)\//.test(f) ||
        /^dist\/src\/(api|db|jobs|sync|service|webhooks|alerts|observability)\//.test(f) ||
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    expect(unexpected).toEqual([]);
  });

  test('installs none of the generator toolchain', async () => {
    const { readdir } = await import('node:fs/promises');
    const installed = new Set(await readdir(path.join(project.dir, 'node_modules')));
    for (const scope of [...installed].filter((d) => d.startsWith('@'))) {
      for (const name of await readdir(path.join(project.dir, 'node_modules', scope)))
        installed.add(`${scope}/${name}`);
    }
    expect(TOOLCHAIN.filter((name) => installed.has(name))).toEqual([]);
  });

  test('imports the registry, an adapter and the runtime in Node ESM', async () => {
    await project.write(
      'imports.mjs',
      `import { getAdapterRegistry } from 'engarde';
import { StripeAdapter } from 'engarde/adapters/stripe';
import { ApiError, verifyWebhook } from 'engarde/runtime';
const registry = getAdapterRegistry();
const stripe = await registry.create('stripe', { credentials: { apiKey: 'sk_test_x' }, connectionConfig: {} });
console.log(JSON.stringify({
  platforms: registry.platforms().length,
  stripe: stripe instanceof StripeAdapter,
  errors: typeof ApiError,
  verify: typeof verifyWebhook,
}));
await stripe.close();
`,
    );
    const ran = await project.run('node', ['imports.mjs']);
    expect(ran.stderr).toBe('');
    expect(JSON.parse(ran.stdout)).toEqual({ platforms: 195, stripe: true, errors: 'function', verify: 'function' });
  });

  test('runs `npx engarde --help` and `engarde list` on the catalogue', async () => {
    const help = await project.run('npx', ['engarde', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}generate /m);
    const list = await project.run('npx', ['engarde', 'list', '--category', 'payments']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^stripe /m);
  });

  test('runs a sandbox of a catalogue platform that answers with the printed credentials', async () => {
    const { spawn } = await import('node:child_process');
    const sandbox = spawn(path.join(project.dir, 'node_modules', '.bin', 'engarde'), ['sandbox', 'airtable'], {
      cwd: project.dir,
    });
    try {
      let printed = '';
      const banner = await new Promise<string>((resolve, reject) => {
        sandbox.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          if (printed.includes('Stop with')) resolve(printed);
        });
        sandbox.on('exit', (code) => reject(new Error(`sandbox exited ${code}: ${printed}`)));
      });
      const baseUrl = /base URL\s+(\S+)/.exec(banner)?.[1];
      const { accessToken } = JSON.parse(/credentials\s+(\{.*\})/.exec(banner)?.[1] ?? '{}') as { accessToken: string };
      const answer = await fetch(`${baseUrl}/meta/bases`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(answer.status).toBe(200);
    } finally {
      sandbox.kill('SIGTERM');
    }
  });

  test('says exactly what to install when asked to generate without the toolchain', async () => {
    const generated = await project.run('npx', ['engarde', 'generate', '--config', 'engarde.json', '--out', 'gen']);
    expect(generated.code).toBe(2);
    expect(generated.stderr).toContain('needs the generator toolchain');
    expect(generated.stderr).toMatch(/npm install --save-dev .*typescript@\^5/);
  });

  test('says where the service runs when asked to serve', async () => {
    const served = await project.run('npx', ['engarde', 'serve']);
    expect(served.code).toBe(2);
    expect(served.stderr).toContain('the service runs from a checkout of the EnGarde repository');
  });

  test('passes publint, warnings included', async () => {
    const linted = await run(bin('publint'), ['run', tarball, '--strict'], { cwd: REPO });
    expect(linted.stdout + linted.stderr, linted.stdout).not.toMatch(/error|warning/i);
    expect(linted.code).toBe(0);
  });

  test('passes arethetypeswrong for an ESM-only package, the wildcard adapters entry included', async () => {
    const checked = await run(
      bin('attw'),
      [
        tarball,
        '--profile',
        'esm-only',
        '--include-entrypoints',
        './adapters/stripe',
        './adapters/shopify',
        '--format',
        'ascii',
      ],
      { cwd: REPO },
    );
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });
});

describe("the generator in a team's own project", () => {
  let api: Server;
  let apiUrl: string;

  beforeAll(async () => {
    const versions = await Promise.all([...TOOLCHAIN, '@types/node'].map(lockedVersion));
    await project.npm('install', '--save-dev', ...versions);
    await project.write(
      'tsconfig.json',
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            skipLibCheck: false,
            types: ['node'],
            outDir: 'build',
          },
          include: ['*.ts', 'src'],
        },
        null,
        2,
      )}\n`,
    );
    // The team's config: a private platform of its own, and Stripe as the catalogue has it with one field changed.
    await project.write(
      'engarde.config.json',
      `${JSON.stringify(
        {
          platforms: [acmePlatform(), { extends: 'stripe', description: 'Stripe, as the team uses it.' }],
        },
        null,
        2,
      )}\n`,
    );
    api = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/contacts')) {
        response.end(JSON.stringify({ results: [{ id: 'c1', email: 'ada@acme.test', updated_at: '2026-12-01' }] }));
      } else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  }, SLOW);

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
  });

  const generate = (...extra: string[]) =>
    project.run('npx', [
      'engarde',
      'generate',
      '--config',
      'engarde.config.json',
      '--out',
      'src/integrations',
      ...extra,
    ]);

  test('type-checks a program using the package under nodenext with skipLibCheck false', async () => {
    await project.write(
      'uses-package.ts',
      `import { getAdapterRegistry } from 'engarde';
import { StripeAdapter } from 'engarde/adapters/stripe';
import { ApiError, type PlatformMeta } from 'engarde/runtime';

const registry = getAdapterRegistry();
export const stripe: StripeAdapter = await registry.create('stripe', {
  credentials: { apiKey: 'sk_test_x' },
  connectionConfig: {},
});
export const meta: PlatformMeta = StripeAdapter.meta;
export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
`,
    );
    const checked = await project.run('npx', ['tsc', '--noEmit', '-p', '.']);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });

  test('generates its private platform and its extended Stripe, importing engarde/runtime', async () => {
    const generated = await generate();
    expect(generated.stderr).toBe('');
    expect(generated.stdout).toMatch(/engarde generate: 2 platforms, \d+ written/);
    const adapter = await project.read('src/integrations/acme-crm/index.ts');
    expect(adapter).toContain("from 'engarde/runtime'");
    expect(adapter).toContain(
      'npx engarde generate --config engarde.config.json --out src/integrations --only acme-crm',
    );
    // Stripe's OpenAPI types come from the installed package's description.
    expect(await project.read('src/integrations/stripe/openapi.d.ts')).toContain('configs/openapi/stripe.json');
  });

  test('registers them beside the built-in platforms, and the private adapter reads its API', async () => {
    await project.write(
      'main.ts',
      `import { getAdapterRegistry } from './src/integrations/index.js';

const registry = getAdapterRegistry();
const acme = await registry.create('acme-crm', {
  credentials: { apiKey: 'k' },
  connectionConfig: { tenant: 'demo' },
  baseUrl: process.env.ACME_URL,
});
const emails: Array<string | null> = [];
for await (const contact of acme.listContacts()) emails.push(contact.email);
await acme.close();
console.log(JSON.stringify({
  platforms: registry.platforms().length,
  emails,
  stripe: (await registry.meta('stripe')).description,
  shopify: registry.info('shopify').name,
}));
`,
    );
    const compiled = await project.run('npx', ['tsc', '-p', '.']);
    expect(compiled.stdout + compiled.stderr).toBe('');
    const ran = await run('node', ['build/main.js'], { cwd: project.dir, env: { ACME_URL: apiUrl } });
    expect(ran.stderr).toBe('');
    expect(JSON.parse(ran.stdout)).toEqual({
      platforms: 196,
      emails: ['ada@acme.test'],
      stripe: 'Stripe, as the team uses it.',
      shopify: 'Shopify',
    });
  });

  test('--check passes on its output, then fails with a diff after a hand edit', async () => {
    expect((await generate('--check')).code).toBe(0);
    const file = 'src/integrations/acme-crm/index.ts';
    await project.write(file, `${await project.read(file)}// edited by hand\n`);
    const drifted = await generate('--check');
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain(`stale   ${file}`);
    expect(drifted.stdout).toContain('-// edited by hand');
    expect(drifted.stdout).toContain('npx engarde generate --config engarde.config.json --out src/integrations');
    expect((await generate()).code).toBe(0);
  });

  test('names the entry and field of an `extends` that is not a catalogue platform', async () => {
    await project.write('broken.config.json', JSON.stringify({ platforms: [{ extends: 'stripey' }] }));
    const generated = await project.run('npx', ['engarde', 'generate', '--config', 'broken.config.json', '--out', 'x']);
    expect(generated.code).toBe(2);
    expect(generated.stderr).toContain(
      'broken.config.json: stripey /extends: "stripey" is not a platform of the engarde catalogue',
    );
  });

  test('add-platform scaffolds an entry in a new config and lists what is left to fill in', async () => {
    const added = await project.run('npx', [
      'engarde',
      'add-platform',
      'widgets-inc',
      '--config',
      'more.config.json',
      '--out',
      'src/more',
      '--name',
      'Widgets Inc',
      '--category',
      'crm',
      '--base-url',
      'https://api.widgets.test/v1',
      '--auth',
      'bearer',
      '--entity',
      'widgets=/widgets',
    ]);
    expect(added.code).toBe(2);
    expect(added.stdout).toContain('engarde add-platform: added widgets-inc to more.config.json');
    expect(added.stdout).toContain('npx engarde generate --config more.config.json --out src/more --only widgets-inc');
    const config = JSON.parse(await project.read('more.config.json')) as { $schema: string; platforms: unknown[] };
    expect(config.$schema).toBe('node_modules/engarde/configs/platform-config.schema.json');
    expect(config.platforms).toHaveLength(1);
  });

  test("import-openapi trims a description into the team's configs/openapi/", async () => {
    await project.write(
      'acme-openapi.json',
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Acme CRM', version: 'v2' },
        paths: Object.fromEntries(
          ['/contacts', '/contacts/{id}', '/companies', '/companies/{id}', '/unused'].map((p) => [
            // The entry's base URL (https://{tenant}.acme.test/api/{apiVersion}) puts its paths under /api/v2.
            `/api/v2${p}`,
            {
              get: { responses: { 200: { description: 'ok' } } },
              post: { responses: { 200: { description: 'ok' } } },
              patch: { responses: { 200: { description: 'ok' } } },
            },
          ]),
        ),
      }),
    );
    const imported = await project.run('npx', [
      'engarde',
      'import-openapi',
      'acme-crm',
      'acme-openapi.json',
      '--config',
      'engarde.config.json',
      '--source',
      'https://developer.acme.test/openapi.json',
    ]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const trimmed = JSON.parse(await project.read('configs/openapi/acme-crm.json')) as { paths: object };
    expect(Object.keys(trimmed.paths)).not.toContain('/api/v2/unused');
    expect(Object.keys(trimmed.paths)).toContain('/api/v2/contacts');
  });
});
